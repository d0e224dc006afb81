"""The record of planted effects: what was put into the data, with the sizes actually generated."""

from __future__ import annotations

from collections import Counter

from samplegen import catalog
from samplegen.effects import BAD_REASONS, NPS_PER_COMPLAINT, SURGE_PENALTY, nps_value
from samplegen.plan import RowPlan
from samplegen.tables import FIRST_LINE

MONTHS = ("2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10")
SURGE_MONTH = "2026-09"


def _month(row: RowPlan) -> str:
    return f"{row.created_at:%Y-%m}"


def _ref(row: RowPlan) -> dict:
    return {"source": row.source, "source_id": row.source_id, "source_line": row.pos + FIRST_LINE[row.source]}


def _surge(good: list[RowPlan]) -> dict:
    share = {}
    for m in MONTHS:
        month_rows = [r for r in good if _month(r) == m]
        share[m] = round(sum(catalog.LAG in r.complaints for r in month_rows) / max(1, len(month_rows)), 4)
    others = [share[m] for m in MONTHS if m != SURGE_MONTH]
    return {
        "category": catalog.LAG,
        "ota_version": catalog.OTA_VERSION,
        "release_date": f"{catalog.OTA_RELEASE:%Y-%m-%d}",
        "hotfix_version": catalog.OTA_HOTFIX,
        "hotfix_date": f"{catalog.OTA_HOTFIX_RELEASE:%Y-%m-%d}",
        "window": [f"{catalog.OTA_RELEASE:%Y-%m-%d}", "2026-09-30"],
        "injection_rate": catalog.SURGE_RATE,
        "share_definition": "rows with the category in true_categories / good rows (is_bad_row false), "
                            "all sources, by month of created_at",
        "share_by_month": share,
        "baseline_share": round(sum(others) / len(others), 4),
        "surge_share": share[SURGE_MONTH],
        "injected_rows": sum(r.surge for r in good),
    }


def _nps(good: list[RowPlan]) -> dict:
    nps_rows = [r for r in good if r.channel == "nps"]
    by_month = {m: round(nps_value([r.nps for r in nps_rows if _month(r) == m]), 2) for m in MONTHS}
    sept = [r for r in nps_rows if _month(r) == SURGE_MONTH]
    actual = nps_value([r.nps for r in sept])
    counterfactual = nps_value([r.nps_counterfactual for r in sept])
    return {
        "definition": "% promoters (9-10) - % detractors (0-6) over good nps_survey rows by month",
        "by_month": by_month,
        "september_actual": round(actual, 2),
        "september_counterfactual": round(counterfactual, 2),
        "nps_effect_points": round(actual - counterfactual, 2),
        "respondents_september": len(sept),
        "respondents_with_surge_complaint": sum(r.surge for r in sept),
        "score_model": f"latent - {NPS_PER_COMPLAINT}/complaint + praise; surge adds a penalty of "
                       f"{SURGE_PENALTY[0]}-{SURGE_PENALTY[1]} points instead",
    }


def _p0(rows: list[RowPlan]) -> dict:
    cluster = [r for r in rows if r.p0 == "cluster"]
    scattered = [r for r in rows if r.p0 == "scattered"]
    every = [c for r in rows if r.p0 for c in r.complaints if c in catalog.P0_CATEGORIES]
    start, end = catalog.P0_WINDOW
    return {
        "p0_cluster": {
            "model": catalog.P0_MODEL, "window": [f"{start:%Y-%m-%d}", f"{end:%Y-%m-%d}"], "count": len(cluster),
            "count_by_category": dict(sorted(Counter(r.complaints[0] for r in cluster).items())),
            "count_by_source": dict(sorted(Counter(r.source for r in cluster).items())),
            "rows": [_ref(r) for r in cluster],
        },
        "p0_scattered": {"count": len(scattered), "rows": [_ref(r) for r in scattered]},
        "p0_total": len(cluster) + len(scattered),
        "p0_total_by_category": dict(sorted(Counter(every).items())),
    }


def summarise(rows: list[RowPlan], n_rows: int, seed: int) -> dict:
    """Build the planted-effects record from the generated rows.

    Args:
        rows: all composed rows with ids.
        n_rows: requested row count.
        seed: the seed used.

    Returns:
        A JSON-ready dict: counts, the OTA surge with its NPS effect, the P0 cluster, bad rows, PII, noise.
    """
    good = [r for r in rows if not r.bad_reason]
    bad = {
        reason: {"count": len(picked), "rows": [_ref(r) for r in picked]}
        for reason in BAD_REASONS
        for picked in [[r for r in rows if r.bad_reason == reason]]
    }
    categories = Counter(c for r in good for c in r.complaints)
    surge = _surge(good)
    surge["nps"] = _nps(good)
    return {
        "seed": seed,
        "n_rows": n_rows,
        "period": [f"{catalog.START:%Y-%m-%d}", f"{catalog.END:%Y-%m-%d}"],
        "own_brand": catalog.load_vehicles().own_brand,
        "rows_per_source": dict(Counter(r.source for r in rows)),
        "good_rows": len(good),
        "multi_issue_share": round(sum(len(r.complaints) >= 2 for r in good) / len(good), 4),
        "complaint_counts_good_rows": {c: categories.get(c, 0) for c in catalog.CATEGORIES},
        "ota_surge": surge,
        **_p0(rows),
        "bad_rows": {"total": sum(b["count"] for b in bad.values()), "by_reason": bad},
        "pii": {"rows": sum(bool(r.pii) for r in rows),
                "by_type": dict(sorted(Counter(t for r in rows for t in r.pii).items()))},
        "noise": dict(sorted(Counter(n for r in rows for n in r.noise).items())),
        "competitor_rows": sum(not r.own_brand for r in rows),
    }
