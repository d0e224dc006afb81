"""The source mapping: which files to read and which of their columns hold which canonical field.

`load_sources` reads the YAML file, validates it with the pydantic models below and, on any
mistake, raises `InputError` naming the file, the line of the offending entry and the field, and
saying what was expected (`sources.yaml:14: field 'format': expected one of csv, jsonl, parquet,
xlsx, sql; got 'xls'`). Unknown keys are errors, so a typo never passes silently.
"""

from __future__ import annotations

import codecs
import difflib
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from pipeline.errors import InputError
from pipeline.schema import CHANNELS
from pipeline.yamlio import Loc, LocatedYaml


class SourceFormat(StrEnum):
    """File formats a source can be read from."""

    CSV = "csv"
    JSONL = "jsonl"
    PARQUET = "parquet"
    XLSX = "xlsx"  # Excel workbook (also .xlsm, .xls, .ods: the reader handles them alike)
    SQL = "sql"  # a table or query of a database, through SQLAlchemy


# Built from schema.CHANNELS so the two can never disagree.
Channel = StrEnum("Channel", [(c.upper(), c) for c in CHANNELS])  # type: ignore[misc]

ColumnName = Annotated[StrictStr, Field(min_length=1)]
REQUIRED_FIELDS = ("feedback_id", "created_at", "text")
OPTIONAL_FIELDS = ("vehicle_model", "region", "dealer", "brand", "nps", "vehicle_id", "work_order_status", "closed_at")


def _located(at: str, message: str) -> PydanticCustomError:
    """An error to be reported at `at` (dotted path relative to where the validator runs)."""
    return PydanticCustomError("located", "{message}", {"message": message, "at": at})


class ColumnMap(BaseModel):
    """Canonical field -> column name in the source file."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    feedback_id: ColumnName
    created_at: ColumnName
    text: ColumnName
    vehicle_model: ColumnName | None = None
    region: ColumnName | None = None
    dealer: ColumnName | None = None
    brand: ColumnName | None = None
    nps: ColumnName | None = None
    vehicle_id: ColumnName | None = None  # VIN or fleet id; stored as a keyed hash, never in clear
    work_order_status: ColumnName | None = None  # open / closed (dealer work orders)
    closed_at: ColumnName | None = None  # when the work order was closed

    def mapped(self) -> dict[str, str]:
        """Canonical field -> source column, for the fields this source provides."""
        return {f: c for f in (*REQUIRED_FIELDS, *OPTIONAL_FIELDS) if (c := getattr(self, f))}


class SourceSpec(BaseModel):
    """One input (a file, an inbox folder of files, or a database table or query) and how its
    columns map onto the canonical feedback schema.

    `path` naming a folder makes the source an inbox: every file in it matching `pattern` is one
    delivery, read once per content fingerprint (see pipeline/ingest/inbox.py).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Becomes the feedback_id prefix "<name>:<id>", so no ':' (it would make ids ambiguous).
    name: Annotated[StrictStr, Field(min_length=1, pattern=r"^[A-Za-z0-9_\-]+$")]
    path: Annotated[StrictStr, Field(min_length=1)] | None = None
    format: SourceFormat
    pattern: Annotated[StrictStr, Field(min_length=1)] | None = None  # inbox: file name glob
    # xlsx: the sheet by name, or by position (1 = first); default the first sheet.
    sheet: Annotated[StrictStr, Field(min_length=1)] | Annotated[int, Field(ge=1)] | None = None
    # xlsx: the 1-based row holding the column names (title rows above it are skipped).
    header_row: Annotated[int, Field(ge=1, le=1000)] = 1
    # sql: the database as a SQLAlchemy URL, or the name of an environment variable holding it
    # (keeps a password out of the file); and either a table or a SELECT query.
    url: Annotated[StrictStr, Field(min_length=1)] | None = None
    url_env: Annotated[StrictStr, Field(min_length=1)] | None = None
    table: Annotated[StrictStr, Field(min_length=1)] | None = None
    query: Annotated[StrictStr, Field(min_length=1)] | None = None
    channel: Channel  # type: ignore[valid-type]
    encoding: StrictStr | None = None
    date_format: StrictStr | None = None
    # Longer texts are cut here, with a marker saying how long they were: one 200,000-character
    # paste would otherwise cost gigabytes in segmentation and matching.
    max_text_chars: Annotated[int, Field(ge=100, le=1_000_000)] = 10_000
    columns: ColumnMap

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                codecs.lookup(v)
            except LookupError:
                raise ValueError(
                    f"unknown encoding {v!r}; use e.g. utf-8, utf-8-sig, gbk or gb18030"
                ) from None
        return v

    @field_validator("date_format")
    @classmethod
    def _strptime_format(cls, v: str | None) -> str | None:
        if v is not None and "%" not in v:
            raise ValueError(
                f"expected a strptime format such as '%Y-%m-%d %H:%M:%S'; got {v!r}"
            )
        return v

    @model_validator(mode="after")
    def _encoding_only_for_text(self) -> SourceSpec:
        if self.encoding is not None and self.format not in (SourceFormat.CSV, SourceFormat.JSONL):
            raise _located("encoding", "only applies to csv and jsonl sources; remove it")
        return self

    @model_validator(mode="after")
    def _fields_of_the_format(self) -> SourceSpec:
        is_sql, is_xlsx = self.format == SourceFormat.SQL, self.format == SourceFormat.XLSX
        for field in ("url", "url_env", "table", "query"):
            if getattr(self, field) is not None and not is_sql:
                raise _located(field, "only applies to sql sources; remove it")
        for field in ("sheet", "header_row"):
            if field in self.model_fields_set and not is_xlsx:
                raise _located(field, "only applies to xlsx sources; remove it")
        if is_sql:
            if self.path is not None or self.pattern is not None:
                raise _located("path", "a sql source reads a database: give url (or url_env) and table or query")
            if (self.url is None) == (self.url_env is None):
                raise _located("url", "give exactly one of url and url_env")
            if (self.table is None) == (self.query is None):
                raise _located("table", "give exactly one of table and query")
        elif self.path is None:
            raise _located("path", "required field missing (the file, or the inbox folder)")
        return self


class SourcesConfig(BaseModel):
    """All sources of one ingest run. Relative paths are resolved by `load_sources`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sources: Annotated[list[SourceSpec], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique_names(self) -> SourcesConfig:
        for loc, message in _duplicate_names([s.name for s in self.sources]):
            raise _located(".".join(str(p) for p in loc), message)
        return self


def _duplicate_names(names: list[Any]) -> list[tuple[Loc, str]]:
    """(location, message) for every source name used a second time."""
    first: dict[Any, int] = {}
    problems: list[tuple[Loc, str]] = []
    for i, name in enumerate(names):
        if not isinstance(name, str):
            continue
        if name in first:
            problems.append(
                (
                    ("sources", i, "name"),
                    f"duplicate source name {name!r} (already used by entry {first[name] + 1}); "
                    "names must be unique",
                )
            )
        else:
            first[name] = i
    return problems


_ALLOWED_KEYS = {
    1: ["sources"],
    3: list(SourceSpec.model_fields),
    4: list(ColumnMap.model_fields),
}
_CHOICES = {"format": [f.value for f in SourceFormat], "channel": list(CHANNELS)}


def _describe(err: Any) -> tuple[tuple[Any, ...], str]:
    """Turn one pydantic error into (location in the YAML document, analyst-readable message)."""
    loc = tuple(err["loc"])
    kind = err["type"]
    got = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "located":
        loc = loc + tuple(int(p) if p.isdigit() else p for p in ctx["at"].split("."))
        text = ctx["message"]
    elif kind == "extra_forbidden":
        allowed = _ALLOWED_KEYS.get(len(loc), [])
        hint = ""
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        if close:
            hint = f" (did you mean '{close[0]}'?)"
        text = f"unknown key{hint}; allowed keys: {', '.join(allowed)}"
    elif kind == "missing":
        if len(loc) == 4 and loc[2] == "columns":
            text = f"required column mapping missing: name the source column that holds '{loc[3]}'"
        else:
            text = "required field missing"
    elif kind == "enum" and loc and loc[-1] in _CHOICES:
        text = f"expected one of {', '.join(_CHOICES[loc[-1]])}; got {got!r}"
    elif kind == "string_type":
        quote = " (put it in quotes)" if isinstance(got, int | float | bool) else ""
        text = f"expected text{quote}; got {got!r}"
    elif kind == "string_pattern_mismatch" and loc and loc[-1] == "name":
        text = (
            "expected letters, digits, '_' or '-' (the name prefixes every feedback_id); "
            f"got {got!r}"
        )
    elif kind == "string_too_short":
        text = "must not be empty"
    elif kind == "too_short" and loc == ("sources",):
        text = "expected at least one source"
    elif kind in ("model_type", "model_attributes_type", "dict_type"):
        text = f"expected a mapping of 'key: value' lines; got {got!r}"
    elif kind == "value_error":
        text = str(err["msg"]).removeprefix("Value error, ")
    else:
        text = f"{err['msg']}; got {got!r}"
    return loc, text


def _field_name(loc: tuple[Any, ...]) -> str:
    if len(loc) >= 3 and loc[0] == "sources":
        return ".".join(str(p) for p in loc[2:])
    if len(loc) == 2 and loc[0] == "sources":
        return f"sources[{loc[1] + 1}]"
    return ".".join(str(p) for p in loc) or "(document)"


def _error(doc: LocatedYaml, problems: list[tuple[Loc, str]], lines: dict[Loc, int]) -> InputError:
    """One InputError located at the first problem (by line), listing all of them."""
    located = sorted(
        (
            (lines.get(loc) or doc.line_of(loc), f"field '{_field_name(loc)}': {text}")
            for loc, text in problems
        ),
        key=lambda p: p[0],
    )
    line, message = located[0]
    if len(located) > 1:
        more = "\n".join(f"  {doc.path}:{ln}: {msg}" for ln, msg in located[1:])
        message += f"\n({len(located) - 1} more problem(s) in this file:)\n{more}"
    return InputError(message, file=doc.path, line=line)


def load_sources(path: str | Path) -> SourcesConfig:
    """Load and validate a source mapping YAML file.

    Args:
        path: the YAML file. Relative source paths in it are resolved against its folder.

    Returns:
        The validated config; every `SourceSpec.path` is absolute.

    Raises:
        InputError: naming the file, the line and the field of every problem found.
    """
    doc = LocatedYaml.load(path)
    problems = [
        (d.loc, f"key given twice (first at line {d.first_line})") for d in doc.duplicate_keys
    ]
    # A repeated key has no entry of its own in doc.lines (that holds the first occurrence).
    explicit_lines = {d.loc: d.line for d in doc.duplicate_keys}
    # Checked on the raw data too, so a duplicate name is reported together with field errors
    # (pydantic runs the model validator only once every field is valid).
    entries = doc.data.get("sources") if isinstance(doc.data, dict) else None
    if isinstance(entries, list):
        names = [e.get("name") if isinstance(e, dict) else None for e in entries]
        problems += _duplicate_names(names)
    config = None
    try:
        config = SourcesConfig.model_validate(doc.data)
    except ValidationError as exc:
        described = [_describe(e) for e in exc.errors(include_url=False)]
        problems += [p for p in described if p not in problems]
    if problems or config is None:
        raise _error(doc, problems, explicit_lines)
    base = Path(path).resolve().parent
    resolved = [s.model_copy(update={"path": str(base / s.path)}) if s.path else s for s in config.sources]
    return config.model_copy(update={"sources": resolved})
