"""Text normalisation for Chinese feedback: width, script, markup, emoji, punctuation."""

from __future__ import annotations

import html
import re
import unicodedata

import yaml
import zhconv
from importlib import resources

_HTML_TAG = re.compile(r"<[^>]{1,200}>")
_URL = re.compile(r"(?:https?://|www\.)[\w\-./?=&%#:+~]+", re.IGNORECASE)
_MENTION = re.compile(r"@[\w\u4e00-\u9fff\-]{1,30}")
_HASHTAG = re.compile(r"#([^#\s]{1,40})#")
# Emoji, pictographs, dingbats, variation selectors, zero-width joiners, keycaps.
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U00002300-\U000023ff\U00002b00-\U00002bff"
    "\U0001f1e6-\U0001f1ff\ufe0e\ufe0f\u200d\u20e3\u2190-\u21ff]+"
)
# NFKC turns full-width ，！？：； into ASCII; fold them back to Chinese punctuation so clause
# splitting and display treat them alike.
_ASCII_TO_CJK_PUNCT = str.maketrans({",": "，", "!": "！", "?": "？", ";": "；", ":": "："})
_REPEATED_PUNCT = re.compile(r"([，。！？；：、~～…\.\-—])\1+")
_SPACES = re.compile(r"\s+")
_TYPOS: dict[str, str] = yaml.safe_load(
    resources.files("pipeline.resources").joinpath("typos.yaml").read_text(encoding="utf-8")
)
_TYPO_RE = re.compile("|".join(sorted(map(re.escape, _TYPOS), key=len, reverse=True)))


def normalize_text(text: str) -> str:
    """Normalise one feedback text for matching, embedding and display.

    Unescapes HTML and drops tags, URLs, @mentions and emoji; keeps hashtag words; folds
    full-width forms (NFKC); converts traditional to simplified characters; corrects common
    homophone typos (resources/typos.yaml: 杀车 -> 刹车, 卡屯 -> 卡顿); collapses repeated
    punctuation and whitespace.
    """
    if not text:
        return ""
    # Tags go before unescaping: "&lt;售后&gt;" is text the customer wrote, not markup.
    t = html.unescape(_HTML_TAG.sub("，", unicodedata.normalize("NFKC", text)))
    t = _URL.sub(" ", t)
    t = _MENTION.sub(" ", t)
    t = _HASHTAG.sub(r" \1 ", t)
    t = _EMOJI.sub(" ", t)
    t = t.translate(_ASCII_TO_CJK_PUNCT)
    t = zhconv.convert(t, "zh-cn")
    t = _TYPO_RE.sub(lambda m: _TYPOS[m.group(0)], t)
    t = _REPEATED_PUNCT.sub(r"\1", t)
    t = _SPACES.sub(" ", t).strip(" ，")
    return t
