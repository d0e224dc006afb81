"""Scoring against labels: numbers worked out by hand."""

import pandas as pd
import pytest

from pipeline.evaluate import score_categories


def test_precision_recall_f1_by_hand():
    truth = pd.DataFrame({"feedback_id": ["a", "b", "c", "d"], "true_categories": ["x|y", "x", "", "y"]})
    predicted = pd.DataFrame({"feedback_id": ["a", "a", "b", "c"], "category_id": ["x", "z", "x", "y"]})
    table, overall = score_categories(predicted, truth, ["x", "y", "z"])
    t = table.set_index("category_id")
    # x: tp a,b -> P 1, R 1.  y: tp none, fp c, fn a,d -> P 0, R 0.  z: fp a, no support.
    assert (t.loc["x", "tp"], t.loc["x", "precision"], t.loc["x", "recall"]) == (2, 1.0, 1.0)
    assert (t.loc["y", "tp"], t.loc["y", "precision"], t.loc["y", "recall"], t.loc["y", "f1"]) == (0, 0.0, 0.0, 0.0)
    assert t.loc["z", "support"] == 0 and t.loc["z", "predicted"] == 1
    # micro: tp 2, fp 2 (a:z, c:y), fn 2 (a:y, d:y)
    assert overall["micro_precision"] == pytest.approx(0.5)
    assert overall["micro_recall"] == pytest.approx(0.5)
    assert overall["macro_f1"] == pytest.approx(0.5)  # mean of x (1) and y (0); z has no support
