"""Read a table or a query of a database (a ticket system's, a CRM's) as a source, through SQLAlchemy.

A database source follows the same arrival model as a file: every run reads what the table or query
returns now; rows are upserted by id, and an incremental run processes the days since the watermark
plus every row not stored yet (a ticket entered late). What was read is fingerprinted by content
(`content_sha256`), so the quarantine and ingest counts of a database source are kept per distinct
content, as those of a file are kept per distinct bytes.

The query runs in a transaction that is rolled back, so a source can never change the database it
reads. Values become text as in the file readers: integers without ".0", timestamps as
"YYYY-MM-DD HH:MM:SS" (with their offset when the column has one), empty strings as missing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from decimal import Decimal
from typing import Any

import pandas as pd

from pipeline.errors import InputError
from pipeline.ingest.mapping import SourceSpec
from pipeline.ingest.readers import _check_mapped_columns, _frame, _unique_names


def source_url(spec: SourceSpec) -> str:
    """The database URL of a sql source, from `url` or from the environment variable `url_env`."""
    if spec.url:
        return spec.url
    value = os.environ.get(spec.url_env or "")
    if not value:
        raise InputError(
            f"source '{spec.name}': environment variable {spec.url_env} (url_env) is not set; "
            "set it to the database URL, e.g. postgresql+psycopg://user:password@host/db"
        )
    return value


def describe(spec: SourceSpec) -> str:
    """Where a sql source reads from, password hidden: what the quarantine's `file` column shows."""
    import sqlalchemy as sa

    try:
        url = sa.engine.make_url(source_url(spec)).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        url = "(unparsable url)"
    return f"{url}#{spec.table or 'query'}"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        text = value.strftime("%Y-%m-%d %H:%M:%S")
        return text + value.strftime("%z") if value.tzinfo else text
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8")  # UnicodeDecodeError is located by the caller
    return str(value)


def _statement(spec: SourceSpec, engine: Any):
    import sqlalchemy as sa

    if spec.query:
        return sa.text(spec.query)
    schema, _, name = spec.table.rpartition(".")
    table = sa.Table(name, sa.MetaData(), schema=schema or None, autoload_with=engine)
    key = list(table.primary_key.columns)
    # Ordered by the key, so source_line (the row's position) is the same from run to run.
    return sa.select(table).order_by(*key) if key else sa.select(table)


def read_sql(spec: SourceSpec) -> pd.DataFrame:
    """Every row the table or query returns, as text columns plus `source_line` (1-based row position).

    Raises:
        InputError: the database cannot be reached, the table does not exist, the query fails, a
            binary value is not UTF-8 text, or a mapped column is missing; naming the source.
    """
    import sqlalchemy as sa

    where = describe(spec)
    try:
        engine = sa.create_engine(source_url(spec))
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
        raise InputError(f"source '{spec.name}': not a usable database URL: {exc}", file=where) from None
    try:
        with engine.connect() as con:
            result = con.execute(_statement(spec, engine))
            columns = [str(c) for c in result.keys()]
            rows = result.fetchall()
            con.rollback()
    except sa.exc.NoSuchTableError:
        raise InputError(f"source '{spec.name}': no table '{spec.table}' in the database", file=where) from None
    except sa.exc.SQLAlchemyError as exc:
        first = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise InputError(f"source '{spec.name}': the database refused the read: {first}", file=where) from None
    finally:
        engine.dispose()
    values = []
    for j, column in enumerate(columns):
        cells = []
        for i, row in enumerate(rows, start=1):
            try:
                cells.append(_text(row[j]))
            except UnicodeDecodeError:
                raise InputError("binary value that is not UTF-8 text", file=where, line=i, column=column) from None
        values.append(cells)
    df = _frame(_unique_names(columns), values, list(range(1, len(rows) + 1)), where)
    _check_mapped_columns(df, spec, where, None)
    return df


def content_sha256(df: pd.DataFrame) -> str:
    """Fingerprint of what a read returned: column names and every value, in order."""
    h = hashlib.sha256("\x1f".join(map(str, df.columns)).encode())
    h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    return h.hexdigest()
