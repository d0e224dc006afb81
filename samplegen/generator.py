"""Generate the synthetic Voice-of-Customer data set: five channel exports plus ground truth."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from samplegen import catalog
from samplegen.compose import Composer
from samplegen.draws import Draws
from samplegen.effects import plant_bad_rows, plant_p0, plant_surge, score_nps
from samplegen.plan import build_skeleton, plan_content
from samplegen.summary import _ref, summarise
from samplegen.tables import add_vins, assign_ids, build_ground_truth, build_tables
from samplegen.vehicles import assign_vins


@dataclass
class SampleData:
    """A generated data set.

    Attributes:
        channels: source name -> DataFrame in that source's own column names, rows in file order.
        ground_truth: one row per generated row (see tables.build_ground_truth for the columns).
        planted: the planted effects with their generated sizes (written as planted_effects.json).
    """

    channels: dict[str, pd.DataFrame]
    ground_truth: pd.DataFrame
    planted: dict


def generate(n_rows: int = 20000, seed: int = 42) -> SampleData:
    """Generate feedback rows over five channels with known categories and planted effects.

    Deterministic: every random draw comes from numpy.random.default_rng(seed), in a fixed order.

    Args:
        n_rows: total rows over all channels (at least 500, so every planted effect fits).
        seed: the random seed.

    Returns:
        The channel tables, their ground truth and the planted-effects record.
    """
    if n_rows < 500:
        raise ValueError(f"The 'n_rows' parameter of generate must be at least 500. Got {n_rows} instead.")
    rng = np.random.default_rng(seed)
    vehicles = catalog.load_vehicles()
    rows = build_skeleton(n_rows, rng, vehicles)
    draws = Draws(rng)
    plan_content(rows, draws)
    plant_p0(rows, rng)
    plant_surge(rows, rng)
    plant_bad_rows(rows, rng)
    score_nps(rows, rng)
    assign_ids(rows, rng)
    composer = Composer(vehicles, draws)
    for row in rows:
        composer.compose(row)
    channels = build_tables(rows, draws)
    # Added fields come from their own stream, after every original draw: same seed, same data.
    repeats = assign_vins(rows, seed)
    add_vins(channels, rows)
    planted = summarise(rows, n_rows, seed)
    planted["p0_repeat_vehicles"] = {
        "definition": "P0 cluster rows that report again, within days, an incident of a vehicle already reported",
        "count": len(repeats),
        "pairs": [[_ref(a), _ref(b)] for a, b in repeats],
    }
    planted["vehicles_with_vin"] = len({r.vin for r in rows if r.vin})
    return SampleData(channels=channels, ground_truth=build_ground_truth(rows).assign(vin=[r.vin for r in rows]),
                      planted=planted)
