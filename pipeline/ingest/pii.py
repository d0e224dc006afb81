"""Mask personal data (phones, ID cards, VINs, plates, e-mails, QQ, bank cards, names) in free text.

Masking runs before anything is stored (on the text and on the raw row kept for quarantine) and
again after normalisation, which can turn HTML entities, emoji separators and full-width digits
into plain digits. Each kind becomes a typed placeholder, so analysts still see *that* a customer
left a phone number without seeing the number.

Every pattern runs in linear time: a match may only start where a run of its characters starts
(a look-behind rejects every position inside a run), and every repetition inside a match is
bounded, so no position is scanned more than a constant number of times. benchmarks/bench_pii.py
times 1 MB adversarial tokens.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd

PLACEHOLDERS = {
    "email": "[邮箱]",
    "id_card": "[身份证]",
    "vin": "[VIN]",
    "bank_card": "[银行卡]",
    "mobile": "[手机号]",
    "landline": "[座机]",
    "plate": "[车牌]",
    "qq": "[QQ]",
    "name": "[姓名]",
}

# Separators people put inside numbers: spaces (incl. ideographic U+3000, no-break, thin and
# zero-width), dashes of every width, slashes, middle dots, and emoji used as spacers.
_SEP_CHARS = (
    " \t\u00a0\u3000\u2000-\u200d\u2060\ufeff"
    "\\-\u2010-\u2015\u2212\ufe58\ufe63\uff0d_/\uff0f\u00b7\u30fb\uff65\u2022"
    "\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u20e3"
)
_S = f"[{_SEP_CHARS}]{{1,3}}"  # one separator group, e.g. " - "
_SO = f"[{_SEP_CHARS}]{{0,3}}"  # an optional one
_D = "[0-9]"
_NOT_DIGIT_BEFORE = r"(?<![0-9])"
_NOT_DIGIT_AFTER = r"(?![0-9])"
_NOT_ALNUM_BEFORE = r"(?<![0-9A-Za-z])"
_NOT_ALNUM_AFTER = r"(?![0-9A-Za-z])"

# Province abbreviations that start a civilian licence plate.
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_SUFFIX = "学警挂领使港澳试超"
_PLATE_CHAR = "[A-HJ-NP-Za-hj-np-z0-9]"
_VIN_CHAR = "[A-HJ-NPR-Za-hj-npr-z0-9]"

# Common surnames (the ones that start most names). A name is only masked after a phrase that
# introduces one, and only when it starts with one of these, so "本人觉得" stays as written.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武"
    "戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮"
    "柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古"
    "吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫"
    "寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
_CJK = "[\u4e00-\u9fff]"
# Characters that end a name: a name is followed by punctuation, a space, a digit, the end, or a
# word that usually follows it ("我叫张伟，", "本人李娜的车", "我叫王芳想投诉").
_NAME_END = r"(?=$|[\s\W0-9_]|[的是想要在从来去今昨前的，。]|先生|女士|小姐|车主)"

# Labels after which a long number is a business id, not a bank card.
_BUSINESS_LABEL = re.compile(r"(?:订单|单号|工单|编号|零件|配件|流水|合同|发票|快递|物流|批次)[号码]?[\s:：是为#]{0,3}$")


def _digits_groups(*sizes: int) -> str:
    """Digit groups of `sizes`, an optional separator between groups (3-4-4, 6-8-4, ...)."""
    return _SO.join(f"{_D}{{{n}}}" for n in sizes)


def _id_checksum_ok(digits: str) -> bool:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c) * w for c, w in zip(digits[:17], weights, strict=True))
    return "10X98765432"[total % 11] == digits[17].upper()


_VIN_VALUE = {
    **{str(d): d for d in range(10)}, **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)), "P": 7, "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def _vin_check_ok(vin: str) -> bool:
    total = sum(_VIN_VALUE[c] * w for c, w in zip(vin, _VIN_WEIGHTS, strict=True))
    return "0123456789X"[total % 11] == vin[8]


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _only(chars: str, s: str) -> str:
    return "".join(c for c in s if c in chars)


_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

# ---------------------------------------------------------------------------------------------
# The passes, in order. Each is (kind, pattern, accept); `accept(match, text)` may refuse a
# candidate (a checksum fails), leaving it for the later passes. A pass's placeholder holds no
# digit or letter a later pass could match.
_EMAIL_LOCAL = "[A-Za-z0-9._%+\\-]"
_AT = r"(?:[ \u3000]{0,2}(?:@|\[at\]|\(at\)|（at）|【at】|\{at\})[ \u3000]{0,2})"
_DOT = r"(?:[ ]?(?:\.|\[dot\]|\(dot\)|（dot）)[ ]?)"
_EMAIL = (
    f"(?<!{_EMAIL_LOCAL}){_EMAIL_LOCAL}{{1,64}}{_AT}"
    f"[A-Za-z0-9\\-]{{1,63}}(?:{_DOT}[A-Za-z0-9\\-]{{1,63}}){{0,4}}{_DOT}[A-Za-z]{{2,12}}"
    f"(?![A-Za-z])"
)

_ID_CARD = (
    _NOT_DIGIT_BEFORE
    + f"[1-9]{_D}{{5}}{_SO}(?:18|19|20){_D}{{2}}{_SO}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]{_D}|3[01]){_SO}"
    + f"{_D}{{3}}[0-9Xx]"
    + _NOT_ALNUM_AFTER
    # The old 15-digit form (YYMMDD birth date).
    + f"|{_NOT_DIGIT_BEFORE}[1-9]{_D}{{5}}{_SO}{_D}{{2}}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]{_D}|3[01]){_SO}{_D}{{3}}"
    + _NOT_ALNUM_AFTER
)

# 17 VIN characters, optionally with single spaces or dashes between groups ("LSV AB2BR5 EM123456").
_VIN = _NOT_ALNUM_BEFORE + f"{_VIN_CHAR}(?:[ \\-\u3000]?{_VIN_CHAR}){{16}}" + _NOT_ALNUM_AFTER
_VIN_LABEL = re.compile(r"(?i)(?:vin|车架|识别代?号|底盘号)[号码]?[\s:：是为]{0,3}$")


def _accept_vin(m: re.Match[str], text: str) -> bool:
    raw = m.group(0)
    vin = _only(_ALNUM, raw).upper()
    if not (any(c.isdigit() for c in vin) and any(c.isalpha() for c in vin)):
        return False
    if vin == raw.upper():  # written as one token: 17 VIN characters with letters and digits
        return sum(c.isdigit() for c in vin) >= 3 or _vin_check_ok(vin)
    # Spaced: words could line up by chance, so ask for the check digit or a VIN label.
    return _vin_check_ok(vin) or bool(_VIN_LABEL.search(text[max(0, m.start() - 12) : m.start()]))


_BANK_CARD = _NOT_DIGIT_BEFORE + f"[1-9](?:{_SO}{_D}){{15,18}}" + _NOT_DIGIT_AFTER


def _accept_bank_card(m: re.Match[str], text: str) -> bool:
    if _BUSINESS_LABEL.search(text[max(0, m.start() - 8) : m.start()]):
        return False
    return _luhn_ok(_only("0123456789", m.group(0)))


_COUNTRY = f"(?:(?:\\+|＋|00){_SO}86{_SO}|86{_S}|86-)"
_MOBILE = (
    _NOT_DIGIT_BEFORE
    + f"(?:{_COUNTRY})?1[3-9]{_D}"
    # 3-4-4 (also 3-8 and 7-4), 3-3-5 and 4-3-4 groupings
    + f"(?:{_SO}{_D}{{4}}{_SO}{_D}{{4}}|{_SO}{_D}{{3}}{_SO}{_D}{{5}}|{_D}{_SO}{_D}{{3}}{_SO}{_D}{{4}})"
    + _NOT_DIGIT_AFTER
)

# Landlines: +86 then an area code without its 0, or an area code with its 0, or one in brackets;
# then a local number of 7-8 digits (maybe split 3-4 or 4-4) and an optional extension.
_AREA = (
    f"(?:(?:\\+|＋|00){_SO}86{_SO}[(（]?{_SO}[1-9]{_D}{{1,2}}{_SO}[)）]?"
    f"|[(（]{_SO}0?[1-9]{_D}{{1,2}}{_SO}[)）]"
    f"|0[1-9]{_D}{{1,2}})"
)
_LANDLINE = (
    # Not the middle of a longer grouped number ("6222 0212 3456 7890"): no digit group just before.
    f"{_NOT_DIGIT_BEFORE}(?<![0-9][{_SEP_CHARS}])"
    + f"{_AREA}{_SO}[1-9]{_D}{{2,3}}{_SO}{_D}{{4}}"
    + f"(?:[ ]{{0,2}}(?:-|转|分机|ext\\.?)[ ]{{0,2}}{_D}{{1,5}})?"
    + _NOT_DIGIT_AFTER
)

# 粤B12345, 京A·12345, 粤b 12345 (lower case), new-energy 粤BD12345 / 粤B12345D, and special
# plates ending in 学/警/挂/领/使/港/澳/试/超 (粤B1234学). An ordinary serial needs 3+ digits, so
# words like 新MODEL3 are left alone.
_PLATE = (
    f"[{_PROVINCES}][A-HJ-NP-Za-hj-np-z][·•・ \\-\u3000]?"
    + f"(?:[DFdf]{_PLATE_CHAR}{_D}{{4}}(?![0-9A-Za-z])|{_D}{{5}}[DFdf](?![0-9A-Za-z])"
    + f"|{_PLATE_CHAR}{{4}}[{_PLATE_SUFFIX}]"
    + f"|(?=(?:[A-HJ-NP-Za-hj-np-z]{{0,2}}[0-9]){{3}}){_PLATE_CHAR}{{5}}(?![0-9A-Za-z]))"
)

# QQ numbers after QQ/扣扣/企鹅 (the label stays, the number goes).
_QQ = (
    r"(?P<label>(?i:qq|ｑｑ)|扣扣|企鹅)(?:号码?|号|账号|群)?[\s:：是为]{0,3}"
    + f"(?P<value>[1-9](?:{_SO}{_D}){{4,10}})"
    + _NOT_DIGIT_AFTER
)

# Names after a phrase that introduces one: 我叫张伟, 本人李娜, 姓名：王芳, 联系人赵敏; 我姓王 keeps
# only the surname's place.
_NAME = (
    f"(?P<label>我叫|我的名字是|我名字叫|本人|姓名[:：]?\\s{{0,2}}|联系人[:：]?\\s{{0,2}}|车主[:：]\\s{{0,2}})"
    f"(?P<value>[{_SURNAMES}]{_CJK}{{1,2}}?){_NAME_END}"
    f"|(?P<label2>我姓|本人姓)(?P<value2>[{_SURNAMES}])"
)

_Accept = Callable[[re.Match[str], str], bool]


def _id_accept(m: re.Match[str], text: str) -> bool:
    digits = _only("0123456789Xx", m.group(0))
    # A well-formed 18-digit number with a valid date is masked even with a wrong check digit
    # (a mistyped ID is still someone's ID); the checksum decides only for spaced forms.
    if len(digits) == 18 and digits != m.group(0):
        return _id_checksum_ok(digits)
    return True


# Cheap tests that skip a pass when its pattern cannot match; computed once per text (masking only
# replaces matches by placeholders without digits or letters, so it never creates a new match).
_DIGIT = re.compile("[0-9]")
# Seven digits with at most a separator group between neighbours: every phone, ID and card number
# holds such a run (a landline's shortest local number has seven digits).
_NUMBER_RUN = re.compile(f"[0-9](?:{_SO}[0-9]){{6}}")
_HINT_PATTERNS = {
    "email": re.compile(r"@|at"),
    "qq": re.compile(r"[qQ][qQ]|扣扣|企鹅"),
    "plate": re.compile(f"[{_PROVINCES}][A-Za-z]"),
    "name": re.compile("我叫|我姓|本人|姓名|联系人|我的名字|我名字|车主"),
}


def _possible_kinds(folded: str) -> set[str]:
    kinds = {kind for kind, hint in _HINT_PATTERNS.items() if hint.search(folded)}
    if _DIGIT.search(folded):
        kinds.add("vin")
        if _NUMBER_RUN.search(folded):
            kinds.update(("id_card", "bank_card", "mobile", "landline"))
    return kinds


_PASSES: list[tuple[str, re.Pattern[str], _Accept | None]] = [
    ("email", re.compile(_EMAIL), None),
    ("id_card", re.compile(_ID_CARD), _id_accept),
    ("vin", re.compile(_VIN), _accept_vin),
    ("qq", re.compile(_QQ), None),
    ("bank_card", re.compile(_BANK_CARD), _accept_bank_card),
    ("mobile", re.compile(_MOBILE), None),
    ("landline", re.compile(_LANDLINE), None),
    ("plate", re.compile(_PLATE), None),
    ("name", re.compile(_NAME), None),
]

# Every kind holds a digit, an '@'/at, or a name phrase; texts without any are skipped cheaply.
_MAY_CONTAIN = re.compile(r"[0-9@０-９＠]|\[at\]|\(at\)|（at）|【at】|\{at\}|我叫|我姓|本人|姓名|联系人|我的名字|我名字|车主[:：]")
# Full-width digits, letters and signs (not Chinese punctuation such as '，', which is everywhere).
_HAS_FULLWIDTH = re.compile(r"[０-９Ａ-Ｚａ-ｚ＠＋（）［］]")
# Full-width ASCII maps 1:1 onto ASCII, so offsets of matches in the folded copy fit the original.
_FOLD_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
# Numeric HTML entities (&#49;&#51;&#56;) spell digits without showing one.
_NUMERIC_ENTITY = re.compile(r"&#(?:[0-9]{1,7}|[xX][0-9a-fA-F]{1,6});")


def _entity_char(m: re.Match[str]) -> str:
    body = m.group(0)[2:-1]
    try:
        cp = int(body[1:], 16) if body[:1] in "xX" else int(body)
        return chr(cp) if 0 < cp < 0x110000 and not 0xD800 <= cp < 0xE000 else m.group(0)
    except ValueError:
        return m.group(0)


def _run_pass(kind: str, pattern: re.Pattern[str], accept: _Accept | None, text: str, folded: str) -> str:
    """One kind over `text`, matching on `folded` (same length, full-width folded to ASCII)."""
    parts: list[str] = []
    last = 0
    for m in pattern.finditer(folded):
        if accept is not None and not accept(m, folded):
            continue
        groups = m.groupdict()
        label = groups.get("label") or groups.get("label2")
        parts.append(text[last : m.start()])
        if label is not None:
            # Keep the label ("QQ", "我叫"); mask what follows it.
            value_start = m.start("value") if groups.get("value") is not None else m.start("value2")
            parts.append(text[m.start() : value_start])
        parts.append(PLACEHOLDERS[kind])
        last = m.end()
    if not parts:
        return text
    parts.append(text[last:])
    return "".join(parts)


def mask_pii(text: str) -> str:
    """Replace personal data in `text` with typed placeholders such as [手机号] or [车牌].

    Args:
        text: one feedback text (full-width digits and letters, separators inside numbers and
            numeric HTML entities are recognised too).

    Returns:
        The text with every phone number, ID-card number, VIN, licence plate, e-mail, QQ number,
        bank-card number and introduced name replaced.
    """
    if not text or not _MAY_CONTAIN.search(text):
        return text
    if "&#" in text:
        text = _NUMERIC_ENTITY.sub(_entity_char, text)
    fullwidth = _HAS_FULLWIDTH.search(text) is not None
    folded = text.translate(_FOLD_FULLWIDTH) if fullwidth else text
    possible = _possible_kinds(folded)
    for kind, pattern, accept in _PASSES:
        if kind not in possible:
            continue
        masked = _run_pass(kind, pattern, accept, text, folded)
        if masked is not text:
            text = masked
            folded = text.translate(_FOLD_FULLWIDTH) if fullwidth else text
    return text


def mask_pii_series(s: pd.Series) -> pd.Series:
    """Mask personal data in every text of `s`; missing values stay missing.

    Args:
        s: texts, shape (n,).

    Returns:
        A new Series of shape (n,), same index, dtype `str`.
    """
    s = s.astype("str")
    # Only texts that may hold personal data are touched.
    candidates = s.str.contains(_MAY_CONTAIN, regex=True, na=False)
    out = s.copy()
    if candidates.any():
        out[candidates] = [mask_pii(t) for t in s[candidates].tolist()]
    return out
