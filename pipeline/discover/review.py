"""The analysts' review file of emerging issues, and accepting a proposal into a taxonomy file."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field

from pipeline.errors import InputError
from pipeline.schema import require_columns
from pipeline.taxonomy import Taxonomy, load_taxonomy
from pipeline.yamlio import LocatedYaml

MIN_TERM_CHARS = 2  # one-character keywords (卡, 响) match far too much on their own


class DraftCategory(BaseModel):
    """A taxonomy entry in the taxonomy file's own format, ready to be written on acceptance."""

    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    parent: str | None = None
    severity: str = "normal"
    owners: dict[str, float] = {}
    rules: dict[str, list[str]] = {}
    examples: dict[str, list[str]] = {}


class Proposal(BaseModel):
    """One emerging category or topic for an analyst to review."""

    model_config = ConfigDict(extra="forbid")
    id: str
    kind: str  # category | topic
    key: str
    label: str = ""
    keywords: list[str] = []
    examples: list[str] = []
    count: int
    rate: float
    baseline_rate: float
    growth: float | None = None
    q_value: float
    suggestion: str  # existing | new
    suggested_category: str | None = None
    suggested_confidence: float | None = None
    proposed_category: DraftCategory | None = None
    decision: str = "pending"  # pending | accepted | rejected


class ReviewFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    period: str
    topic_model_version: str
    database: str = ""
    proposals: list[Proposal] = Field(default_factory=list)


def build_proposals(emerging: pd.DataFrame, topics: pd.DataFrame, taxonomy: Taxonomy,
                    examples: dict[int, list[str]] | None = None) -> list[Proposal]:
    """Turn the emerging rows of one period into review proposals.

    A surging category is reported as itself (suggestion `existing`). A surging topic that maps to a
    category with enough confidence suggests that category; an unmapped one proposes a new category
    drafted from its keywords and example clauses, placed beside its nearest category (same parent
    and owners), so accepting it yields an entry `voc taxonomy lint` passes.

    Args:
        emerging: rows of `detect_emerging` (is_emerging rows are used).
        topics: the topic table (topic_id, label, keywords, category_id, confidence, status,
            representative_clauses).
        taxonomy: the taxonomy the proposals are checked against.
        examples: topic id -> example clauses from the emerging period (best first); default the
            topic table's representative clauses.
    """
    require_columns(emerging, ["kind", "key", "count", "rate", "baseline_rate", "growth", "q_value", "is_emerging"], "build_proposals")
    require_columns(topics, ["topic_id", "label", "keywords", "category_id", "confidence", "representative_clauses"], "build_proposals")
    tops = topics.set_index("topic_id")
    out: list[Proposal] = []
    for row in emerging[emerging["is_emerging"]].itertuples(index=False):
        common = {"id": f"E{len(out) + 1}", "kind": row.kind, "key": str(row.key), "count": int(row.count),
                  "rate": round(float(row.rate), 5), "baseline_rate": round(float(row.baseline_rate), 5),
                  "growth": None if pd.isna(row.growth) or row.growth == float("inf") else round(float(row.growth), 2),
                  "q_value": float(f"{row.q_value:.3g}")}
        if row.kind == "category":
            name = taxonomy.categories[row.key].name if row.key in taxonomy.categories else row.key
            out.append(Proposal(**common, label=name, suggestion="existing", suggested_category=row.key,
                                suggested_confidence=1.0))
            continue
        tid = int(row.key)
        if tid not in tops.index:
            continue
        t = tops.loc[tid]
        keywords = [w for w in str(t["keywords"]).split("|") if w]
        ex = (examples or {}).get(tid) or [c for c in str(t["representative_clauses"]).split(" | ") if c]
        mapped = t["category_id"] if isinstance(t["category_id"], str) and t["category_id"] in taxonomy.categories else None
        draft = draft_category(f"topic_{tid}", str(t["label"]), keywords, ex, taxonomy, near=mapped)
        out.append(Proposal(**common, label=str(t["label"]), keywords=keywords, examples=ex[:8],
                            suggestion="existing" if mapped else "new", suggested_category=mapped,
                            suggested_confidence=float(t["confidence"]) if mapped else None, proposed_category=draft))
    return out


def draft_category(slug: str, label: str, keywords: list[str], examples: list[str], taxonomy: Taxonomy,
                   near: str | None = None) -> DraftCategory | None:
    """A new leaf category from a topic: rule terms are keywords its examples contain.

    Args:
        slug: id suffix (the category id becomes `<parent>.<slug>`).
        near: an existing category the topic resembles; the draft becomes its sibling. Default: the
            first category whose rule terms share a keyword, else the top-level group of the first one.

    Returns:
        The draft, or None when no keyword of at least MIN_TERM_CHARS occurs in the examples.
    """
    terms = [w for w in keywords if len(w) >= MIN_TERM_CHARS and any(w in e for e in examples)][:5]
    if not terms:
        return None
    matched = [e for e in examples if any(w in e for w in terms)][:5]
    if near is None:
        near = next((cid for cid in taxonomy.leaf_ids if set(terms) & set(taxonomy.categories[cid].rules.any)),
                    taxonomy.leaf_ids[0])
    parent = taxonomy.categories[near].parent
    base_id = f"{parent}.{slug}" if parent else slug
    cid, n = base_id, 2
    while cid in taxonomy.categories:
        cid, n = f"{base_id}_{n}", n + 1
    return DraftCategory(id=cid, name=label.replace("·", "") or cid, parent=parent, owners=taxonomy.owners(near),
                         rules={"any": terms}, examples={"match": matched, "no_match": []})


def write_review(path: str | Path, review: ReviewFile) -> Path:
    """Write the review file (YAML, Chinese kept readable)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = ("# 新兴问题审核 Emerging issues to review. Set `decision` to accepted or rejected; accept a proposal\n"
              "# into a taxonomy file with: voc topics accept THIS_FILE <id> --taxonomy BASE.yaml --out NEW.yaml\n")
    body = yaml.safe_dump(review.model_dump(mode="json"), allow_unicode=True, sort_keys=False, width=120)
    path.write_text(header + body, encoding="utf-8")
    return path


def read_review(path: str | Path) -> ReviewFile:
    """Load and validate a review file (errors name the file, line and field)."""
    return LocatedYaml.load(path).validate(ReviewFile)


def accept_proposal(review_path: str | Path, proposal_id: str, taxonomy_path: str | Path, out_path: str | Path,
                    category_id: str | None = None, name: str | None = None, parent: str | None = None,
                    owners: dict[str, float] | None = None, terms: list[str] | None = None) -> Taxonomy:
    """Write the base taxonomy plus the proposal's category to `out_path`, check it, mark the proposal.

    The base file is copied with its comments and layout (ruamel round trip) and the new entry is
    appended to `categories`; the result must load and its examples must behave, else nothing is
    written. Overrides let the analyst fix the id, name, parent, owners or rule terms on the way.

    Returns:
        The loaded new taxonomy.
    """
    from ruamel.yaml import YAML

    from pipeline.classify import example_failures

    review = read_review(review_path)
    prop = next((p for p in review.proposals if p.id == proposal_id), None)
    if prop is None:
        raise InputError(f"no proposal '{proposal_id}'; the file has {[p.id for p in review.proposals]}", file=review_path)
    if prop.proposed_category is None:
        raise InputError(f"proposal {proposal_id} is the existing category '{prop.suggested_category}': nothing to add",
                         file=review_path)
    draft = prop.proposed_category.model_copy(deep=True)
    draft.id = category_id or draft.id
    draft.name, draft.parent = name or draft.name, parent or draft.parent
    draft.owners = owners or draft.owners
    if terms:
        draft.rules = {"any": terms}
        draft.examples = {"match": [e for e in prop.examples if any(t in e for t in terms)][:5], "no_match": []}
        if not draft.examples["match"]:
            # A category whose rules match none of the clauses that made it emerge describes something else.
            raise InputError(f"none of proposal {proposal_id}'s example clauses contains any of the terms {terms}",
                             file=review_path)
    base = load_taxonomy(taxonomy_path)
    if draft.id in base.categories:
        raise InputError(f"category id '{draft.id}' already exists; pass another with --category-id", file=taxonomy_path)
    rt = YAML()
    rt.preserve_quotes = True
    rt.width = 4096
    rt.indent(mapping=2, sequence=4, offset=2)  # the taxonomy files' own layout
    doc = rt.load(Path(taxonomy_path).read_text(encoding="utf-8"))
    entry = {"name": draft.name, "parent": draft.parent, "severity": draft.severity, "owners": _flow(draft.owners),
             "rules": {k: _flow(v) for k, v in draft.rules.items()},
             "examples": {k: _flow(v) for k, v in draft.examples.items() if v}}
    doc["categories"][draft.id] = {k: v for k, v in entry.items() if v is not None}
    doc["version"] = f"{doc['version']}+{re.sub(r'[^A-Za-z0-9_]+', '_', draft.id)}"
    buf = io.StringIO()
    rt.dump(doc, buf)
    out_path = Path(out_path)
    tmp = out_path.with_name(f".{out_path.name}.tmp")
    tmp.write_text(buf.getvalue(), encoding="utf-8")
    try:
        tax = load_taxonomy(tmp)
        bad = [f for f in example_failures(tax) if f[0] == draft.id]
        if bad:
            raise InputError(f"the new category's examples do not behave: {bad}; pass --terms to change its rules",
                             file=out_path)
    except Exception:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(out_path)
    for p in review.proposals:
        if p.id == proposal_id:
            p.decision = "accepted"
    write_review(review_path, review)
    return load_taxonomy(out_path)


def _flow(value):
    """A list or mapping written inline (`[a, b]`, `{a: 1}`), as the taxonomy files write them."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    out = CommentedMap(value) if isinstance(value, dict) else CommentedSeq(value)
    out.fa.set_flow_style()
    return out


def topic_examples(clauses: pd.DataFrame, period, n: int = 8) -> dict[int, list[str]]:
    """Per topic, its distinct clauses of `period` closest to the topic centroid (best first).

    Args:
        clauses: period, topic_id, topic_similarity, clause.
    """
    require_columns(clauses, ["period", "topic_id", "topic_similarity", "clause"], "topic_examples")
    c = clauses[(clauses["period"] == period) & (clauses["topic_id"] >= 0)]
    c = c.sort_values("topic_similarity", ascending=False).drop_duplicates(["topic_id", "clause"])
    return {int(t): g["clause"].head(n).tolist() for t, g in c.groupby("topic_id")}
