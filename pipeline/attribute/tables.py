"""All fact tables of a set of periods, from the stored detail tables."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from pipeline.attribute.config import Economics, Leaderboard
from pipeline.attribute.counts import category_counts, department_counts, feedback_volume, topic_counts
from pipeline.attribute.departments import department_attribution, loss_table, observed_days
from pipeline.attribute.drivers import nps_change, nps_drivers, period_nps
from pipeline.attribute.leaderboard import competitor_benchmark, leaderboard, work_order_stats
from pipeline.code_version import code_key
from pipeline.taxonomy import Taxonomy

# Libraries the fact tables are computed with: another version may give other numbers.
DERIVING_PACKAGES = ("numpy", "pandas", "scipy", "statsmodels")


def fact_tables(
    details: dict[str, pd.DataFrame],
    taxonomy: Taxonomy,
    economics: Economics | None = None,
    board: Leaderboard | None = None,
    own_brand: str | None = None,
) -> dict[str, pd.DataFrame]:
    """All fact tables from detail tables (feedback with `period`, clauses, mentions).

    Args:
        details: feedback, clauses, mentions of the periods to compute.
        taxonomy: categories and owner shares.
        economics: loss model inputs; without them there is no fact_loss.
        board: leaderboard thresholds (defaults: Leaderboard()).
        own_brand: the brand the competitor benchmark compares against (default: the economics
            file's own_brand); without one, no benchmark.

    Returns:
        fact_category_counts, fact_department_counts, fact_feedback_volume, fact_topic_counts,
        fact_nps_drivers, fact_nps_change, fact_department_attribution, fact_leaderboard, and
        fact_loss / fact_competitor_benchmark when their inputs are given.
    """
    feedback, clauses, mentions = details["feedback"], details["clauses"], details["mentions"]
    board = board or Leaderboard()
    own_brand = own_brand or (economics.own_brand if economics is not None else None)
    cat_counts = category_counts(feedback, mentions)
    drivers = nps_drivers(feedback, mentions)
    attribution = department_attribution(cat_counts, drivers, taxonomy, board.kpi_weights)
    out = {
        "fact_category_counts": cat_counts,
        "fact_department_counts": department_counts(cat_counts, taxonomy),
        "fact_feedback_volume": feedback_volume(feedback),
        "fact_topic_counts": topic_counts(feedback, clauses),
        "fact_nps_drivers": drivers,
        "fact_nps_change": nps_change(drivers, period_nps(feedback)),
        "fact_department_attribution": attribution,
        "fact_leaderboard": leaderboard(attribution, work_order_stats(feedback, mentions, taxonomy, board.resolution_days),
                                        board),
    }
    if economics is not None:
        out["fact_loss"] = loss_table(cat_counts, drivers, observed_days(feedback), taxonomy, economics)
    if own_brand is not None:
        out["fact_competitor_benchmark"] = competitor_benchmark(feedback, mentions, own_brand)
    return out


def derivation_key(taxonomy: Taxonomy, economics: Economics | None = None, board: Leaderboard | None = None,
                   own_brand: str | None = None, code: Iterable[Path] = ()) -> str:
    """Everything `fact_tables` computes with besides the detail rows: taxonomy version, settings, code.

    The store keeps a period's stored facts when a write's key and detail rows are those they were
    derived from (see `pipeline.store.base.Store.write`). The code is the source of the whole
    `pipeline` package, so no edit anywhere a derivation may reach leaves facts of older code in
    place; `code` adds the files of a caller's own derivation (the module that wires it).
    """
    h = hashlib.blake2b(digest_size=20)
    h.update(code_key(code, DERIVING_PACKAGES).encode("utf-8"))
    settings = [taxonomy.version, economics.model_dump_json() if economics is not None else None,
                (board or Leaderboard()).model_dump_json(), own_brand]
    h.update(json.dumps(settings).encode("utf-8"))
    return h.hexdigest()
