"""Analyst reports on a taxonomy: accuracy on labelled texts, why a text was categorised, how counts move
between two taxonomy versions, and what the uncategorised clauses talk about."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from pipeline.classify.classifier import Classifier
from pipeline.classify.negation import denied_by_next, hearsay_leads
from pipeline.classify.semantic import OFF
from pipeline.preprocess import split_clauses, to_clauses
from pipeline.preprocess.normalize import normalize_text
from pipeline.schema import require_columns
from pipeline.taxonomy import Taxonomy


def predict_texts(clf: Classifier, texts: list[str], embedder=None) -> list[set[str]]:
    """Categories of each text, as counted: the union over its clauses of complaint mentions (any
    mention for aspect categories). Praised or resolved issues do not count."""
    fb = pd.DataFrame({"feedback_id": [str(i) for i in range(len(texts))], "text": texts})
    _, clauses = to_clauses(fb)
    vecs = embedder.embed(clauses["clause"].tolist()) if embedder is not None else None
    _, mentions = clf.classify(clauses, vecs)
    out: list[set[str]] = [set() for _ in texts]
    for fid, cat, pol in zip(mentions["feedback_id"], mentions["category_id"], mentions["polarity"]):
        if pol == "complaint" or clf.taxonomy.polarity_mode(cat).value == "aspect":
            out[int(fid)].add(cat)
    return out


def score_labelled(truth: list[set[str]], pred: list[set[str]], categories: list[str]) -> pd.DataFrame:
    """Per-category precision, recall, F1 and support, plus a micro-average row `(all)`.

    Args:
        truth, pred: for each text, its categories (labelled / predicted).
        categories: rows of the report.
    """
    rows = []
    totals = np.zeros(3)
    for c in categories:
        tp = sum(c in t and c in p for t, p in zip(truth, pred))
        fp = sum(c not in t and c in p for t, p in zip(truth, pred))
        fn = sum(c in t and c not in p for t, p in zip(truth, pred))
        totals += (tp, fp, fn)
        rows.append((c, tp, fp, fn))
    rows.append(("(all)", *totals.astype(int)))
    df = pd.DataFrame(rows, columns=["category_id", "tp", "fp", "fn"])
    df["precision"] = (df.tp / (df.tp + df.fp).clip(lower=1)).round(3)
    df["recall"] = (df.tp / (df.tp + df.fn).clip(lower=1)).round(3)
    df["f1"] = (2 * df.tp / (2 * df.tp + df.fp + df.fn).clip(lower=1)).round(3)
    df["support"] = df.tp + df.fn
    return df[["category_id", "precision", "recall", "f1", "support", "tp", "fp", "fn"]]


def confused_pairs(truth: list[set[str]], pred: list[set[str]], top: int = 10) -> pd.DataFrame:
    """Most frequent (labelled, predicted instead) pairs: a text labelled A, missed as A, given B."""
    pairs: Counter = Counter()
    for t, p in zip(truth, pred):
        for a in t - p:
            for b in (p - t) or {"(none)"}:
                pairs[(a, b)] += 1
    return pd.DataFrame([(a, b, n) for (a, b), n in pairs.most_common(top)], columns=["labelled", "predicted", "texts"])


def explain(clf: Classifier, text: str, segmenter=None, embedder=None, neighbours: int = 3) -> dict:
    """Everything that decided the categories of one text.

    Returns:
        dict with `normalised`, and `clauses`: one dict per clause with tokens, rule hits (category,
        terms, negation), semantic neighbours (example, category, similarity, threshold), mentions
        (category, polarity, method, score, terms), and per final category its path, severity and
        departments with shares.
    """
    norm = normalize_text(text)
    clauses = split_clauses(norm) or [norm]
    vecs = embedder.embed(clauses) if embedder is not None else None
    table = pd.DataFrame({"clause_id": [f"x#{i}" for i in range(len(clauses))], "feedback_id": "x", "clause": clauses})
    _, mentions = clf.classify(table, vecs)
    tax = clf.taxonomy
    story = hearsay_leads(["x"] * len(clauses), clauses)
    denied = denied_by_next(["x"] * len(clauses), clauses)
    out = {"normalised": norm, "clauses": []}
    for i, clause in enumerate(clauses):
        hits = clf.matcher_.match(clause)
        near = []
        if vecs is not None and clf.example_vecs_ is not None:
            sims = clf.example_vecs_ @ vecs[i]
            for j in np.argsort(-sims)[:neighbours]:
                cat = clf.example_cats_[j]
                thr = clf.thresholds_.get(cat, OFF)
                near.append({"example": clf.example_texts_[j], "category_id": cat, "similarity": round(float(sims[j]), 3),
                             "threshold": None if thr >= OFF else round(thr, 3)})
        ms = mentions[mentions["clause_id"] == f"x#{i}"]
        final = []
        for _, m in ms.iterrows():
            cid = m["category_id"]
            final.append({
                "category_id": cid, "path": tax.path_names(cid), "polarity": m["polarity"], "method": m["method"],
                "score": m["score"], "terms": m["matched_terms"], "negation": m["negation"],
                "severity": tax.severity(cid).value, "counts_as_issue": m["polarity"] == "complaint",
                "departments": {tax.departments[d].name: s for d, s in tax.owners(cid).items()},
            })
        out["clauses"].append({
            "clause": clause, "tokens": segmenter.cut(clause) if segmenter is not None else [],
            "rule_hits": [{"category_id": h.category_id, "kind": h.kind, "terms": list(h.terms), "negation": h.state,
                           "method": h.method}
                          for h in hits],
            "neighbours": near, "mentions": final,
            "rejected": rejections(clf, clause, hits, near, {f["category_id"] for f in final},
                                   carried="story" if story[i] else "denied" if denied[i] else None),
        })
    return out


_STATE_REASON = {"negated": "negated", "resolved": "resolved", "hearsay": "not about this car (news, someone else's, "
                 "hypothetical or a simile)",
                 "story": "not about this car (someone else's car or the news, told in the clauses before)",
                 "denied": "negated (the next clause denies it: 从来没有)"}


def rejections(clf: Classifier, clause: str, hits, neighbours: list[dict], counted: set[str],
               carried: str | None = None) -> list[dict]:
    """Why candidate categories of one clause did not become complaint mentions.

    Reasons: negated / resolved / not about this car (rule or facet evidence in that state); domain guard
    (a symptom the component may not have, 冒黑烟 of an exhaust); excluded by a `none` term; below threshold
    (the nearest example is not similar enough); not complaint-like (similar enough, but the clause does
    not sound like a complaint); `carried`: "story" or "denied" when the clauses around this one make its
    evidence someone else's story or deny it.
    """
    from pipeline.classify.classifier import _COMPLAINT_TONE
    from pipeline.classify.negation import clause_negation

    out = []
    for h in hits:
        state = h.state or carried
        if h.kind == "complaint" and state is not None:
            out.append({"candidate": h.category_id, "method": h.method, "terms": list(h.terms),
                        "reason": _STATE_REASON.get(state, state)})
    if clf.matcher_ is not None and clf.matcher_.facets_ is not None:
        trace: list = []
        clf.matcher_.facet_hits(clause, clause.lower(), clause.lower(), [], trace)
        out.extend({"candidate": what, "method": "facet", "terms": [], "reason": why} for what, why in trace)
    if neighbours and not any(h.kind == "complaint" for h in hits):
        top = neighbours[0]
        cat = top["category_id"]
        if cat not in counted:
            if top["threshold"] is None or top["similarity"] < top["threshold"]:
                reason = "below threshold"
            elif not _COMPLAINT_TONE.search(clause) or clause_negation(clause) is not None:
                reason = "not complaint-like"
            else:
                reason = "filtered"
            out.append({"candidate": cat, "method": "semantic", "terms": [top["example"]],
                        "reason": f"{reason} ({top['similarity']} vs {top['threshold']})"})
    return out


def count_mentions(clf: Classifier, feedback: pd.DataFrame, embedder=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Complaining feedback per category and share-weighted load per department.

    Args:
        feedback: table with feedback_id and text (channel / vehicle_model when the taxonomy filters).

    Returns:
        (category_id, name, feedback) and (department_id, name, load) tables.
    """
    require_columns(feedback, ["feedback_id", "text"], "count_mentions")
    keep = [c for c in ("channel", "vehicle_model") if c in feedback.columns]
    _, clauses = to_clauses(feedback)
    clauses = clauses.merge(feedback[["feedback_id", *keep]], on="feedback_id") if keep else clauses
    vecs = embedder.embed(clauses["clause"].tolist()) if embedder is not None else None
    _, mentions = clf.classify(clauses, vecs)
    issues = mentions[mentions["polarity"] == "complaint"].drop_duplicates(["feedback_id", "category_id"])
    tax = clf.taxonomy
    per_cat = issues.groupby("category_id").size()
    cats = pd.DataFrame({"category_id": tax.leaf_ids, "name": [tax.categories[c].name for c in tax.leaf_ids]})
    cats["feedback"] = cats["category_id"].map(per_cat).fillna(0).astype(int)
    load: dict[str, float] = {}
    for cid, n in per_cat.items():
        for dept, share in tax.owners(cid).items():
            load[dept] = load.get(dept, 0.0) + share * n
    depts = pd.DataFrame({"department_id": list(tax.departments),
                          "name": [d.name for d in tax.departments.values()]})
    depts["load"] = depts["department_id"].map(load).fillna(0.0).round(2)
    return cats, depts


def diff_counts(old: Classifier, new: Classifier, feedback: pd.DataFrame, embedder=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """How complaint counts per category and load per department move from `old` to `new` on the same data.

    Returns:
        (category_id, name, old, new, change) and (department_id, name, old, new, change); rows whose
        id exists in only one version show 0 on the other side. Sorted by the size of the change.
    """
    out = []
    for key, (a, b) in zip(("category_id", "department_id"),
                           zip(count_mentions(old, feedback, embedder), count_mentions(new, feedback, embedder))):
        value = "feedback" if key == "category_id" else "load"
        m = a.rename(columns={value: "old"}).merge(b.rename(columns={value: "new"}), on=key, how="outer",
                                                  suffixes=("_old", ""))
        m["name"] = m["name"].fillna(m["name_old"])
        m[["old", "new"]] = m[["old", "new"]].fillna(0)
        m["change"] = m["new"] - m["old"]
        m = m[[key, "name", "old", "new", "change"]]
        out.append(m.reindex(m["change"].abs().sort_values(ascending=False, kind="stable").index).reset_index(drop=True))
    return out[0], out[1]


def suggest(clf: Classifier, feedback: pd.DataFrame, segmenter, embedder=None, top_terms: int = 20,
            n_clusters: int = 5, min_count: int = 2) -> dict:
    """What the uncategorised clauses talk about: material for new categories or new rule terms.

    Returns:
        dict with `uncategorised` (count of clauses no category claimed, of `total`), `terms`
        (term, count, lift over categorised clauses), `clusters` (size, top terms, sample clauses;
        needs an embedder) and `synonyms` (frequent term, nearest category, its closest rule term,
        similarity; needs an embedder).
    """
    from pipeline.preprocess import stopwords

    _, clauses = to_clauses(feedback)
    vecs = embedder.embed(clauses["clause"].tolist()) if embedder is not None else None
    _, mentions = clf.classify(clauses, vecs)
    claimed = set(mentions["clause_id"])
    mask = ~clauses["clause_id"].isin(claimed) & (clauses["clause"].str.len() > 0)
    stop = stopwords()
    tok = [[t for t in segmenter.cut(c) if len(t) > 1 and t not in stop and not t.isdigit()] for c in clauses["clause"]]
    un = Counter(t for i in np.flatnonzero(mask) for t in set(tok[i]))
    cl = Counter(t for i in np.flatnonzero(~mask) for t in set(tok[i]))
    n_un, n_cl = max(1, int(mask.sum())), max(1, int((~mask).sum()))
    terms = [(t, n, round((n / n_un) / ((cl[t] + 1) / n_cl), 2)) for t, n in un.most_common() if n >= min_count]
    terms = sorted(terms, key=lambda x: (-x[1], -x[2]))[:top_terms]
    out = {"total": len(clauses), "uncategorised": int(mask.sum()),
           "terms": pd.DataFrame(terms, columns=["term", "clauses", "lift"]), "clusters": [], "synonyms": pd.DataFrame()}
    idx = np.flatnonzero(mask)
    if embedder is not None and len(idx) >= 2:
        from sklearn.cluster import KMeans

        k = min(n_clusters, len(idx))
        labels = KMeans(n_clusters=k, n_init=4, random_state=0).fit_predict(vecs[idx])
        for c in pd.Series(labels).value_counts().index:
            members = idx[labels == c]
            words = Counter(t for i in members for t in set(tok[i])).most_common(5)
            centre = vecs[members].mean(axis=0)
            order = members[np.argsort(-(vecs[members] @ centre))]
            out["clusters"].append({"size": len(members), "terms": [w for w, _ in words],
                                    "samples": clauses["clause"].iloc[order[:3]].tolist()})
        cand = [t for t, _, _ in terms]
        rule_terms = sorted({t for cid in clf.taxonomy.leaf_ids for t in clf.taxonomy.categories[cid].rules.any
                             if "*" not in t})
        if cand and rule_terms:
            owner = {}
            for cid in clf.taxonomy.leaf_ids:
                for t in clf.taxonomy.categories[cid].rules.any:
                    owner.setdefault(t, cid)
            sims = embedder.embed(cand) @ embedder.embed(rule_terms).T
            rows = []
            for i, t in enumerate(cand):
                j = int(sims[i].argmax())
                rows.append((t, rule_terms[j], owner[rule_terms[j]], round(float(sims[i, j]), 3)))
            out["synonyms"] = pd.DataFrame(rows, columns=["term", "nearest_rule_term", "category_id", "similarity"]
                                           ).sort_values("similarity", ascending=False).reset_index(drop=True)
    return out
