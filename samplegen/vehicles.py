"""Vehicle identity (VIN) per own-brand row, drawn from its own random stream.

Owners write through several channels: the fleet is smaller than the number of rows, so a vehicle
can appear more than once, and some P0 owners report the same incident (same P0 category) twice (hotline, then the
dealer or the app) within a few days: what the red line must fold into one alert. The draws come
from a separate generator, so every other field, the ground truth and the planted effects stay
exactly as they were for the same seed.
"""

from __future__ import annotations

import numpy as np

from samplegen.draws import Draws
from samplegen.pii import vin
from samplegen.plan import RowPlan

VIN_SOURCES = ("nps_survey", "call_center_400", "dealer_work_orders", "app_feedback")
STREAM = 5  # the VIN stream is default_rng([seed, STREAM])
FLEET_PER_ROW = 0.35  # distinct vehicles per own-brand row
P0_REPEAT_SHARE = 0.25  # of P0 cluster rows that repeat an earlier cluster report of the same vehicle
P0_REPEAT_DAYS = 5


def assign_vins(rows: list[RowPlan], seed: int) -> list[tuple[RowPlan, RowPlan]]:
    """Give own-brand rows of VIN-carrying sources a vehicle (in place).

    Args:
        rows: all rows after planting (row.vin is set).
        seed: the data set's seed; the draws use default_rng([seed, STREAM]).

    Returns:
        (first report, repeat report) pairs of P0 cluster rows that share a vehicle.
    """
    d = Draws(np.random.default_rng([seed, STREAM]), block=4096)
    eligible = [r for r in rows if r.own_brand and r.source in VIN_SOURCES]
    fleet: dict[str, list[str]] = {}
    for r in eligible:
        pool = fleet.setdefault(r.model or "?", [])
        if not pool or d.random() > len(pool) / max(1.0, FLEET_PER_ROW * len(eligible) / 5):
            pool.append(vin(d))
            r.vin = pool[-1]
        else:
            r.vin = d.choice(pool)
    cluster = sorted((r for r in eligible if r.p0 == "cluster"), key=lambda r: r.created_at)
    pairs = []
    used: set[int] = set()
    for i, later in enumerate(cluster):
        if d.random() >= P0_REPEAT_SHARE:
            continue
        earlier = [e for e in cluster[:i] if id(e) not in used and id(later) not in used
                   and e.complaints[0] == later.complaints[0]  # the same incident: same P0 category
                   and 0 < (later.created_at - e.created_at).total_seconds() <= P0_REPEAT_DAYS * 86400]
        if earlier:
            first = earlier[-1]
            later.vin = first.vin
            used |= {id(first), id(later)}
            pairs.append((first, later))
    return pairs
