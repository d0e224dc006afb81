"""`voc taxonomy diff` done at analyst speed: each distinct text is classified once by each taxonomy
version (its clause vectors come from the embedding cache), counts are weighted by how many feedback
carry the text, and every text whose categories change is listed with before, after and why."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.classify.classifier import Classifier
from pipeline.preprocess import to_clauses
from pipeline.schema import require_columns
from pipeline.taxonomy import Scope

FILTER_COLUMNS = ("channel", "vehicle_model")  # what a taxonomy's filters read besides the text
MOVED_COLUMNS = ["text", "feedback", "before", "after", "removed", "added", "reason"]


def distinct_feedback(feedback: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct (text, channel, vehicle_model), with `feedback` = how many rows carry it.

    Args:
        feedback: feedback_id, text (channel, vehicle_model when present).

    Returns:
        feedback_id (the first row's), text, the filter columns present, feedback (int); in first-seen order.
    """
    require_columns(feedback, ["feedback_id", "text"], "taxonomy diff")
    keys = ["text", *[c for c in FILTER_COLUMNS if c in feedback.columns]]
    fb = feedback[["feedback_id", *keys]].copy()
    fb[keys] = fb[keys].astype(str)
    g = fb.groupby(keys, sort=False, dropna=False)
    out = g.first().reset_index()
    out["feedback"] = g.size().to_numpy()
    return out[["feedback_id", *keys, "feedback"]]


def text_clauses(distinct: pd.DataFrame) -> pd.DataFrame:
    """Clauses of the distinct texts (normalised, PII-masked, split as the daily flow does), with the
    filter columns of their feedback."""
    _, clauses = to_clauses(distinct[["feedback_id", "text"]])
    cols = [c for c in FILTER_COLUMNS if c in distinct.columns]
    return clauses.merge(distinct[["feedback_id", *cols]], on="feedback_id", how="left") if cols else clauses


def clause_units(clauses: pd.DataFrame, classifiers: list[Classifier]) -> tuple[pd.DataFrame, np.ndarray]:
    """The distinct (clause, channel, vehicle_model) of `clauses`: what a classifier has to look at.

    A clause's categories depend on its text and the filter columns alone, unless a category's rules read
    the whole feedback (scope: feedback); then every clause is its own unit.

    Returns:
        (units: clause_id = feedback_id = `u<k>`, clause, filter columns; code: (len(clauses),) unit of each row).
    """
    cols = [c for c in FILTER_COLUMNS if c in clauses.columns]
    whole = any(clf.taxonomy.scope(c) == Scope.feedback for clf in classifiers for c in clf.taxonomy.leaf_ids)
    if whole:
        code = np.arange(len(clauses))
    else:
        key = clauses["clause"].astype(str)
        for c in cols:
            key = key + "\x1f" + clauses[c].astype(str)
        code, _ = pd.factorize(key)
    first = pd.Series(np.arange(len(clauses))).groupby(code).first().to_numpy()
    units = clauses.iloc[first][["clause", *cols]].reset_index(drop=True)
    ids = [f"u{k}" for k in range(len(units))]
    units.insert(0, "feedback_id", ids)
    units.insert(0, "clause_id", ids)
    return units, np.asarray(code)


def needs_vectors(classifiers: list[Classifier], units: pd.DataFrame) -> np.ndarray:
    """Units whose vector any of the classifiers can read: bool (n,).

    The semantic lanes only look at clauses no rule claims (and a supervised head at every clause), so
    a clause every version's rules claim needs no embedding. On generated data this cuts what a first
    diff embeds to a third; on real text (mostly unclaimed) it changes little.
    """
    if any(c.head is not None for c in classifiers):
        return np.ones(len(units), dtype=bool)
    need = np.zeros(len(units), dtype=bool)
    for clf in classifiers:
        _, mentions = clf.classify(units, None)
        need |= ~units["clause_id"].isin(set(mentions["clause_id"])).to_numpy()
    return need & (units["clause"].str.len() > 0).to_numpy()


def counted(clf: Classifier, units: pd.DataFrame, vectors: np.ndarray | None, code: np.ndarray,
            clause_feedback: pd.Series) -> tuple[dict[str, set[str]], dict[tuple[str, str], str], pd.DataFrame]:
    """Each feedback's counted categories (complaints; any mention of aspect categories), with evidence.

    Args:
        units, code: from clause_units; vectors: (len(units), d) or None.
        clause_feedback: feedback_id of each clause row (aligned with `code`).

    Returns:
        ({feedback_id: categories}, {(feedback_id, category_id): evidence}, the units' mentions).
    """
    _, mentions = clf.classify(units, vectors)
    unit_cats: dict[int, set[str]] = {}
    unit_ev: dict[int, dict[str, str]] = {}
    for r in mentions.itertuples(index=False):
        k = int(r.clause_id[1:])
        if r.polarity == "complaint" or clf.taxonomy.polarity_mode(r.category_id).value == "aspect":
            unit_cats.setdefault(k, set()).add(r.category_id)
        ev = unit_ev.setdefault(k, {})
        if r.category_id not in ev:
            ev[r.category_id] = _evidence(r)
    cats: dict[str, set[str]] = {}
    evidence: dict[tuple[str, str], str] = {}
    for fid, k in zip(clause_feedback, code):
        cats.setdefault(fid, set()).update(unit_cats.get(int(k), ()))
        for c, e in unit_ev.get(int(k), {}).items():
            evidence.setdefault((fid, c), e)
    return cats, evidence, mentions


def _evidence(r) -> str:
    """How a mention was found: `rule 异响|咯吱`, `semantic 0.83 例句`, with its polarity when not a complaint."""
    what = f"{r.method} {r.matched_terms}".strip() if r.method == "rule" else f"{r.method} {r.score:g} {r.matched_terms}".strip()
    if r.polarity != "complaint":
        what += f" ({r.polarity}{', ' + r.negation if isinstance(r.negation, str) and r.negation else ''})"
    return what


def moved_texts(distinct: pd.DataFrame, before: dict[str, set[str]], after: dict[str, set[str]],
                ev_old: dict[tuple[str, str], str], ev_new: dict[tuple[str, str], str], old: Classifier,
                new: Classifier) -> pd.DataFrame:
    """The texts whose counted categories differ between two versions, most frequent first.

    Returns:
        MOVED_COLUMNS: text, feedback (rows carrying it), before / after (category names joined with
        、), removed / added (ids), reason (per changed category: the evidence in the version that
        counts it, and what the other version made of it).
    """
    name_old = {c: old.taxonomy.categories[c].name for c in old.taxonomy.categories}
    name_new = {c: new.taxonomy.categories[c].name for c in new.taxonomy.categories}
    rows = []
    for fid, text, n in zip(distinct["feedback_id"], distinct["text"], distinct["feedback"]):
        a, b = before.get(fid, set()), after.get(fid, set())
        if a == b:
            continue
        why = []
        for c in sorted(b - a):
            was = ("类别为新增 new category" if c not in old.taxonomy.categories
                   else f"旧版 old: {ev_old[(fid, c)]}" if (fid, c) in ev_old else "旧版未匹配 old: no match")
            why.append(f"+{name_new.get(c, c)}: {ev_new.get((fid, c), '?')}；{was}")
        for c in sorted(a - b):
            now = ("类别已删除 category removed" if c not in new.taxonomy.categories
                   else f"新版 new: {ev_new[(fid, c)]}" if (fid, c) in ev_new else "新版未匹配 new: no match")
            why.append(f"-{name_old.get(c, c)}: {ev_old.get((fid, c), '?')}；{now}")
        rows.append((text, int(n), "、".join(name_old.get(c, c) for c in sorted(a)) or "—",
                     "、".join(name_new.get(c, c) for c in sorted(b)) or "—",
                     "|".join(sorted(a - b)), "|".join(sorted(b - a)), " / ".join(why)))
    out = pd.DataFrame(rows, columns=MOVED_COLUMNS)
    # The same text on several channels or models is one line when it moved the same way everywhere.
    out = out.groupby([c for c in MOVED_COLUMNS if c != "feedback"], sort=False, as_index=False)["feedback"].sum()
    return out[MOVED_COLUMNS].sort_values("feedback", ascending=False, kind="stable").reset_index(drop=True)


def count_tables(distinct: pd.DataFrame, before: dict[str, set[str]], after: dict[str, set[str]],
                 old: Classifier, new: Classifier) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Complaining feedback per category and share-weighted load per department, old against new.

    Returns:
        (category_id, name, old, new, change) and (department_id, name, old, new, change), largest
        change first; an id present in one version only shows 0 on the other side.
    """
    weight = dict(zip(distinct["feedback_id"], distinct["feedback"]))

    def per_category(cats: dict[str, set[str]]) -> dict[str, int]:
        out: dict[str, int] = {}
        for fid, cs in cats.items():
            for c in cs:
                out[c] = out.get(c, 0) + int(weight[fid])
        return out

    def per_department(counts: dict[str, int], clf: Classifier) -> dict[str, float]:
        load: dict[str, float] = {}
        for c, n in counts.items():
            for d, s in clf.taxonomy.owners(c).items():
                load[d] = load.get(d, 0.0) + s * n
        return load

    co, cn = per_category(before), per_category(after)
    tables = []
    for key, a, b, names in (
        ("category_id", {c: co.get(c, 0) for c in old.taxonomy.leaf_ids}, {c: cn.get(c, 0) for c in new.taxonomy.leaf_ids},
         {**{c: old.taxonomy.categories[c].name for c in old.taxonomy.leaf_ids},
          **{c: new.taxonomy.categories[c].name for c in new.taxonomy.leaf_ids}}),
        ("department_id", {d: 0.0 for d in old.taxonomy.departments} | per_department(co, old),
         {d: 0.0 for d in new.taxonomy.departments} | per_department(cn, new),
         {**{d: v.name for d, v in old.taxonomy.departments.items()},
          **{d: v.name for d, v in new.taxonomy.departments.items()}}),
    ):
        ids = list(dict.fromkeys([*a, *b]))
        t = pd.DataFrame({key: ids, "name": [names.get(i, i) for i in ids],
                          "old": [a.get(i, 0) for i in ids], "new": [b.get(i, 0) for i in ids]})
        if key == "department_id":
            t[["old", "new"]] = t[["old", "new"]].astype(float).round(2)
        t["change"] = t["new"] - t["old"]
        tables.append(t.reindex(t["change"].abs().sort_values(ascending=False, kind="stable").index).reset_index(drop=True))
    return tables[0], tables[1]
