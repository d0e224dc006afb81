"""Windows: which feedback a run takes, where an incremental run starts, how a backfill is cut."""

from datetime import date, datetime, timezone

import pandas as pd
import pytest

from pipeline.windows import Window, in_window, resolve_window, split_window, today_in_china, window_counts


def test_an_explicit_window_wins_over_the_watermark():
    w = resolve_window(date(2026, 3, 1), date(2026, 3, 2), incremental=True, watermark=date(2026, 5, 1),
                       today=date(2026, 6, 1))
    assert (w.start, w.end) == (date(2026, 3, 1), date(2026, 3, 2))


def test_an_incremental_run_continues_at_the_watermark_and_stops_before_today():
    w = resolve_window(None, None, incremental=True, watermark=date(2026, 5, 1), today=date(2026, 5, 4))
    assert (w.start, w.end, w.empty) == (date(2026, 5, 1), date(2026, 5, 4), False)
    first = resolve_window(None, None, incremental=True, watermark=None, today=date(2026, 5, 4))
    assert (first.start, first.end) == (None, date(2026, 5, 4))


def test_an_incremental_run_with_nothing_new_is_empty():
    assert resolve_window(None, None, incremental=True, watermark=date(2026, 5, 4), today=date(2026, 5, 4)).empty
    # the watermark already beyond the end asked for: nothing to do, not an error
    assert resolve_window(None, date(2026, 5, 1), incremental=True, watermark=date(2026, 5, 4),
                          today=date(2026, 5, 9)).empty


def test_a_plain_run_takes_everything():
    w = resolve_window(None, None, incremental=False, watermark=date(2026, 5, 4), today=date(2026, 5, 9))
    assert (w.start, w.end, w.key) == (None, None, "..")


def test_a_window_ending_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="before its start"):
        Window(date(2026, 3, 2), date(2026, 3, 1))


def test_today_is_the_date_in_china():
    # 20:00 UTC on 1 March is 04:00 on 2 March in Shanghai
    assert today_in_china(datetime(2026, 3, 1, 20, 0, tzinfo=timezone.utc)) == date(2026, 3, 2)
    with pytest.raises(ValueError, match="time zone"):
        today_in_china(datetime(2026, 3, 1, 20, 0))


def test_in_window_is_half_open_and_counts_every_row():
    fb = pd.DataFrame({
        "source": ["a", "a", "b", "b"],
        "created_at": pd.to_datetime(["2026-02-28 23:59:59", "2026-03-01 00:00:00", "2026-03-01 23:59:59",
                                      "2026-03-02 00:00:00"]),
    })
    mask = in_window(fb, Window(date(2026, 3, 1), date(2026, 3, 2)))
    assert mask.tolist() == [False, True, True, False]
    counts = window_counts(fb, mask).set_index("source")
    assert counts.loc["a"].tolist() == [1, 1] and counts.loc["b"].tolist() == [1, 1]
    assert in_window(fb, Window()).all()


def test_split_window_covers_the_range_without_gaps():
    parts = split_window(Window(date(2026, 1, 1), date(2026, 1, 20)), 7)
    assert [(p.start.day, p.end.day) for p in parts] == [(1, 8), (8, 15), (15, 20)]
    with pytest.raises(ValueError, match="start and an end"):
        split_window(Window(None, date(2026, 1, 20)), 7)
