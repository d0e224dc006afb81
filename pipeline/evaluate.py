"""Scoring categorisation against labelled feedback: per-category precision, recall and F1."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pandas as pd
import yaml

from pipeline.schema import require_columns


def _label_sets(series: pd.Series) -> list[set[str]]:
    return [set(filter(None, str(v).split("|"))) if pd.notna(v) else set() for v in series]


def score_categories(predicted: pd.DataFrame, truth: pd.DataFrame, categories: list[str]) -> tuple[pd.DataFrame, dict]:
    """Compare feedback-level complaint categories with labels.

    Args:
        predicted: one row per (feedback_id, category_id) predicted as a complaint.
        truth: feedback_id and `true_categories` (pipe-joined category ids; empty when none).
        categories: the category ids to score.

    Returns:
        (per-category table: category_id, support, predicted, tp, precision, recall, f1;
         overall dict: micro_precision, micro_recall, micro_f1, macro_f1, feedback).
    """
    require_columns(predicted, ["feedback_id", "category_id"], "score_categories")
    require_columns(truth, ["feedback_id", "true_categories"], "score_categories")
    pred = predicted.groupby("feedback_id")["category_id"].agg(set)
    gold = dict(zip(truth["feedback_id"], _label_sets(truth["true_categories"])))
    rows = []
    tp_all = fp_all = fn_all = 0
    for cid in categories:
        tp = fp = fn = 0
        for fid, labels in gold.items():
            p = cid in pred.get(fid, set())
            g = cid in labels
            tp += p and g
            fp += p and not g
            fn += g and not p
        prec = tp / (tp + fp) if tp + fp else float("nan")
        rec = tp / (tp + fn) if tp + fn else float("nan")
        f1 = 2 * prec * rec / (prec + rec) if tp else 0.0
        rows.append({"category_id": cid, "support": tp + fn, "predicted": tp + fp, "tp": tp,
                     "precision": prec, "recall": rec, "f1": f1})
        tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
    table = pd.DataFrame(rows)
    mp = tp_all / (tp_all + fp_all) if tp_all + fp_all else 0.0
    mr = tp_all / (tp_all + fn_all) if tp_all + fn_all else 0.0
    overall = {
        "micro_precision": mp, "micro_recall": mr,
        "micro_f1": 2 * mp * mr / (mp + mr) if mp + mr else 0.0,
        "macro_f1": float(table.loc[table["support"] > 0, "f1"].mean()),
        "feedback": len(gold),
    }
    return table, overall


def truth_tables(ground_truth: pd.DataFrame, grain: str = "month") -> tuple[pd.DataFrame, pd.DataFrame]:
    """The generator's true categories as the pipeline's feedback and mention tables.

    For measuring what attribution recovers independently of the classifier: NPS drivers fitted on
    these tables see exactly the complaints and praise the generator planted.

    Args:
        ground_truth: ground_truth.parquet of a generated sample.
        grain: period grain for the feedback's `period` column.

    Returns:
        (feedback, mentions): feedback has feedback_id (source:source_id, as ingest builds it),
        created_at, nps and period over the good rows; mentions has feedback_id, category_id and
        polarity (complaint or praise), one row per true category.
    """
    from pipeline.attribute import add_period

    require_columns(ground_truth, ["source", "source_id", "created_at", "nps_score", "is_bad_row",
                                   "true_categories", "praised_categories"], "truth_tables")
    good = ground_truth[~ground_truth["is_bad_row"]]
    good = good.assign(feedback_id=good["source"] + ":" + good["source_id"].astype(str), nps=good["nps_score"])
    feedback = add_period(good[["feedback_id", "created_at", "nps"]], grain)
    rows = [(f, c, polarity) for f, complaints, praised in
            zip(good["feedback_id"], good["true_categories"], good["praised_categories"])
            for polarity, cats in (("complaint", complaints), ("praise", praised)) for c in cats.split("|") if c]
    return feedback.reset_index(drop=True), pd.DataFrame(rows, columns=["feedback_id", "category_id", "polarity"])


def rules_only_run(sample_dir, taxonomy) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The pipeline's categorisation of a written sample with the rule lane only (no embedder).

    Ingest, clauses, segmentation and rules exactly as the daily flow runs them, without models or a
    database: what the classifier contributes to a measurement, in seconds.

    Args:
        sample_dir: folder with sources.yaml (e.g. from `voc generate`).
        taxonomy: a loaded Taxonomy.

    Returns:
        (feedback with a month `period`, clauses with clause_polarity, mentions).
    """
    from pathlib import Path

    from pipeline import attribute
    from pipeline.classify import Classifier
    from pipeline.ingest import ingest_sources, load_sources
    from pipeline.preprocess import Segmenter, segment_clauses, to_clauses

    result = ingest_sources(load_sources(Path(sample_dir) / "sources.yaml"))
    feedback, clauses = to_clauses(attribute.add_period(result.feedback, "month"))
    clauses = segment_clauses(clauses, Segmenter(taxonomy.all_terms()))
    clauses, mentions = Classifier(taxonomy, semantic_threshold=None).fit().classify(clauses)
    return feedback, clauses, mentions


class GroupMap:
    """Categories onto an outside scheme's groups (e.g. a complaint site's 17 problem groups), from a mapping
    file: shell-style patterns over category ids, the first match deciding; `unscored` categories add none.
    See taxonomies/mappings/complaint_site_groups.yaml."""

    def __init__(self, path: Path) -> None:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.rules = [(m["pattern"], m["group"]) for m in spec["map"]]
        self.names = spec["groups"]
        self.unscored = list(spec.get("unscored", []))
        self._memo: dict[str, str | None] = {}

    @staticmethod
    def _any(cid: str, patterns: list[str]) -> bool:
        return any(fnmatch.fnmatchcase(cid, p) for p in patterns)

    def __call__(self, cid: str) -> str | None:
        if cid not in self._memo:
            self._memo[cid] = None if self._any(cid, self.unscored) else \
                next((g for p, g in self.rules if fnmatch.fnmatchcase(cid, p)), None)
        return self._memo[cid]

    def title_groups(self, cids) -> set[str]:
        """Groups of one title's complaint categories (the union; unscored categories add none)."""
        return {g for c in set(cids) if (g := self(c))}
