"""Category and department ids: plain ASCII, so two ids that look the same are the same id.

A zero-width space or a Cyrillic 'о' inside an id makes a second category that displays like the
first and counts the same complaint again; lint refuses such ids and says which character it is.
"""

from __future__ import annotations

import re
import unicodedata

ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]*")
ALLOWED = "ASCII letters, digits, '.', '_' and '-'"


def _describe(ch: str) -> str:
    name = unicodedata.name(ch, "unnamed")
    code = f"U+{ord(ch):04X} {name}"
    category = unicodedata.category(ch)
    if category in {"Cf", "Cc", "Zs", "Zl", "Zp", "Mn"} or ch in "\ufeff\u200b\u2060":
        return f"an invisible character {code}"
    folded = unicodedata.normalize("NFKD", ch)
    if folded.isascii() and folded.strip():
        return f"a look-alike character {code} (looks like {folded!r})"
    for script in ("CYRILLIC", "GREEK", "ARMENIAN", "FULLWIDTH"):
        if name.startswith(script):
            return f"a look-alike character {code}"
    return f"a non-ASCII character {code}"


def id_problem(value: str, what: str = "category id") -> str | None:
    """Why `value` is not a valid id (naming the first bad character and its position), or None."""
    if ID_PATTERN.fullmatch(value):
        return None
    if not value:
        return f"{what} is empty"
    for pos, ch in enumerate(value):
        if not (ch.isascii() and (ch.isalnum() or ch in "._-")):
            shown = value.encode("ascii", "backslashreplace").decode("ascii")
            return f"{what} '{shown}' has {_describe(ch)} at position {pos}; ids are {ALLOWED}"
    return f"{what} '{value}' must start with a letter or digit; ids are {ALLOWED}"
