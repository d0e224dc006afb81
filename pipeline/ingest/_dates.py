"""Parse feedback timestamps into naive Asia/Shanghai wall time."""

from __future__ import annotations

import pandas as pd

TIMEZONE = "Asia/Shanghai"
DATETIME_DTYPE = "datetime64[us]"
# Tried in order when a source gives no date_format. Day-first/month-first forms like 03/05/2026
# are ambiguous, so they are not guessed: such sources must set date_format.
AUTO_FORMATS = (
    "ISO8601",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
)
AUTO_DESCRIPTION = (
    "ISO 8601 such as 2026-05-03 10:00:00, or 2026/05/03 10:00, or 2026年5月3日, "
    "or set date_format in the source mapping"
)
# A time followed by Z or +08:00 / +0800 / -05:00: the value carries its own offset.
_OFFSET = r"\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})$"


def _parse(values: pd.Series, fmt: str, aware: bool) -> pd.Series:
    """Parse with one format; values that do not fit become NaT."""
    parsed = pd.to_datetime(values, format=fmt, errors="coerce", utc=aware)
    if aware:
        parsed = parsed.dt.tz_convert(TIMEZONE).dt.tz_localize(None)
    return parsed.astype(DATETIME_DTYPE)


def parse_datetimes(values: pd.Series, date_format: str | None = None) -> pd.Series:
    """Parse timestamps; values with a UTC offset are converted to Shanghai time, then made naive.

    Args:
        values: stripped text values, shape (n,); missing values stay NaT.
        date_format: a strptime format every value must follow; None tries AUTO_FORMATS.

    Returns:
        Series of shape (n,), same index, dtype datetime64[us]; NaT where a value is missing or
        cannot be parsed.
    """
    out = pd.Series(pd.NaT, index=values.index, dtype=DATETIME_DTYPE)
    present = values.notna()
    if not present.any():
        return out
    if date_format is not None:
        aware = "%z" in date_format or "%Z" in date_format
        out[present] = _parse(values[present], date_format, aware)
        return out
    with_offset = present & values.str.contains(_OFFSET, regex=True, na=False)
    if with_offset.any():
        out[with_offset] = _parse(values[with_offset], "ISO8601", aware=True)
    for fmt in AUTO_FORMATS:
        todo = present & ~with_offset & out.isna()
        if not todo.any():
            break
        out[todo] = _parse(values[todo], fmt, aware=False)
    return out
