"""Synthetic personal data (phones, ID cards, VINs, plates, e-mails) planted in a few texts."""

from __future__ import annotations

from samplegen.draws import Draws

PII_TYPES = ("mobile", "landline", "id_card", "vin", "plate", "email")

_MOBILE_PREFIXES = ("138", "139", "137", "135", "150", "158", "186", "189", "177", "199", "133", "181")
_AREA_CODES = ("010", "021", "020", "0755", "028", "027", "025", "0571", "029", "0531")
_ID_AREAS = ("110101", "310104", "440106", "330106", "510107", "420106", "320102", "610113")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
_VIN_VALUES = {**{str(d): d for d in range(10)},
               **dict(zip("ABCDEFGH", range(1, 9))), **dict(zip("JKLMN", range(1, 6))), "P": 7, "R": 9,
               **dict(zip("STUVWXYZ", range(2, 10)))}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_VIN_WMI = ("LGW", "LSV", "LFV", "LRW", "LYV", "LVG", "LHG")
_PLATE_PROVINCES = "京沪粤浙苏川鄂湘豫鲁陕辽津渝"
_PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_EMAIL_USERS = ("zhangwei", "li.na", "wangfang88", "liuyang_sh", "chenjing", "yang.lei", "zhao_min", "huangtao")
_EMAIL_DOMAINS = ("163.com", "126.com", "qq.com", "sina.com", "gmail.com")


def _digits(d: Draws, n: int) -> str:
    return "".join(str(d.integer(0, 9)) for _ in range(n))


def mobile(d: Draws) -> str:
    """A mobile number, plain or in the +86 dashed form."""
    number = d.choice(_MOBILE_PREFIXES) + _digits(d, 8)
    if d.chance(0.3):
        return f"+86 {number[:3]}-{number[3:7]}-{number[7:]}"
    return number


def landline(d: Draws) -> str:
    """A landline with area code, e.g. 021-62345678."""
    area = d.choice(_AREA_CODES)
    length = 8 if len(area) == 3 else d.choice((7, 8))
    return f"{area}-{d.integer(2, 8)}{_digits(d, length - 1)}"


def id_card(d: Draws) -> str:
    """An 18-digit resident ID number with a valid ISO 7064 check character."""
    body = (d.choice(_ID_AREAS) + f"{d.integer(1965, 2002)}{d.integer(1, 12):02d}{d.integer(1, 28):02d}"
            + _digits(d, 3))
    check = _ID_CHECK[sum(int(c) * w for c, w in zip(body, _ID_WEIGHTS)) % 11]
    return body + check


def vin(d: Draws) -> str:
    """A 17-character VIN (no I, O, Q) whose ninth character is a valid check digit."""
    chars = list(d.choice(_VIN_WMI) + "".join(d.choice(_VIN_CHARS) for _ in range(5)) + "0"
                 + d.choice("NPRST") + d.choice(_VIN_CHARS) + _digits(d, 6))
    remainder = sum(_VIN_VALUES[c] * w for c, w in zip(chars, _VIN_WEIGHTS)) % 11
    chars[8] = "X" if remainder == 10 else str(remainder)
    return "".join(chars)


def plate(d: Draws) -> str:
    """A licence plate: ordinary (沪A12345) or new-energy (粤B·D12345)."""
    head = d.choice(_PLATE_PROVINCES) + d.choice("ABCDEFGH")
    if d.chance(0.5):
        return head + d.choice(("", "·")) + d.choice("DF") + _digits(d, 5)
    return head + d.choice(_PLATE_LETTERS[:8] + "0123456789") + _digits(d, 4)


def email(d: Draws) -> str:
    """An e-mail address on a common Chinese provider."""
    domain = d.choice(_EMAIL_DOMAINS)
    user = f"{d.integer(1, 9)}{_digits(d, 8)}" if domain == "qq.com" else d.choice(_EMAIL_USERS) + _digits(d, 2)
    return f"{user}@{domain}"


_MAKERS = {"mobile": mobile, "landline": landline, "id_card": id_card, "vin": vin, "plate": plate,
           "email": email}
_LABELS = {
    "mobile": ("联系电话", "我手机", "回电号码", "电话"),
    "landline": ("座机", "单位电话", "联系座机"),
    "id_card": ("身份证号", "车主身份证"),
    "vin": ("车架号", "VIN：", "车辆识别代号"),
    "plate": ("车牌", "车牌号", "我的车牌是"),
    "email": ("邮箱", "有问题发我邮箱", "邮件联系"),
}
# Work orders and call notes record identifiers; a customer writing online rarely leaves an ID number.
CHANNEL_PII = {
    "nps": ("mobile", "email", "plate"),
    "call_center": ("mobile", "landline", "id_card", "plate", "vin"),
    "dealer": ("vin", "plate", "mobile", "id_card"),
    "social": ("plate", "mobile", "email"),
    "app": ("mobile", "vin", "email"),
}


def pii_clause(channel: str, d: Draws) -> tuple[str, list[str]]:
    """One clause holding one or two pieces of personal data fitting `channel`.

    Args:
        channel: nps | call_center | dealer | social | app.
        d: random draws.

    Returns:
        The clause and the sorted list of the PII types in it.
    """
    kinds = d.sample(CHANNEL_PII[channel], 2 if d.chance(0.25) else 1)
    parts = [d.choice(_LABELS[k]) + _MAKERS[k](d) for k in kinds]
    return "，".join(parts), sorted(kinds)
