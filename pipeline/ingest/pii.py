"""Mask personal data (phones, ID cards, VINs, licence plates, e-mails) in free text.

Masking runs before anything is stored, on the text and on the raw row kept for quarantine. Each
kind of personal data becomes a typed placeholder, so analysts still see *that* a customer left a
phone number without seeing the number.
"""

from __future__ import annotations

import re

import pandas as pd

PLACEHOLDERS = {
    "email": "[邮箱]",
    "id_card": "[身份证]",
    "vin": "[VIN]",
    "plate": "[车牌]",
    "mobile": "[手机号]",
    "landline": "[座机]",
}

# Province abbreviations that start a civilian licence plate.
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_VIN_CHAR = "[A-HJ-NPR-Za-hj-npr-z0-9]"
_VIN_LETTER = "[A-HJ-NPR-Za-hj-npr-z]"
# Digits glued to Chinese text are common ("电话13812345678谢谢"), so boundaries are "no digit / no
# ASCII letter next to it" rather than \b, which treats Chinese characters as word characters.
_NOT_DIGIT_BEFORE = r"(?<![0-9])"
_NOT_DIGIT_AFTER = r"(?![0-9])"
_NOT_ALNUM_BEFORE = r"(?<![0-9A-Za-z])"
_NOT_ALNUM_AFTER = r"(?![0-9A-Za-z])"

# Order matters: at one position the first alternative that matches wins, so the longer and more
# specific forms (an e-mail made of digits, an 18-digit ID) come before the phone numbers.
_PATTERNS = {
    "email": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
    # 18-digit form (birth year 18xx-20xx, last char may be X) or the old 15-digit form (YYMMDD).
    "id_card": (
        _NOT_DIGIT_BEFORE
        + r"[1-9][0-9]{5}(?:(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}"
        + r"[0-9Xx]|[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3})"
        + _NOT_ALNUM_AFTER
    ),
    # 17 VIN characters with at least one letter and one digit (the lookaheads cannot run past the
    # 17 because the character after them must not be a letter or digit).
    "vin": (
        _NOT_ALNUM_BEFORE
        + rf"(?={_VIN_CHAR}*{_VIN_LETTER})(?={_VIN_CHAR}*[0-9]){_VIN_CHAR}{{17}}"
        + _NOT_ALNUM_AFTER
    ),
    # 粤B12345, 京A·12345, 沪A 1234X; new-energy 粤BD12345 / 粤B12345D. Serial letters exclude I and O
    # and an ordinary serial needs 3+ digits, so words like 新MODEL3 are left alone.
    "plate": (
        rf"[{_PROVINCES}][A-HJ-NP-Z][·•・ \-]?"
        + r"(?:[DF][A-HJ-NP-Z0-9][0-9]{4}|[0-9]{5}[DF]"
        + r"|(?=(?:[A-HJ-NP-Z]*[0-9]){3})[A-HJ-NP-Z0-9]{5})"
        + _NOT_ALNUM_AFTER
    ),
    "mobile": (
        _NOT_DIGIT_BEFORE
        + r"(?:(?:\+|00)?86[ \-]?)?1[3-9][0-9](?:[ \-]?[0-9]{4}){2}"
        + _NOT_DIGIT_AFTER
    ),
    # 010/02x area codes take 8-digit numbers; 0xxx codes take 7 or 8; optional extension.
    "landline": (
        _NOT_DIGIT_BEFORE
        + r"(?:\(0[1-9][0-9]{1,2}\)[ ]?|0[12][0-9][ \-]?(?=[0-9]{8}(?![0-9]))|0[3-9][0-9]{2}[ \-]?)"
        + r"[0-9]{7,8}(?:[ ]*(?:-|转|分机|ext\.?)[ ]*[0-9]{1,5})?"
        + _NOT_DIGIT_AFTER
    ),
}

_COMBINED = re.compile("|".join(f"(?P<{kind}>{pat})" for kind, pat in _PATTERNS.items()))
# Every kind contains an ASCII or full-width digit or an '@'; texts without one are skipped cheaply.
_MAY_CONTAIN = re.compile(r"[0-9@０-９＠]")
# Full-width digits, letters and '@' (not Chinese punctuation such as '，', which is everywhere).
_HAS_FULLWIDTH = re.compile(r"[０-９Ａ-Ｚａ-ｚ＠]")
# Full-width ASCII maps 1:1 onto ASCII, so offsets of matches in the folded copy fit the original.
_FOLD_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}


def _placeholder(match: re.Match[str]) -> str:
    return PLACEHOLDERS[match.lastgroup or ""]


def mask_pii(text: str) -> str:
    """Replace personal data in `text` with typed placeholders such as [手机号] or [车牌].

    Args:
        text: one feedback text (full-width digits and letters are recognised too).

    Returns:
        The text with every phone number, ID-card number, VIN, licence plate and e-mail replaced.
    """
    if not _MAY_CONTAIN.search(text):
        return text
    if not _HAS_FULLWIDTH.search(text):
        return _COMBINED.sub(_placeholder, text)
    folded = text.translate(_FOLD_FULLWIDTH)
    parts: list[str] = []
    last = 0
    for match in _COMBINED.finditer(folded):
        parts.append(text[last : match.start()])
        parts.append(_placeholder(match))
        last = match.end()
    parts.append(text[last:])
    return "".join(parts)


def mask_pii_series(s: pd.Series) -> pd.Series:
    """Mask personal data in every text of `s`; missing values stay missing.

    Args:
        s: texts, shape (n,).

    Returns:
        A new Series of shape (n,), same index, dtype `str`.
    """
    s = s.astype("str")
    # Only texts with a digit or '@' can hold personal data; the rest are not touched.
    candidates = s.str.contains(_MAY_CONTAIN, regex=True, na=False)
    out = s.copy()
    if candidates.any():
        out[candidates] = [mask_pii(t) for t in s[candidates].tolist()]
    return out
