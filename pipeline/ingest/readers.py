"""Read one source file into a table of text columns, remembering where each row came from.

Every value is read as text (ids like 007 keep their leading zeros); empty values become missing.
A `source_line` column holds the 1-based physical line of the row's first line in a CSV file (the
header is line 1; a quoted field with line breaks makes a row span several lines), the line number
in a JSONL file, the 1-based row number in a Parquet file, or the sheet row in an Excel workbook.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.errors import InputError
from pipeline.ingest.excel import read_xlsx
from pipeline.ingest.mapping import SourceFormat, SourceSpec

SOURCE_LINE = "source_line"
# Tried in this order when a source gives no encoding. Both decode strictly: a byte that fits
# neither is an error, never a silent U+FFFD. UTF-8 goes first because GBK text is almost never
# valid UTF-8, while UTF-8 text often decodes (wrongly) as GB18030.
AUTO_ENCODINGS = ("utf-8-sig", "gb18030")
_BIG_FIELD = 64 * 1024 * 1024


def resolve_path(spec: SourceSpec, base_dir: str | Path | None = None) -> Path:
    """The file of `spec`; a relative path is taken relative to `base_dir` (default: cwd)."""
    return Path(base_dir or ".") / spec.path


def read_source(spec: SourceSpec, base_dir: str | Path | None = None) -> pd.DataFrame:
    """Read every row of one source file as text.

    Args:
        spec: the source's entry in the source mapping.
        base_dir: folder a relative `spec.path` is resolved against (`load_sources` already makes
            paths absolute).

    Returns:
        One row per record, shape (n_rows, n_file_columns + 1): the file's columns (dtype str,
        missing or empty values as NA) and `source_line` (int64).

    Raises:
        InputError: missing or unreadable file, undecodable bytes, malformed CSV/JSONL line, or a
            mapped column absent from the file; with file, line and column where known.
    """
    if spec.format == SourceFormat.SQL:
        raise ValueError("a sql source is read by pipeline.ingest.sqlsource.read_sql")
    path = resolve_path(spec, base_dir)
    if not path.is_file():
        raise InputError(f"file not found (source '{spec.name}')", file=path)
    if spec.format == SourceFormat.PARQUET:
        df, header_line = _read_parquet(path), None
    elif spec.format == SourceFormat.XLSX:
        header, rows, numbers, where = read_xlsx(path, spec)
        columns = _unique_names([h.strip() for h in header])
        values = list(zip(*rows)) if rows else [()] * len(columns)
        df = _frame(columns, values, numbers, where)
        path, header_line = where, spec.header_row  # errors name the sheet: file.xlsx[工单]:3
    else:
        raw = path.read_bytes()
        text = decode_text(raw, spec.encoding, path, spec.name).removeprefix("\ufeff")
        if spec.format == SourceFormat.CSV:
            df, header_line = _read_csv(text, path), 1
        else:
            df, header_line = _read_jsonl(text, path), None
    _check_mapped_columns(df, spec, path, header_line)
    return df


def decode_text(raw: bytes, encoding: str | None, file: Path, source: str) -> str:
    """Decode `raw` strictly with `encoding`, or with the first of AUTO_ENCODINGS that fits."""
    if encoding:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise InputError(
                f"cannot decode bytes {_bad_bytes(raw, exc)} with encoding '{encoding}' given "
                f"for source '{source}'; check the file's encoding (usual ones: utf-8-sig, gbk, "
                "gb18030) and fix `encoding:` in the source mapping",
                file=file,
                line=_line_of_offset(raw, exc.start),
            ) from None
    failures: list[tuple[str, UnicodeDecodeError]] = []
    for candidate in AUTO_ENCODINGS:
        try:
            text = raw.decode(candidate)
        except UnicodeDecodeError as exc:
            failures.append((candidate, exc))
            continue
        mixed = _mixed_encoding_problem(raw) if failures else None
        if mixed:
            raise InputError(
                f"{mixed[1]}; a file must use one encoding (re-export it, or set `encoding:` for source "
                f"'{source}' and fix the lines that do not fit)",
                file=file,
                line=mixed[0],
            )
        return text
    # The encoding that got furthest is the likeliest one; report where it broke.
    best, exc = max(failures, key=lambda f: f[1].start)
    tried = ", ".join(
        f"{enc} (fails on line {_line_of_offset(raw, e.start)})" for enc, e in failures
    )
    hint = _format_hint(raw)
    raise InputError(
        f"cannot decode bytes {_bad_bytes(raw, exc)} as {best}; tried {tried}.{hint} "
        f"Set `encoding:` for source '{source}' in the source mapping",
        file=file,
        line=_line_of_offset(raw, exc.start),
    )


def _mixed_encoding_problem(raw: bytes) -> tuple[int, str] | None:
    """(line, message) when some lines are UTF-8 Chinese and others are not UTF-8, else None.

    GB18030 decodes almost any bytes, so a file mixing UTF-8 and GBK lines would decode "fine"
    and turn every UTF-8 line into mojibake (异响 -> 寮傚搷). The encoding most non-ASCII lines fit
    is taken as the file's; the first line that does not fit it is reported.
    """
    try:
        raw.decode("utf-8")
        return None
    except UnicodeDecodeError:
        pass
    utf8_lines: list[int] = []
    other_lines: list[int] = []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            other_lines.append(number)
            continue
        # A GBK line is almost never valid UTF-8; one that is and holds Chinese is UTF-8 text.
        if any("\u4e00" <= c <= "\u9fff" for c in text):
            utf8_lines.append(number)
    if not utf8_lines or not other_lines:
        return None
    if len(utf8_lines) >= len(other_lines):
        return other_lines[0], (
            f"mixed encodings: {len(utf8_lines)} line(s) are UTF-8 but this line and "
            f"{len(other_lines) - 1} other(s) are not (GBK?)"
        )
    return utf8_lines[0], (
        f"mixed encodings: most lines are GBK/GB18030 but this line and {len(utf8_lines) - 1} "
        "other(s) are UTF-8 (they would be read as mojibake)"
    )


def _line_of_offset(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def _bad_bytes(raw: bytes, exc: UnicodeDecodeError) -> str:
    return raw[exc.start : min(exc.end, exc.start + 4)].hex(" ")


def _format_hint(raw: bytes) -> str:
    if raw.startswith(b"PK\x03\x04"):
        return " The file looks like an Excel workbook or zip archive; for a workbook set `format: xlsx`."
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return " The file starts with a UTF-16 byte-order mark; set encoding: utf-16."
    return ""


def _unique_names(names: list[str]) -> list[str]:
    """Blank names become unnamed_<position>; repeats get .1, .2 (as pandas does)."""
    out: list[str] = []
    taken = set(names)
    for i, name in enumerate(names):
        if not name:
            name = f"unnamed_{i + 1}"
        if name in out:
            k = 1
            while f"{name}.{k}" in taken or f"{name}.{k}" in out:
                k += 1
            name = f"{name}.{k}"
        out.append(name)
    return out


def _read_csv(text: str, file: Path) -> pd.DataFrame:
    csv.field_size_limit(max(csv.field_size_limit(), _BIG_FIELD))
    # newline="" hands line breaks inside quoted fields to the csv module untouched; line_num then
    # counts physical lines, so the line a record starts on is the previous record's line_num + 1.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    end = 0
    try:
        for record in reader:
            start, end = end + 1, reader.line_num
            if not record or (len(record) == 1 and not record[0].strip()):
                continue  # blank line
            if header is None:
                header = [h.strip() for h in record]
                continue
            if len(record) > len(header) and not any(f.strip() for f in record[len(header) :]):
                record = record[: len(header)]  # trailing empty fields, e.g. "a,b,c,,"
            if len(record) != len(header):
                raise InputError(
                    f"expected {len(header)} fields as in the header, found {len(record)}; is a "
                    "text with a comma or line break missing its quotes?",
                    file=file,
                    line=start,
                )
            rows.append(record)
            lines.append(start)
    except csv.Error as exc:
        raise InputError(
            f"malformed CSV in the record starting on this line: {exc}", file=file, line=end + 1
        ) from None
    if header is None:
        raise InputError("file is empty; expected a header line", file=file, line=1)
    columns = _unique_names(header)
    values = list(zip(*rows)) if rows else [()] * len(columns)
    return _frame(columns, values, lines, file)


def _to_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _read_jsonl(text: str, file: Path) -> pd.DataFrame:
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    keys: dict[str, None] = {}
    # Split on "\n" only: str.splitlines would also split on U+2028 and friends, which JSON
    # strings may contain raw, and the line numbers would drift.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            # Numbers stay as written (1.50 stays "1.50", big ids stay exact).
            obj = json.loads(line, parse_int=str, parse_float=str)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"not valid JSON: {exc.msg} (at character {exc.colno})", file=file, line=number
            ) from None
        if not isinstance(obj, dict):
            raise InputError(
                f"expected one JSON object per line; got {type(obj).__name__}",
                file=file,
                line=number,
            )
        records.append(obj)
        lines.append(number)
        keys.update(dict.fromkeys(obj))
    columns = list(keys)
    values = [[_to_text(r.get(k)) for r in records] for k in columns]
    return _frame(_unique_names(columns), values, lines, file)


def _read_parquet(file: Path) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(file)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"cannot read as Parquet: {exc}", file=file) from None
    values = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type) or pa.types.is_fixed_size_binary(column.type):
            values.append(_decode_binary(column.to_pylist(), name, file))
            continue
        try:
            # Arrow's own text forms: ints without ".0", timestamps with their UTC offset.
            values.append(pc.cast(column, pa.string()).to_pylist())
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
            values.append([_to_text(v) for v in column.to_pylist()])
    lines = list(range(1, table.num_rows + 1))
    return _frame(_unique_names(table.column_names), values, lines, file)


def _decode_binary(cells: list[bytes | None], column: str, file: Path) -> list[str | None]:
    """A Parquet binary column holding text: UTF-8 (Parquet's text encoding), strictly."""
    out: list[str | None] = []
    for row, cell in enumerate(cells, start=1):
        if cell is None:
            out.append(None)
            continue
        try:
            out.append(cell.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise InputError(
                f"binary column holds bytes that are not UTF-8 text ({cell[exc.start : exc.start + 4].hex(' ')} "
                f"at byte {exc.start} of row {row}); write the column as UTF-8 strings",
                file=file,
                line=row,
                column=column,
            ) from None
    return out


def _frame(columns: list[str], values: Any, lines: list[int], file: Path | str) -> pd.DataFrame:
    if SOURCE_LINE in columns:
        raise InputError(
            f"the file has a column named '{SOURCE_LINE}', a name the pipeline reserves; "
            "rename it in the file",
            file=file,
            column=SOURCE_LINE,
        )
    data = {}
    for name, column in zip(columns, values, strict=True):
        s = pd.Series(column, dtype="str")
        data[name] = s.where(s != "")
    df = pd.DataFrame(data, index=pd.RangeIndex(len(lines)))
    df[SOURCE_LINE] = np.asarray(lines, dtype="int64")
    return df


def _check_mapped_columns(
    df: pd.DataFrame, spec: SourceSpec, file: Path | str, header_line: int | None
) -> None:
    if len(df) == 0 and spec.format in (SourceFormat.JSONL, SourceFormat.SQL):
        # An empty JSONL batch has no keys to check; add the mapped columns as empty.
        for column in spec.columns.mapped().values():
            df[column] = pd.Series(dtype="str")
        return
    present = [c for c in df.columns if c != SOURCE_LINE]
    for field, column in spec.columns.mapped().items():
        if column in df.columns:
            continue
        close = difflib.get_close_matches(column, present, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise InputError(
            f"mapped column for '{field}' is not in the file{hint}; the file has columns: "
            + (", ".join(present) or "(none)"),
            file=file,
            line=header_line,
            column=column,
        )
