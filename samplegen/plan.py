"""The plan of every row before any text exists: when, which car, where, and what it is about."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from samplegen import catalog
from samplegen.catalog import Dealer, Vehicles
from samplegen.draws import Draws
from samplegen.framing import NEGATED, PRAISE


@dataclass
class RowPlan:
    """Everything decided about one feedback row; texts and ids are filled in later."""

    source: str
    channel: str
    pos: int  # 0-based position in the source file
    created_at: datetime
    brand: str
    model: str  # "" when the row names no model
    region: str
    dealer: Dealer | None
    kind: str = "single"  # catalog.KINDS, or "empty" for a planted empty text
    complaints: list[str] = field(default_factory=list)
    praised: list[str] = field(default_factory=list)
    negated: list[str] = field(default_factory=list)
    surge: bool = False  # got the extra 车机卡顿 complaint of the OTA surge
    p0: str = ""  # "cluster" | "scattered" | ""
    bad_reason: str = ""
    dup_of: int = -1  # for duplicate_id rows: position of the row whose id is reused
    source_id: str = ""
    nps: int | None = None  # generated score (NPS channel)
    nps_counterfactual: int | None = None  # the same respondent without the OTA surge
    text: str = ""
    noise: list[str] = field(default_factory=list)
    pii: list[str] = field(default_factory=list)
    own_brand: bool = True  # False for social posts about a competitor
    vin: str = ""  # vehicle identity (own brand, VIN-carrying sources), see samplegen.vehicles


# Hour-of-day profiles: offices and call centres keep working hours, owners post in the evening.
_OFFICE = [0, 0, 0, 0, 0, 0, 0, 0.2, 0.8, 1, 1, 1, 0.6, 0.9, 1, 1, 1, 0.9, 0.5, 0.3, 0.2, 0.1, 0, 0]
_EVENING = [0.15, 0.08, 0.04, 0.02, 0.02, 0.04, 0.1, 0.4, 0.6, 0.6, 0.6, 0.7, 0.9, 0.7, 0.6, 0.6, 0.6,
            0.7, 0.9, 1, 1, 1, 0.8, 0.4]
HOURS = {"nps": _EVENING, "call_center": _OFFICE, "dealer": _OFFICE, "social": _EVENING, "app": _EVENING}
# Weekend volume relative to a weekday.
WEEKEND = {"nps": 1.0, "call_center": 0.5, "dealer": 0.8, "social": 1.3, "app": 1.1}
OWN_MODEL_WEIGHTS = (0.30, 0.25, 0.15, 0.15, 0.15)
COMPETITOR_SHARE = 0.2  # of social posts


def source_sizes(n_rows: int) -> dict[str, int]:
    """Rows per source: the catalogue shares of `n_rows`, remainder to the first source."""
    sizes = {name: int(n_rows * share) for name, (_, share) in catalog.SOURCES.items()}
    first = next(iter(sizes))
    sizes[first] += n_rows - sum(sizes.values())
    return sizes


def _timestamps(channel: str, n: int, rng: np.random.Generator) -> list[datetime]:
    days = np.arange(catalog.N_DAYS)
    weekday = np.array([(catalog.START + timedelta(days=int(i))).weekday() for i in days])
    day_w = np.where(weekday >= 5, WEEKEND[channel], 1.0)
    hour_w = np.array(HOURS[channel], dtype=float)
    day = rng.choice(days, n, p=day_w / day_w.sum())
    hour = rng.choice(24, n, p=hour_w / hour_w.sum())
    second = rng.integers(0, 3600, n)
    offsets = np.sort(day * 86400 + hour * 3600 + second)
    return [catalog.START + timedelta(seconds=int(s)) for s in offsets]


def build_skeleton(n_rows: int, rng: np.random.Generator, vehicles: Vehicles) -> list[RowPlan]:
    """Create rows with source, time, brand, model, region and dealer; content comes later.

    Args:
        n_rows: total rows over all sources.
        rng: the generator.
        vehicles: brand and model names.

    Returns:
        Rows grouped by source in catalogue order, time-sorted within a source.
    """
    dealers_by_region = {r: [d for d in catalog.DEALERS if d.region == r] for r in catalog.REGIONS}
    competitor_models = [(b, m) for b, models in vehicles.competitors.items() for m in models]
    rows: list[RowPlan] = []
    for source, n in source_sizes(n_rows).items():
        channel = catalog.SOURCES[source][0]
        times = _timestamps(channel, n, rng)
        own_model = rng.choice(len(vehicles.own_models), n, p=OWN_MODEL_WEIGHTS)
        region = rng.choice(len(catalog.REGIONS), n, p=catalog.REGION_WEIGHTS)
        dealer_u = rng.random(n)
        rival_u = rng.random(n)
        rival_pick = rng.integers(0, len(competitor_models), n)
        no_model = rng.random(n) < 0.05
        for i in range(n):
            reg = catalog.REGIONS[region[i]]
            choices = dealers_by_region[reg]
            brand, model = vehicles.own_brand, vehicles.own_models[own_model[i]]
            if channel == "social" and rival_u[i] < COMPETITOR_SHARE:
                brand, model = competitor_models[rival_pick[i]]
            rows.append(RowPlan(
                source=source, channel=channel, pos=i, created_at=times[i], brand=brand,
                model="" if (no_model[i] and channel in ("social", "nps")) else model,
                region=reg, dealer=choices[int(dealer_u[i] * len(choices))],
                own_brand=brand == vehicles.own_brand,
            ))
    return rows


def _weights(channel: str, allowed: list[str]) -> list[float]:
    multipliers = catalog.CHANNEL_MULTIPLIERS[channel]
    out = []
    for cat in allowed:
        prefixes = [p for p in multipliers if cat == p or cat.startswith(p + ".")]
        factor = multipliers[max(prefixes, key=len)] if prefixes else 1.0
        out.append(catalog.BASE_WEIGHTS[cat] * factor)
    return out


def _pick(d: Draws, items: list[str], weights: list[float], k: int, exclude: list[str]) -> list[str]:
    chosen: list[str] = []
    pool = [(i, w) for i, w in zip(items, weights) if i not in exclude]
    for _ in range(k):
        if not pool:
            break
        item = d.weighted([p[0] for p in pool], [p[1] for p in pool])
        chosen.append(item)
        pool = [p for p in pool if p[0] != item]
    return chosen


_RIVAL_PREFIXES = ("product.", "service.sales.", "service.delivery.", "service.aftersales.")
_NEGATED_KEYS = list(NEGATED)
# Denials of safety problems are rarer than denials of everyday ones.
_NEGATED_WEIGHTS = [0.3 if k.startswith("safety.") else 1.0 for k in _NEGATED_KEYS]
_PRAISE_KEYS = list(PRAISE)


def plan_content(rows: list[RowPlan], d: Draws) -> None:
    """Choose each row's message kind and its complained, praised and negated categories (in place).

    Args:
        rows: the skeleton rows.
        d: random draws.
    """
    everyday = list(catalog.BASE_WEIGHTS)
    allowed = {ch: everyday for ch in catalog.KIND_MIX}
    weights = {ch: _weights(ch, everyday) for ch in catalog.KIND_MIX}
    rival_cats = [c for c in everyday if c.startswith(_RIVAL_PREFIXES)]
    rival_weights = _weights("social", rival_cats)
    for row in rows:
        kind = d.weighted(catalog.KINDS, catalog.KIND_MIX[row.channel])
        cats, w = allowed[row.channel], weights[row.channel]
        if not row.own_brand:
            cats, w = rival_cats, rival_weights
        n_complaints = {"single": 1, "multi": 2 if d.chance(0.75) else 3,
                        "mixed": 2 if d.chance(0.2) else 1}.get(kind, 0)
        row.kind = kind
        row.complaints = _pick(d, cats, w, n_complaints, [])
        if kind in ("praise", "mixed"):
            row.praised = d.sample([k for k in _PRAISE_KEYS if k not in row.complaints],
                                   2 if d.chance(0.3) else 1)
        if kind != "neutral" and d.chance(0.10) or kind == "neutral" and d.chance(0.03):
            taken = row.complaints + row.praised
            row.negated = _pick(d, _NEGATED_KEYS, _NEGATED_WEIGHTS, 1, taken)
