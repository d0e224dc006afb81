"""What the taxonomy's rules and facets fire on in a corpus, for reading their precision by eye.

Usage: .venv/bin/python benchmarks/audit_mentions.py DATA [--taxonomy taxonomies/automotive_v2.yaml]
       [--text-column content] [--prefix product.] [--top 40] [--min-term 20] [--sample 5] [--seed 0]
       [--category ID ...] [--term T ...] [--half a]

DATA is a CSV file (e.g. ccf_bdci2018/train_by_content.csv); its text column is `--text-column` (default: the
first of content, title, text it holds). Nothing is trained: the classifier runs with rules and facets only
(no embedder). Printed, for complaint mentions of categories starting with `--prefix`:
  per category   mentions, and `--sample` random clauses with the matched evidence (terms in [brackets])
  per term       mentions whose evidence holds the term (terms firing at least `--min-term` times),
                 with `--sample` random clauses each
`--category` / `--term` print only those (a fixed random sample to judge before and after a change: same
seed, same sample). `--half a` keeps the first half of complaints_dev the way bench_complaints.py draws it
(the other half is held out: never read it). Texts are printed; never commit the output.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from harness import REPO, half_a  # noqa: E402  (puts the repository on sys.path)

from pipeline.classify import Classifier  # noqa: E402
from pipeline.preprocess import to_clauses  # noqa: E402
from pipeline.taxonomy import load_taxonomy  # noqa: E402


def mark(clause: str, terms: list[str]) -> str:
    """The clause with each evidence term in [brackets] (first occurrence)."""
    for t in sorted(set(terms), key=len, reverse=True):
        i = clause.lower().find(t.lower())
        if i >= 0 and "[" not in clause[max(0, i - 1):i + len(t) + 1]:
            clause = f"{clause[:i]}[{clause[i:i + len(t)]}]{clause[i + len(t):]}"
    return clause


def load_mentions(path: Path, taxonomy: Path, column: str | None, half: str | None, seed: int) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    column = column or next(c for c in ("content", "title", "text") if c in df.columns)
    if half is not None:  # the halves of bench_complaints.py
        a = np.array(half_a(len(df), seed))
        df = df[a if half == "a" else ~a]
    feedback = pd.DataFrame({"feedback_id": [f"r{i}" for i in range(len(df))], "text": df[column].tolist()})
    _, clauses = to_clauses(feedback)
    _, mentions = Classifier(load_taxonomy(taxonomy), semantic_threshold=None).fit().classify(clauses)
    m = mentions.merge(clauses[["clause_id", "clause"]], on="clause_id")
    m["terms"] = m["matched_terms"].map(lambda t: list(dict.fromkeys(  # evidence terms, each once
        list(t) if t is not None and not isinstance(t, str) else [x for x in str(t or "").split("|") if x])))
    return m


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("--taxonomy", type=Path, default=REPO / "taxonomies/automotive_v2.yaml")
    ap.add_argument("--text-column", default=None)
    ap.add_argument("--prefix", default="product.")
    ap.add_argument("--top", type=int, default=40, help="categories listed")
    ap.add_argument("--min-term", type=int, default=20, help="terms listed when they fire at least this often")
    ap.add_argument("--sample", type=int, default=5, help="clauses printed per category and per term")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--category", nargs="*", default=None)
    ap.add_argument("--term", nargs="*", default=None)
    ap.add_argument("--half", choices=["a"], default=None, help="complaints_dev: only the half that may be read")
    args = ap.parse_args()

    m = load_mentions(args.data, args.taxonomy, args.text_column, args.half, args.seed)
    m = m[(m["polarity"] == "complaint") & m["category_id"].str.startswith(args.prefix)]
    n_fb = m["feedback_id"].nunique()
    print(f"{len(m)} complaint mentions under {args.prefix!r} in {n_fb} texts")

    def show(sub: pd.DataFrame) -> None:
        k = min(args.sample, len(sub))
        for _, r in sub.sample(k, random_state=args.seed).iterrows() if k else []:
            print(f"    {r['category_id']:<34} {'+'.join(r['terms']):<16} {mark(r['clause'], r['terms'])}")

    counts = m["category_id"].value_counts()
    cats = args.category if args.category is not None else ([] if args.term else counts.index[:args.top].tolist())
    for c in cats:
        sub = m[m["category_id"] == c]
        print(f"\n== {c}: {len(sub)} mentions  (terms: "
              f"{ {k: int(v) for k, v in sub['terms'].explode().value_counts().head(8).items()} })")
        show(sub)
    exploded = m.explode("terms")
    tcounts = exploded["terms"].value_counts()
    terms = args.term if args.term is not None else ([] if args.category else
                                                      tcounts[tcounts >= args.min_term].index.tolist())
    for t in terms:
        sub = m[m["terms"].map(lambda ts: t in ts)]
        print(f"\n-- term {t}: {len(sub)} mentions  (categories: { {k: int(v) for k, v in sub['category_id'].value_counts().head(5).items()} })")
        show(sub)


if __name__ == "__main__":
    main()
