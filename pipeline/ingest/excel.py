"""Read one sheet of an Excel workbook (the usual call-centre and dealer export) as text columns.

The reader is python-calamine, Rust's calamine behind a small Python binding, rather than openpyxl:
a sheet of 100,000 rows x 5 columns took 7.3 s with calamine, 40 s with openpyxl's full load (the
only mode that gives merged ranges) and 152 s with its streaming mode (2 cores at load 6, 2026-12-02).
Calamine types date cells as datetimes from the workbook's number formats, reports merged ranges,
and reads .xls, .xlsm and .ods with the same call. Writing workbooks is not needed here (tests use
openpyxl).

What exports do and how it is read:
- title rows above the header: `header_row` names the row holding the column names;
- the sheet: `sheet` by name or by position, default the first one;
- dates as datetime cells, or as bare Excel serial numbers (46266.5 = 2026-09-01 12:00) in a
  column mapped to `created_at` / `closed_at`: both become "YYYY-MM-DD HH:MM:SS" text. A workbook
  saved in the 1904 date system (older Mac Excel; `date1904` in an .xlsx/.xlsm's workbook part) counts
  serials from 1904-01-01, so the same serial is 4 years and a day later; calamine already applies
  that to date cells, the serials here follow it. (.xls and .ods serials are read in the 1900 system.)
- integer-valued number cells (an id typed 1001) become "1001", not "1001.0";
- merged cells (a date or a dealer merged over the rows of a group) give their value to every
  row of the range, as the reader of the sheet sees it;
- blank rows are skipped. `source_line` is the sheet's row number as Excel shows it.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path
from typing import Any

from pipeline.errors import InputError
from pipeline.ingest.mapping import SourceSpec

# Excel's day 0 for the 1900 date system, as every reader counts from serial 61 on, and for 1904.
_EPOCH = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)
_DATE1904 = re.compile(rb"<(?:\w+:)?workbookPr\b[^>]*\bdate1904\s*=\s*[\"'](?:1|true)[\"']", re.IGNORECASE)
_MAX_SERIAL = 2_958_465  # 9999-12-31
_DATE_FIELDS = ("created_at", "closed_at")


def _epoch(path: Path) -> dt.datetime:
    """Day 0 of the workbook's serial dates: 1904-01-01 when an .xlsx/.xlsm says `date1904`, else 1899-12-30."""
    try:
        with zipfile.ZipFile(path) as z:
            part = z.read("xl/workbook.xml")
    except (zipfile.BadZipFile, KeyError, OSError):
        return _EPOCH  # .xls or .ods (or not a workbook: the reader says so)
    return _EPOCH_1904 if _DATE1904.search(part) else _EPOCH


def _cell_text(value: Any, as_date: bool, epoch: dt.datetime = _EPOCH) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, float):
        if as_date and 0 < value <= _MAX_SERIAL:
            # Round to the second: serials carry float noise (0.5000000001 of a day).
            stamp = epoch + dt.timedelta(seconds=round(value * 86400))
            return stamp.strftime("%Y-%m-%d %H:%M:%S")
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _pick_sheet(workbook: Any, spec: SourceSpec, file: Path) -> str:
    names = list(workbook.sheet_names)
    if spec.sheet is None:
        if not names:
            raise InputError("the workbook has no sheets", file=file)
        return names[0]
    if isinstance(spec.sheet, int):
        if spec.sheet > len(names):
            raise InputError(
                f"sheet {spec.sheet} asked for, but the workbook has {len(names)}: {', '.join(names)}",
                file=file,
            )
        return names[spec.sheet - 1]
    if spec.sheet not in names:
        raise InputError(
            f"no sheet named '{spec.sheet}'; the workbook has: {', '.join(names)}", file=file
        )
    return spec.sheet


def read_xlsx(path: Path, spec: SourceSpec) -> tuple[list[str], list[list[str | None]], list[int], str]:
    """Read the sheet `spec` selects.

    Returns:
        (header, rows, row_numbers, where): header names as written (unstripped blanks kept for
        the caller to name), rows of text cells (None when empty) as wide as the header, the
        1-based sheet row of each, and "file[sheet]" for error messages.

    Raises:
        InputError: not a workbook, no such sheet, or an empty header row; naming file and sheet.
    """
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as exc:
        raise InputError(f"cannot read as an Excel workbook: {exc}", file=path) from None
    name = _pick_sheet(workbook, spec, path)
    where = f"{path}[{name}]"
    try:
        sheet = workbook.get_sheet_by_name(name)
        # Absolute positions: row i of `grid` is sheet row i + 1, whatever the used area.
        grid = [list(r) for r in sheet.to_python(skip_empty_area=False)]
        merged = sheet.merged_cell_ranges or []
    except (CalamineError, ValueError) as exc:
        raise InputError(f"cannot read the sheet: {exc}", file=where) from None
    for (r0, c0), (r1, c1) in merged:
        if r0 < len(grid) and c0 < len(grid[r0]):
            value = grid[r0][c0]
            for r in range(r0, min(r1, len(grid) - 1) + 1):
                for c in range(c0, min(c1, len(grid[r]) - 1) + 1):
                    grid[r][c] = value
    h = spec.header_row - 1
    if h >= len(grid) or all(v in (None, "") for v in grid[h]):
        raise InputError(
            f"header row {spec.header_row} is empty; set `header_row:` to the row holding the column names",
            file=where, line=spec.header_row,
        )
    header = [_cell_text(v, False) or "" for v in grid[h]]
    while header and not header[-1]:
        header.pop()
    mapped = spec.columns.mapped()
    dates = {mapped[f] for f in _DATE_FIELDS if f in mapped}
    as_date = [name.strip() in dates for name in header]
    epoch = _epoch(path)
    rows: list[list[str | None]] = []
    numbers: list[int] = []
    for i in range(h + 1, len(grid)):
        cells = [_cell_text(v, d, epoch) for v, d in zip(grid[i], as_date)]
        cells += [None] * (len(header) - len(cells))
        extra = [v for v in grid[i][len(header):] if v not in (None, "")]
        if not any(c is not None and c.strip() for c in cells):
            if extra:
                raise InputError(
                    f"values beyond the header's {len(header)} columns; is the header row right?",
                    file=where, line=i + 1,
                )
            continue  # a blank (or merged-title) row between groups
        if extra:
            raise InputError(
                f"{len(extra)} value(s) beyond the header's {len(header)} columns; is `header_row` right?",
                file=where, line=i + 1,
            )
        rows.append(cells)
        numbers.append(i + 1)
    return header, rows, numbers, where
