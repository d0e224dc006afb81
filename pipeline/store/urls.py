"""Database URLs: the password kept out of flow parameters, and the engine that puts it back."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlalchemy as sa

# sqlalchemy is imported where a URL is parsed: a run on a DuckDB file never needs it (0.15 s of start-up).
PASSWORD_ENV = "VOC_DATABASE_PASSWORD"


def secret_free_url(url: str) -> str:
    """`url` without its password; the password moves to VOC_DATABASE_PASSWORD of this process.

    Flow parameters are stored in clear by Prefect and shown in its UI and API, so a database URL
    travels without its password and `engine_for` puts the password back from the environment.
    """
    import sqlalchemy as sa

    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError as exc:
        from pipeline.errors import InputError

        raise InputError(f"not a database URL: {exc}", column="database_url") from None
    if parsed.password:
        os.environ[PASSWORD_ENV] = str(parsed.password)
        parsed = parsed._replace(password=None)  # URL.set ignores None
    return parsed.render_as_string(hide_password=False)


def no_password_in_url(url: str | None) -> str | None:
    """A pydantic validator: a database URL parameter must not carry a password (ValueError if it does)."""
    if url and "://" in url:
        import sqlalchemy as sa

        try:
            password = sa.engine.make_url(url).password
        except sa.exc.ArgumentError as exc:
            raise ValueError(f"not a database URL: {exc}") from None
        if password:
            raise ValueError(
                "the database URL carries a password, which Prefect would store and show in clear: "
                f"give the URL without it and set {PASSWORD_ENV} (or PGPASSWORD) where the flow runs")
    return url


def is_sql_url(target) -> bool:
    """True for a SQLAlchemy URL (postgresql+psycopg://...), False for a DuckDB file path."""
    return "://" in str(target)


def display_target(target) -> str:
    """The output database as it may be logged or written to a file: a URL loses its password."""
    if is_sql_url(target):
        import sqlalchemy as sa

        return sa.engine.make_url(str(target)).render_as_string(hide_password=True)
    return str(target)


def engine_for(url: str) -> sa.Engine:
    """An engine for `url`; a bare postgresql:// URL gets the psycopg 3 driver.

    A URL without a password takes it from VOC_DATABASE_PASSWORD (set it in the worker's
    environment, or let `voc` set it from a URL given on its command line); libpq's own PGPASSWORD
    and ~/.pgpass work as well.
    """
    import sqlalchemy as sa

    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    parsed = sa.engine.make_url(url)
    if parsed.password is None and os.environ.get(PASSWORD_ENV) and parsed.get_backend_name() != "duckdb":
        parsed = parsed.set(password=os.environ[PASSWORD_ENV])
    return sa.create_engine(parsed, future=True)
