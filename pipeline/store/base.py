"""The output store: what writing a run means, whatever database holds the tables.

`Store` states the job once: a run is written in one transaction (a failure leaves the database as it
was), each table replaces the rows a run supersedes by its REPLACE_BY rule, fact tables are derived
again from the stored details of every period the run touched (or kept, when a stored fingerprint shows
the same derivation made them from the same rows), a window of sources can be replaced
exactly, and whole tables are read and exported to Parquet. A backend (DuckDB, SQLAlchemy) only says
how its database does the steps that differ: connecting, creating and widening tables, deleting by a
list of keys and bulk loading, the way SQLAlchemy's dialects differ under one Core API.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.store.fingerprint import FINGERPRINTS, derivation_fingerprint, fingerprint_rows, period_day, unchanged_tables
from pipeline.views import create_views
from pipeline.windows import Window

# How a run replaces earlier rows of each table. Detail tables are keyed by feedback: a feedback
# processed again replaces its earlier rows, and feedback from other runs stays. Fact tables are derived
# per period from the stored details (see `Store.write`), so a run fed one day's file recomputes its
# month from every stored day instead of replacing the month with that one day.
REPLACE_BY = {
    "feedback": "feedback_id",
    "clauses": "feedback_id",
    "mentions": "feedback_id",
    "fact_category_counts": "period",
    "fact_department_counts": "period",
    "fact_feedback_volume": "period",
    "fact_topic_counts": "period",
    "fact_nps_drivers": "period",
    "fact_nps_change": "period",
    "fact_department_attribution": "period",
    "fact_loss": "period",
    "fact_leaderboard": "period",
    "fact_competitor_benchmark": "period",
    "alerts": "alert_id",
    "alert_duplicates": "feedback_id",
    "alert_outbox": "message_id",
    "alert_events": "event_id",
    "alert_status": "all",
    "fact_topic_trend": "period",
    "emerging": "period",
    "topic_lineage": "topic_model_version",
    "topic_hierarchy": "topic_model_version",
    # Per delivery, not per path: a daily export overwritten in place keeps the earlier days' rows;
    # the same bytes run again replace their own rows (no duplicates).
    "quarantine": "file_sha256",
    "ingest_counts": "file_sha256",
    "topics": "topic_model_version",
    "dim_category": "all",
    "dim_department": "all",
    "dim_category_owner": "all",
    # One row per run, whatever the retries: a write retried after its commit (the Parquet export
    # failed) replaces its own row instead of adding another.
    "runs": "run_id",
    "watermarks": "stream",
    FINGERPRINTS: "period",  # which derivation wrote each period's facts (see `Store.write`)
}
# Tables whose stored rows are never replaced: a row whose key is already stored is skipped. An outbox
# row rewritten by a second scan would turn `sent` back into `pending` and send the alert again; review
# events are a log.
KEEP_EXISTING = {"alert_outbox", "alert_events"}
DETAIL_TABLES = ("feedback", "clauses", "mentions")
LINEAGE = ["run_id", "taxonomy_version", "embedder_id", "topic_model_version"]

Derive = Callable[[dict[str, pd.DataFrame]], dict[str, pd.DataFrame]]


def stamp(df: pd.DataFrame, lineage: dict[str, str]) -> pd.DataFrame:
    """Add the run id and versions to every row, so each number is traceable."""
    return df.assign(**{k: lineage[k] for k in LINEAGE})


def derivation_periods(incoming: pd.Series, stored: list) -> tuple[list, list]:
    """(read, write): the periods whose stored details a derivation reads, and those whose facts it writes.

    A run writes the facts of the periods it touched and of the stored period just after each of them
    (that period's NPS change is taken from the touched one). Each written period needs the period
    before it as context, so that one is read too; a period read only as context keeps its stored
    facts (derived without its own period before, its period-over-period rows would be lost).
    """
    objs: dict[str, object] = {}
    for p in stored:
        if p is not None and not pd.isna(p):
            objs.setdefault(period_day(p), p)
    touched = set()
    for p in incoming.dropna():
        objs[period_day(p)] = p
        touched.add(period_day(p))
    days = sorted(objs)
    write = set(touched)
    for i, d in enumerate(days[:-1]):
        if d in touched:
            write.add(days[i + 1])
    read = write | {days[i - 1] for i, d in enumerate(days) if d in write and i > 0}
    return [objs[d] for d in sorted(read)], [objs[d] for d in sorted(write)]


def _of_periods(df: pd.DataFrame, periods: list) -> pd.DataFrame:
    """The rows of a fact table whose period is one of `periods` (dates and timestamps alike)."""
    if "period" not in df.columns or df.empty:
        return df
    wanted = {period_day(p) for p in periods}
    return df[df["period"].map(lambda p: p is not None and not pd.isna(p) and period_day(p) in wanted)]


class Store(ABC):
    """One output database. Backends implement the methods marked abstract; the rest is shared.

    Args:
        target: a DuckDB file path or a SQLAlchemy URL, as the backend expects it.
    """

    def __init__(self, target: str | Path) -> None:
        self.target = target

    # -- the job ---------------------------------------------------------------------------------------

    def write(
        self,
        tables: dict[str, pd.DataFrame],
        lineage: dict[str, str],
        derive: Derive | None = None,
        replace_window: tuple[Window, list[str]] | None = None,
        derive_key: str | None = None,
    ) -> dict[str, int]:
        """Write a run in one transaction: a failure leaves the database as it was.

        Args:
            tables: name -> table; every name must be in REPLACE_BY.
            lineage: run_id, taxonomy_version, embedder_id, topic_model_version.
            derive: computes fact tables from detail tables. When given, after the detail tables are
                written, all stored feedback, clauses and mentions of the periods this run touched are
                read back (inside the transaction) and `derive(details)` replaces those periods' facts.
            replace_window: (window, sources): first delete every stored feedback of these sources
                created inside the window, with its clauses and mentions, so a re-run of a window
                replaces it exactly (a row that is now quarantined or gone from the source does not
                linger); the periods those rows belonged to are derived again too.
            derive_key: names everything `derive` computes with besides the detail rows (its code,
                taxonomy, settings). When given, a derivation whose key and detail rows (all but
                run_id, in stored order) are those of the derivation that wrote the periods' facts
                is not run again: the stored facts are what it would give, and they are only
                re-stamped with this run's lineage, as a derivation would leave them. Without a key
                the facts are always derived.

        Returns:
            name -> rows in the table after the write.
        """
        with self._transaction() as tx:
            cleared = self._clear_window(tx, *replace_window) if replace_window else []
            for name, df in tables.items():
                self._replace(tx, name, df, lineage)
            written = set(tables)
            # Period facts written directly (not derived here) are no longer what a derivation left.
            direct = [df["period"] for n, df in tables.items()
                      if REPLACE_BY[n] == "period" and n != FINGERPRINTS and "period" in df]
            self._forget_derivations(tx, [p for s in direct for p in pd.unique(s.dropna())])
            incoming = pd.concat([tables["feedback"]["period"], pd.Series(cleared, dtype=object)]) \
                if "feedback" in tables and len(tables["feedback"]) else pd.Series(cleared, dtype=object)
            if derive is not None and len(incoming) and "feedback" in self._tables(tx):
                stored = [r[0] for r in self._fetch(tx, "SELECT DISTINCT period FROM feedback")]
                periods, derived = derivation_periods(incoming, stored)
                details = {t: self._rows_of_periods(tx, t, periods) for t in DETAIL_TABLES}
                written |= self._derive(tx, details, periods, derive, derive_key, lineage, derived)
            create_views(lambda sql: self._execute(tx, sql), self._tables(tx))
            return {n: self._fetch(tx, f'SELECT count(*) FROM "{n}"')[0][0] for n in sorted(written)}

    def read_watermark(self, stream: str):
        """End (exclusive, a date) of the last completed window of `stream`, or None if there is none yet."""
        marks = self.read("watermarks")
        if marks.empty:
            return None
        mine = marks.loc[marks["stream"] == stream, "watermark"].dropna()
        return pd.Timestamp(mine.max()).date() if len(mine) else None

    def export(self, out_dir: str | Path, names: list[str]) -> dict[str, Path]:
        """Export whole tables to `<out_dir>/<name>.parquet` (written to a temporary name, then renamed)."""
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        temporary = [(name, out_dir / f".{name}.parquet.tmp") for name in names]
        self._export_tables(temporary)
        paths = {}
        for name, tmp in temporary:
            paths[name] = out_dir / f"{name}.parquet"
            os.replace(tmp, paths[name])
        return paths

    def display(self) -> str:
        """The database as it may be logged or written to a file (no password)."""
        return str(self.target)

    @abstractmethod
    def read(self, name: str) -> pd.DataFrame:
        """A whole table (or view); empty when it does not exist yet."""

    def read_many(self, names: list[str]) -> dict[str, pd.DataFrame]:
        """Whole tables, as `read` gives each (a backend may read them over one connection)."""
        return {name: self.read(name) for name in names}

    @abstractmethod
    def stored_values(self, table: str, column: str) -> set:
        """Distinct values of `column` already stored in `table` (empty when either does not exist yet)."""

    # -- one run's replacement rules, shared -------------------------------------------------------------

    def _derive(self, tx, details: dict[str, pd.DataFrame], periods: list, derive: Derive, derive_key: str | None,
                lineage: dict[str, str], touched: list) -> set[str]:
        """Replace the facts of the `touched` periods by `derive(details)` over all `periods` (see
        `derivation_periods`), or keep them when that would change nothing.

        Returns the names of the fact tables of `touched`.
        """
        fingerprint = derivation_fingerprint(details, periods, derive_key) if derive_key else None
        if fingerprint and FINGERPRINTS in self._tables(tx):
            kept = unchanged_tables(self._rows_of_periods(tx, FINGERPRINTS, touched), touched, fingerprint)
            if kept is not None and set(kept) <= self._tables(tx):  # (a table dropped since: derive it)
                for name in [*kept, FINGERPRINTS]:
                    self._restamp(tx, name, touched, {k: lineage[k] for k in LINEAGE})
                return set(kept)
        facts = derive(details)
        for name, df in facts.items():
            # The context period's facts stay as stored: derived here without its own period before,
            # its period-over-period rows would be lost.
            self._replace(tx, name, _of_periods(df, touched), lineage, scope=touched)
        if fingerprint:
            self._replace(tx, FINGERPRINTS, fingerprint_rows(touched, fingerprint, facts), lineage, scope=touched)
        else:
            self._forget_derivations(tx, touched)
        return set(facts)

    def _forget_derivations(self, tx, periods: list) -> None:
        """The facts of `periods` were written otherwise: no later write may keep them as derived."""
        if periods and FINGERPRINTS in self._tables(tx):
            self._delete_keys(tx, FINGERPRINTS, "period", list(periods))

    def _replace(self, tx, name: str, df: pd.DataFrame, lineage: dict[str, str], scope: list | None = None) -> None:
        """Delete the rows `df` supersedes (by the table's REPLACE_BY key), then insert `df`.

        `scope`, when given, lists the key values to replace even where `df` has no row for them (a
        recomputed period whose fact table came out empty must not keep its stale rows).
        """
        if name not in REPLACE_BY:
            raise ValueError(f"{self.display()}: no replacement rule for table {name!r} "
                             "(every table a run writes needs one in pipeline/store/base.py REPLACE_BY)")
        df = stamp(df.drop(columns=[c for c in LINEAGE if c in df.columns]), lineage).reset_index(drop=True)
        rule = REPLACE_BY[name]
        if name in KEEP_EXISTING:  # insert only rows whose key is not stored yet
            self._ensure_table(tx, name, df, rule, None)
            keys = list(pd.unique(df[rule].dropna()))
            if keys:
                df = df[~df[rule].isin(self._stored_keys(tx, name, rule, keys))]
            self._load(tx, name, df)
            return
        keys = scope if scope is not None else (
            list(pd.unique(df[rule].dropna())) if rule not in ("all", "append") else None)
        self._ensure_table(tx, name, df, rule, keys)
        if rule == "all":
            self._execute(tx, f'DELETE FROM "{name}"')
        elif rule != "append" and keys:
            self._delete_keys(tx, name, rule, keys)
        self._load(tx, name, df)

    # -- what each backend does its own way ----------------------------------------------------------------

    @abstractmethod
    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        """One transaction, committed when the block ends, rolled back if it raises."""

    @abstractmethod
    def _execute(self, tx, sql: str) -> None:
        """Run one statement that returns nothing."""

    @abstractmethod
    def _fetch(self, tx, sql: str) -> list[tuple]:
        """Run one query; all its rows."""

    @abstractmethod
    def _tables(self, tx) -> set[str]:
        """Every table and view, and every `table.column`, of the database."""

    @abstractmethod
    def _rows_of_periods(self, tx, table: str, periods: list) -> pd.DataFrame:
        """The stored rows of `table` whose `period` is one of `periods` (periods as dates)."""

    @abstractmethod
    def _clear_window(self, tx, window: Window, sources: list[str]) -> list:
        """Delete the stored details of `sources` inside `window`; return the periods they belonged to."""

    @abstractmethod
    def _ensure_table(self, tx, name: str, df: pd.DataFrame, key: str, keys: list | None) -> None:
        """Create `name` for `df`'s columns, or add the columns a newer release added.

        `keys` are the values the write replaces by `key` (they type a key column `df` leaves empty).
        """

    @abstractmethod
    def _restamp(self, tx, name: str, periods: list, lineage: dict[str, str]) -> None:
        """Set the lineage columns of the rows of `name` whose period is one of `periods` to `lineage`,
        leaving the table as deleting those rows and loading them again, stamped, would."""

    @abstractmethod
    def _stored_keys(self, tx, name: str, key: str, keys: list) -> set:
        """Which of `keys` are already stored in column `key` of `name`."""

    @abstractmethod
    def _delete_keys(self, tx, name: str, key: str, keys: list) -> None:
        """Delete the rows of `name` whose `key` is one of `keys` (any number of them)."""

    @abstractmethod
    def _load(self, tx, name: str, df: pd.DataFrame) -> None:
        """Bulk insert `df` into `name` (matched by column name)."""

    @abstractmethod
    def _export_tables(self, tables: list[tuple[str, Path]]) -> None:
        """Write each whole table `name` to a Parquet file at its `path`, over one connection."""
