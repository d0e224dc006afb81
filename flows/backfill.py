"""Backfill: run the daily flow over a range of past days, one window at a time.

Used when a new channel is connected or the taxonomy changed: each window is re-run and replaces
its rows, so a backfill can be stopped and started again at will.
"""

from __future__ import annotations

from datetime import date

from prefect import flow, get_run_logger
from pydantic import BaseModel, Field, model_validator

from pipeline.windows import Window, split_window

from flows.daily import DailyParams, daily


class BackfillParams(BaseModel):
    """Parameters of a backfill (rendered as a form in the Prefect UI)."""

    start: date = Field(..., description="first day to re-run (Asia/Shanghai)")
    end: date = Field(..., description="first day NOT re-run")
    step_days: int = Field(7, ge=1, le=366, description="days per window (each window is one daily run)")
    daily: DailyParams = Field(default_factory=DailyParams, description="settings of each daily run")

    @model_validator(mode="after")
    def _ordered(self) -> BackfillParams:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self


@flow(name="voc-backfill", log_prints=True)
def backfill(params: BackfillParams) -> list[dict]:
    """Re-run every window between start and end, oldest first; each window replaces its own rows."""
    log = get_run_logger()
    windows = split_window(Window(params.start, params.end), params.step_days)
    log.info("backfill %s..%s in %d windows of %d days", params.start, params.end, len(windows), params.step_days)
    out = []
    for w in windows:
        run = params.daily.replace(window_start=w.start, window_end=w.end, incremental=False)
        out.append(daily(run))
    return out
