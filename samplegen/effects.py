"""Planted effects with known sizes: the OTA surge, the P0 safety cluster, bad rows, NPS scores."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from samplegen import catalog
from samplegen.plan import RowPlan

BAD_REASONS = ("empty_text", "bad_date", "nps_out_of_range", "duplicate_id")
# Share of all rows per bad reason (about 1% in total) and the sources each reason can occur in:
# Parquet timestamps are typed, so an unparseable date cannot occur in the app export.
BAD_SHARES = {"empty_text": 0.003, "bad_date": 0.0025, "nps_out_of_range": 0.0015, "duplicate_id": 0.003}
BAD_SOURCES = {
    "empty_text": tuple(catalog.SOURCES),
    "bad_date": ("nps_survey", "call_center_400", "dealer_work_orders", "social_media"),
    "nps_out_of_range": ("nps_survey",),
    "duplicate_id": tuple(catalog.SOURCES),
}
P0_CLUSTER_SHARE = 0.0016  # 32 rows in 20,000
P0_SCATTERED_SHARE = 0.0004
P0_CLUSTER_MIX = (0.35, 0.45, 0.20)  # brake, power loss, fire / smoke
# Safety incidents are mostly phoned in or posted; app feedback and surveys see fewer.
P0_CHANNEL_WEIGHT = {"call_center": 3.0, "social": 2.0, "dealer": 2.0, "app": 1.0, "nps": 0.7}

# NPS score model: a latent satisfaction per respondent, lowered by each complaint, raised by praise.
NPS_BASE, NPS_SPREAD = 8.8, 1.6
NPS_PER_COMPLAINT, NPS_P0_EXTRA, NPS_PER_PRAISE = 1.8, 3.0, 0.9
SURGE_PENALTY = (3, 5)  # extra drop for respondents hit by the OTA surge, uniform inclusive


def in_p0_window(ts: datetime) -> bool:
    """True if `ts` falls in the P0 cluster's two weeks."""
    start, end = catalog.P0_WINDOW
    return start <= ts.date() <= end


def plant_p0(rows: list[RowPlan], rng: np.random.Generator) -> None:
    """Turn a two-week cluster of rows on one model, and a few scattered rows, into safety complaints.

    Args:
        rows: all planned rows (changed in place).
        rng: the generator.
    """
    n = len(rows)
    n_cluster = int(np.clip(round(n * P0_CLUSTER_SHARE), 12, 40))
    n_scattered = max(3, round(n * P0_SCATTERED_SHARE))
    window = [i for i, r in enumerate(rows) if r.own_brand and in_p0_window(r.created_at)]
    w = np.array([P0_CHANNEL_WEIGHT[rows[i].channel] for i in window])
    cluster = rng.choice(window, size=n_cluster, replace=False, p=w / w.sum())
    cluster_cats = rng.choice(len(catalog.P0_CATEGORIES), size=n_cluster, p=P0_CLUSTER_MIX)
    extra = rng.random(n_cluster) < 0.3
    for i, c, more in zip(cluster, cluster_cats, extra):
        _make_p0(rows[i], catalog.P0_CATEGORIES[c], "cluster", more)
        rows[i].model = catalog.P0_MODEL
    # Scattered rows must not fall on the cluster's model inside its window, or they would join it.
    outside = [i for i, r in enumerate(rows) if r.own_brand and not r.p0
               and not (in_p0_window(r.created_at) and r.model == catalog.P0_MODEL)]
    scattered = rng.choice(outside, size=n_scattered, replace=False)
    scattered_cats = rng.integers(0, len(catalog.P0_CATEGORIES), n_scattered)
    for i, c in zip(scattered, scattered_cats):
        _make_p0(rows[i], catalog.P0_CATEGORIES[c], "scattered", False)


def _make_p0(row: RowPlan, category: str, label: str, with_extra: bool) -> None:
    # Keep one everyday product complaint sometimes: callers often list everything that went wrong.
    keep = [c for c in row.complaints if c.startswith("product.")][:1] if with_extra else []
    row.kind = "multi" if keep else "single"
    row.complaints = [category, *keep]
    row.praised, row.negated = [], []
    row.p0 = label


def plant_surge(rows: list[RowPlan], rng: np.random.Generator) -> None:
    """Add a 车机卡顿 complaint to a share of own-brand rows between the OTA release and its hotfix.

    Args:
        rows: all planned rows (changed in place).
        rng: the generator.
    """
    u = rng.random(len(rows))
    position = rng.random(len(rows))
    for row, ui, pi in zip(rows, u, position):
        if not (catalog.OTA_RELEASE <= row.created_at < catalog.OTA_HOTFIX_RELEASE):
            continue
        touched = row.complaints + row.praised + row.negated
        if ui >= catalog.SURGE_RATE or not row.own_brand or row.p0 or catalog.LAG in touched:
            continue
        row.surge = True
        row.complaints.insert(int(pi * (len(row.complaints) + 1)), catalog.LAG)
        row.kind = {"praise": "mixed", "neutral": "single", "single": "multi"}.get(row.kind, row.kind)


def plant_bad_rows(rows: list[RowPlan], rng: np.random.Generator) -> None:
    """Mark about 1% of rows as bad, one reason each, away from the planted effects (in place).

    Args:
        rows: all planned rows.
        rng: the generator.
    """
    n = len(rows)
    for reason in BAD_REASONS:
        k = max(2, round(n * BAD_SHARES[reason]))
        eligible = [i for i, r in enumerate(rows) if r.source in BAD_SOURCES[reason] and not r.bad_reason
                    and not r.surge and not r.p0 and (reason != "duplicate_id" or r.pos > 0)]
        for i in rng.choice(eligible, size=k, replace=False):
            rows[i].bad_reason = reason
            if reason == "empty_text":
                rows[i].kind = "empty"
                rows[i].complaints, rows[i].praised, rows[i].negated = [], [], []
    by_source: dict[str, list[RowPlan]] = {}
    for r in rows:
        by_source.setdefault(r.source, []).append(r)
    for r in rows:
        if r.bad_reason == "duplicate_id":
            # The first occurrence must be a good row, so the duplicate is the only one to reject.
            earlier = [e.pos for e in by_source[r.source][: r.pos] if not e.bad_reason]
            r.dup_of = earlier[int(rng.integers(0, len(earlier)))]


def score_nps(rows: list[RowPlan], rng: np.random.Generator) -> None:
    """Give every NPS respondent a 0-10 score, and the score they would give without the OTA surge.

    Both scores use the same latent draw; the surge adds its complaint and a penalty only to the
    generated score.

    Args:
        rows: all planned rows (NPS rows changed in place).
        rng: the generator.
    """
    nps_rows = [r for r in rows if r.channel == "nps"]
    latent = rng.standard_normal(len(nps_rows))
    penalty = rng.integers(SURGE_PENALTY[0], SURGE_PENALTY[1] + 1, len(nps_rows))
    for row, z, pen in zip(nps_rows, latent, penalty):
        n_complaints = len(row.complaints) - int(row.surge)
        raw = (NPS_BASE + NPS_SPREAD * z - NPS_PER_COMPLAINT * n_complaints
               - NPS_P0_EXTRA * bool(row.p0) + NPS_PER_PRAISE * len(row.praised))
        row.nps_counterfactual = int(np.clip(np.rint(raw), 0, 10))
        row.nps = int(np.clip(np.rint(raw - pen * row.surge), 0, 10))


def nps_value(scores: list[int]) -> float:
    """Net Promoter Score: % promoters (9-10) minus % detractors (0-6), on the -100..100 scale."""
    if not scores:
        return float("nan")
    s = np.asarray(scores)
    return float(100.0 * ((s >= 9).mean() - (s <= 6).mean()))

