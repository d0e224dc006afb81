"""The semantic lane: nearest category example, with a threshold calibrated per category."""

from __future__ import annotations

import numpy as np

OFF = 1.01  # a threshold no cosine similarity reaches: the lane stays silent for that category


def calibrate_thresholds(sims: np.ndarray, example_cats: list[str], truth: list[set[str]],
                         categories: list[str], floor: float = 0.5, exclude_self: bool = False) -> dict[str, float]:
    """Per-category similarity thresholds that maximise F1 of the nearest-example rule on labelled texts.

    A text is put in the category of its most similar example when the similarity reaches that
    category's threshold. On texts with known categories (the taxonomy's own examples, scored
    leave-one-out, or an analyst's labelled set) each category gets the threshold with the best F1;
    a category whose examples never find their own kind gets OFF.

    Args:
        sims: float (n_texts, n_examples) cosine similarities.
        example_cats: category of each example column.
        truth: for each text, the categories it belongs to (empty set: none).
        categories: the categories to calibrate.
        floor: lowest threshold allowed.
        exclude_self: the texts are the examples themselves (same order); ignore the diagonal.

    Returns:
        category id -> threshold.
    """
    sims = sims.copy()
    if exclude_self:
        np.fill_diagonal(sims, -1.0)
    best = sims.argmax(axis=1)
    score = sims[np.arange(len(best)), best]
    pred_cat = np.array([example_cats[j] for j in best]) if len(best) else np.array([])
    out: dict[str, float] = {}
    for c in categories:
        is_c = np.array([c in t for t in truth])
        cand = pred_cat == c
        best_t, best_f = OFF, 0.0
        for t in sorted(set(np.round(score[cand & is_c], 3)), reverse=True):
            if t < floor:
                break
            pred = cand & (score >= t)
            tp = float((pred & is_c).sum())
            f = 2 * tp / max(1.0, pred.sum() + is_c.sum())
            if f > best_f + 1e-9:
                best_t, best_f = float(t), f
        out[c] = best_t
    return out
