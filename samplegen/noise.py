"""Realistic text noise: typos, traditional characters, emoji, full-width forms, punctuation, HTML."""

from __future__ import annotations

import zhconv

from samplegen.draws import Draws
from samplegen.framing import EMOJI
from samplegen.phrases import TYPOS

# Per channel: chance of each noise kind. The 400 file is GBK, which has no emoji and is exported
# from a simplified-Chinese system, so that channel gets neither.
RATES: dict[str, dict[str, float]] = {
    "nps": {"typo": 0.05, "fullwidth": 0.03, "traditional": 0.03, "emoji": 0.06, "punct": 0.07},
    "call_center": {"typo": 0.03, "fullwidth": 0.04, "traditional": 0.0, "emoji": 0.0, "punct": 0.02},
    "dealer": {"typo": 0.04, "fullwidth": 0.03, "traditional": 0.02, "emoji": 0.0, "punct": 0.02},
    "social": {"typo": 0.05, "fullwidth": 0.03, "traditional": 0.05, "emoji": 0.22, "punct": 0.10},
    "app": {"typo": 0.05, "fullwidth": 0.03, "traditional": 0.03, "emoji": 0.10, "punct": 0.08},
}
_FULLWIDTH = {cp: cp + 0xFEE0 for cp in [*range(0x30, 0x3A), *range(0x41, 0x5B), *range(0x61, 0x7B)]}
_END_MARKS = "。！？!?"


def add_typo(text: str, d: Draws) -> str:
    """Replace one word with a common misspelling of it; unchanged if none of the words occurs."""
    present = [w for w in TYPOS if w in text]
    if not present:
        return text
    word = d.choice(present)
    return text.replace(word, TYPOS[word], 1)


def to_fullwidth(text: str) -> str:
    """Turn ASCII letters and digits into their full-width forms (OTA -> ＯＴＡ, S7 -> Ｓ７)."""
    return text.translate(_FULLWIDTH)


def to_traditional(text: str, d: Draws, partial: bool) -> str:
    """Convert the whole text, or one of its clauses, to traditional characters."""
    if not partial:
        return zhconv.convert(text, "zh-hant")
    clauses = text.split("，")
    i = d.integer(0, len(clauses) - 1)
    clauses[i] = zhconv.convert(clauses[i], "zh-hant")
    return "，".join(clauses)


def add_emoji(text: str, d: Draws) -> str:
    """Append or insert one to three emoji."""
    marks = "".join(d.choice(EMOJI) for _ in range(d.integer(1, 3)))
    if d.chance(0.7) or "，" not in text:
        return text + marks
    head, _, tail = text.partition("，")
    return f"{head}{marks}，{tail}"


def repeat_punctuation(text: str, d: Draws) -> str:
    """End the text with repeated exclamation or question marks, as angry writers do."""
    marks = d.choice(("！！！", "？？？", "!!!", "。。。", "！！！！", "?!"))
    return text.rstrip(_END_MARKS) + marks


def apply_noise(text: str, channel: str, d: Draws) -> tuple[str, list[str]]:
    """Apply the channel's noise kinds at random and report which ones changed the text.

    Args:
        text: the clean composed text.
        channel: nps | call_center | dealer | social | app.
        d: random draws.

    Returns:
        The noisy text and the names of the noise kinds applied (typo, fullwidth, traditional,
        traditional_partial, emoji, punct).
    """
    rates = RATES[channel]
    applied: list[str] = []
    if d.chance(rates["typo"]):
        new = add_typo(text, d)
        if new != text:
            text, applied = new, [*applied, "typo"]
    if d.chance(rates["fullwidth"]):
        new = to_fullwidth(text)
        if new != text:
            text, applied = new, [*applied, "fullwidth"]
    if d.chance(rates["traditional"]):
        partial = d.chance(0.35) and "，" in text
        new = to_traditional(text, d, partial)
        if new != text:
            text, applied = new, [*applied, "traditional_partial" if partial else "traditional"]
    if d.chance(rates["punct"]):
        text, applied = repeat_punctuation(text, d), [*applied, "punct"]
    if d.chance(rates["emoji"]):
        text, applied = add_emoji(text, d), [*applied, "emoji"]
    return text, applied


def add_html(text: str, d: Draws) -> tuple[str, list[str]]:
    """Leave HTML fragments and short links in a social post, as scraped exports do.

    Returns:
        The text and the kinds added (html, url).
    """
    kinds: list[str] = []
    if d.chance(0.25):
        text = text.replace("。", "。<br>", d.integer(1, 2))
        if "<br>" not in text:
            text = f"<p>{text}</p>"
        kinds.append("html")
    if d.chance(0.2):
        code = "".join(d.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789") for _ in range(7))
        link = d.choice((f" https://t.cn/{code}", f" 网页链接 https://t.cn/{code}", f" https://v.douyin.com/{code}/"))
        text += link
        kinds.append("url")
    if d.chance(0.05):
        text = text.replace("，", "&nbsp;", 1)
        kinds.append("html")
    return text, sorted(set(kinds))
