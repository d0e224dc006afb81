"""The analysts' economics file and leaderboard thresholds, validated into pydantic models.

Errors name the file, the line and the field (`economics.yaml:14: field 'churn_uplift': ...`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pipeline.yamlio import LocatedYaml

NonNeg = Annotated[float, Field(ge=0)]
Share = Annotated[float, Field(ge=0, le=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ByCategory(_Strict):
    """Per-category values: `default` plus overrides by category id prefix (longest prefix wins)."""

    model_config = ConfigDict(extra="allow", frozen=True)
    default: NonNeg

    @model_validator(mode="after")
    def _numbers(self) -> ByCategory:
        for k, v in (self.model_extra or {}).items():
            if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0:
                raise ValueError(f"'{k}': expected a number >= 0, got {v!r}")
        return self

    def get(self, category_id: str) -> float:
        """The value for `category_id`: its own, its nearest ancestor prefix's, else default."""
        extra = self.model_extra or {}
        parts = category_id.split(".")
        for n in range(len(parts), 0, -1):
            key = ".".join(parts[:n])
            if key in extra:
                return float(extra[key])
        return float(self.default)

    def source(self, category_id: str) -> str:
        """Which key `get` used (for printing the inputs)."""
        extra = self.model_extra or {}
        parts = category_id.split(".")
        for n in range(len(parts), 0, -1):
            if ".".join(parts[:n]) in extra:
                return ".".join(parts[:n])
        return "default"


class PRCost(_Strict):
    mentions_per_incident: Annotated[float, Field(gt=0)]
    cost_per_incident: NonNeg


class Economics(_Strict):
    """Inputs of the loss model (taxonomies/economics.yaml)."""

    currency: str = "CNY"
    own_brand: str | None = None  # the brand the competitor benchmark compares against
    customer_base: NonNeg
    churn_uplift: Share
    complaint_scale: Annotated[float, Field(gt=0)] = 1.0
    clv: ByCategory  # keys are vehicle models here, not category ids
    claim_share: ByCategory
    claim_cost: ByCategory
    labour_hours: ByCategory
    labour_rate: NonNeg
    pr: PRCost

    def clv_of(self, vehicle_model: str) -> float:
        return float((self.clv.model_extra or {}).get(vehicle_model, self.clv.default))


class BlackList(_Strict):
    trend_pct_at_least: float | None = None
    nps_loss_share_at_least: Share | None = None
    resolution_rate_below: Share | None = None


class RedList(_Strict):
    trend_pct_at_most: float | None = None
    resolution_rate_at_least: Share | None = None


class KpiWeights(_Strict):
    complaints: Share = 0.5
    nps: Share = 0.5

    @model_validator(mode="after")
    def _sum_to_one(self) -> KpiWeights:
        if abs(self.complaints + self.nps - 1) > 1e-9:
            raise ValueError(f"complaints + nps must sum to 1, got {self.complaints} + {self.nps}")
        return self


class Leaderboard(_Strict):
    """Leaderboard thresholds (taxonomies/leaderboard.yaml)."""

    min_complaints: NonNeg = 20
    resolution_days: Annotated[float, Field(gt=0)] = 14  # a work order counts as resolved if closed within
    black: BlackList = BlackList()
    red: RedList = RedList()
    kpi_weights: KpiWeights = KpiWeights()


def load_economics(path: str | Path) -> Economics:
    """Load and validate the economics file; InputError names file, line and field."""
    return LocatedYaml.load(path).validate(Economics)


def load_leaderboard(path: str | Path) -> Leaderboard:
    """Load and validate the leaderboard thresholds; InputError names file, line and field."""
    return LocatedYaml.load(path).validate(Leaderboard)
