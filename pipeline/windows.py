"""Time windows of a run: which feedback a run processes, and where the next incremental run starts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from pipeline.schema import require_columns

# Feedback timestamps are naive Asia/Shanghai wall time (see schema.FEEDBACK_COLUMNS), and so are windows:
# "the 3rd of March" is the 3rd of March in China, whichever time zone the machine runs in.
TIMEZONE = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Window:
    """A half-open range of calendar days [start, end); None on either side means unbounded.

    Attributes:
        start: first day processed, or None for "from the earliest feedback".
        end: first day NOT processed, or None for "up to the latest feedback".
    """

    start: date | None = None
    end: date | None = None

    def __post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError(f"window end {self.end} is before its start {self.start}")

    @property
    def empty(self) -> bool:
        return self.start is not None and self.end is not None and self.end <= self.start

    @property
    def key(self) -> str:
        """Stable text form, e.g. '2026-03-01..2026-03-02' or '..' for everything."""
        return f"{self.start or ''}..{self.end or ''}"

    def bounds(self) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        """The window as naive timestamps (start inclusive, end exclusive)."""
        return (
            pd.Timestamp(self.start) if self.start else None,
            pd.Timestamp(self.end) if self.end else None,
        )


def today_in_china(now: datetime | None = None) -> date:
    """Today's calendar date in Asia/Shanghai (the reference for 'complete days')."""
    now = now or datetime.now(TIMEZONE)
    if now.tzinfo is None:
        raise ValueError("today_in_china needs an aware datetime (with a time zone)")
    return now.astimezone(TIMEZONE).date()


def resolve_window(
    start: date | None,
    end: date | None,
    *,
    incremental: bool,
    watermark: date | None,
    today: date,
) -> Window:
    """The window a run processes, from its parameters and the stored watermark.

    An explicit start always wins (a backfill or a re-run of a given day). Without one, an incremental
    run starts at the watermark (the end of the last completed window) and stops before today, so it only
    processes complete days and the next run picks up exactly where this one ended.

    Args:
        start, end: the window asked for (end exclusive); None = not given.
        incremental: continue from the watermark when `start` is not given.
        watermark: end of the last completed window of this stream, None if none yet.
        today: today's date in Asia/Shanghai.

    Returns:
        The Window; `Window.empty` is true when there is nothing new to process.
    """
    if incremental:
        if start is None:
            start = watermark
        if end is None:
            end = today
        if start is not None and end < start:
            return Window(end, end)  # the watermark is already past the end asked for: nothing to do
    return Window(start, end)


def split_window(window: Window, days: int) -> list[Window]:
    """Cut a bounded window into consecutive windows of `days` days (the last one may be shorter)."""
    if window.start is None or window.end is None:
        raise ValueError("a backfill needs both a start and an end date")
    if days < 1:
        raise ValueError(f"step must be at least 1 day, got {days}")
    out, cur = [], window.start
    while cur < window.end:
        nxt = min(cur + timedelta(days=days), window.end)
        out.append(Window(cur, nxt))
        cur = nxt
    return out


def in_window(feedback: pd.DataFrame, window: Window) -> pd.Series:
    """Boolean mask of the feedback rows whose created_at falls inside the window.

    Args:
        feedback: table with `created_at` (naive Asia/Shanghai timestamps).
        window: the run's window.

    Returns:
        bool Series aligned with `feedback`.
    """
    require_columns(feedback, ["created_at"], "window")
    lo, hi = window.bounds()
    mask = pd.Series(True, index=feedback.index)
    if lo is not None:
        mask &= feedback["created_at"] >= lo
    if hi is not None:
        mask &= feedback["created_at"] < hi
    return mask


def late_rows(feedback: pd.DataFrame, window: Window, stored_ids: frozenset | set) -> pd.Series:
    """Rows created before the window that are not stored yet: late arrivals an incremental run takes.

    Args:
        feedback: table with `feedback_id` and `created_at`.
        window: the run's window; rows at or after its end are not late, only early.
        stored_ids: feedback_ids already in the database. Empty: no row counts as late.

    Returns:
        bool Series aligned with `feedback`.
    """
    require_columns(feedback, ["feedback_id", "created_at"], "window")
    lo, _ = window.bounds()
    if lo is None or not stored_ids:
        return pd.Series(False, index=feedback.index)
    return (feedback["created_at"] < lo) & ~feedback["feedback_id"].isin(stored_ids)


def window_counts(feedback: pd.DataFrame, mask: pd.Series) -> pd.DataFrame:
    """Per source: accepted rows inside and outside the window (so every accepted row is accounted for).

    Returns:
        columns source, in_window, outside_window.
    """
    require_columns(feedback, ["source"], "window")
    df = pd.DataFrame({"source": feedback["source"].to_numpy(), "inside": mask.to_numpy()})
    out = df.groupby("source")["inside"].agg(in_window="sum", total="size").reset_index()
    out["outside_window"] = out["total"] - out["in_window"]
    return out.drop(columns="total").astype({"in_window": "int64", "outside_window": "int64"})
