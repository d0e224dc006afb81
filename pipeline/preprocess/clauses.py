"""Splitting feedback into clauses: the unit that is classified (one message often holds several issues)."""

from __future__ import annotations

import re

import pandas as pd

from pipeline.ingest.pii import mask_pii
from pipeline.preprocess.normalize import normalize_text
from pipeline.schema import require_columns

# Clause boundaries: sentence and clause punctuation, line breaks.
# 、 separates list items, not clauses ("方向盘、刹车、油门全部失灵" shares one predicate).
_BOUNDARY = re.compile(r"[。！？；，\n…~～]+")
# A space between Chinese words ends a clause, except after a short list item: "方向盘 刹车 油门全部失灵".
_SPACE = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")
LIST_ITEM_CHARS = 4
# A reply that denies the clause before it belongs to it: "刹车失灵？不存在的".
_DENIAL = re.compile(r"^(?:不存在|怎么可能|没有的事|开玩笑|想多了|谣言)")
# Contrast words start a new clause: "总体还行但是异响很大" holds praise and a complaint. Not where the
# characters belong to another word: 技术不过关 / 不过如此 / 忙不过来 / 不过分 ("not up to standard", ...),
# 比不过 / 超不过 ("cannot beat"), 不只是 ("not only").
_CONTRAST = re.compile(
    r"(?<=[\u4e00-\u9fff])(?:"
    r"(?=但是|可是|然而)"
    r"|(?<![比超说打跑拼斗敌])(?=不过(?!关|如此|来|分|瘾))"
    r"|(?<!不)(?=只是))")
MIN_CLAUSE_CHARS = 3

CLAUSE_COLUMNS = ["clause_id", "feedback_id", "clause_no", "clause"]


def split_clauses(text: str) -> list[str]:
    """Split normalised text into clauses; fragments shorter than 3 characters join their neighbour."""
    parts: list[str] = []
    for chunk in _BOUNDARY.split(text):
        for piece in _split_spaces(chunk):
            parts.extend(p for p in _CONTRAST.split(piece) if p)
    clauses: list[str] = []
    for p in (p.strip() for p in parts):
        if not p:
            continue
        if clauses and (len(p) < MIN_CLAUSE_CHARS or len(clauses[-1]) < MIN_CLAUSE_CHARS or _DENIAL.match(p)):
            clauses[-1] = clauses[-1] + "，" + p
        else:
            clauses.append(p)
    return clauses


def _split_spaces(chunk: str) -> list[str]:
    out: list[str] = []
    start = 0
    for m in _SPACE.finditer(chunk):
        item = chunk[start:m.start()]
        # the text since the last cut is a short list item: keep it with what follows
        if len(item.split()[-1] if item.split() else item) <= LIST_ITEM_CHARS and len(item) <= 3 * (LIST_ITEM_CHARS + 1):
            continue
        out.append(chunk[start:m.start()])
        start = m.end()
    out.append(chunk[start:])
    return out


def to_clauses(feedback: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Normalise each feedback text, mask personal data again and split it into clauses.

    Args:
        feedback: canonical feedback table (needs feedback_id, text).

    Returns:
        (feedback with a `text_norm` column, clauses table with CLAUSE_COLUMNS). A feedback whose
        normalised text is empty (e.g. emoji only) keeps one empty clause so it stays counted.
    """
    require_columns(feedback, ["feedback_id", "text"], "preprocess")
    # Masked again after normalisation: HTML entities, emoji separators and full-width digits can
    # only be read as digits once normalised.
    norm = [mask_pii(normalize_text(t)) for t in feedback["text"].astype(str)]
    out = feedback.assign(text_norm=norm)
    ids, nos, texts = [], [], []
    for fid, t in zip(out["feedback_id"], norm):
        cl = split_clauses(t) or [""]
        ids.extend([fid] * len(cl))
        nos.extend(range(len(cl)))
        texts.extend(cl)
    clauses = pd.DataFrame({
        "feedback_id": pd.Series(ids, dtype=object), "clause_no": pd.Series(nos, dtype="int64"),
        "clause": pd.Series(texts, dtype=object),
    })
    clauses.insert(0, "clause_id", pd.Series([f"{f}#{n}" for f, n in zip(ids, nos)], dtype=object))
    return out, clauses
