"""Content fingerprints that let a write skip deriving fact tables it would derive identically.

Fact tables of a set of periods are a function of two things: the stored detail rows of those periods
(feedback, clauses, mentions, in the order the store returns them) and the derivation itself (its code,
taxonomy and settings, which the caller names by a `derive key`). A write that finds both unchanged since
the derivation that wrote those periods' facts can keep the stored facts: deriving again would give the
same rows. `run_id` is left out of the content: it is the only column that differs on every run, and
no derivation reads it (every derived row is stamped with the writing run's lineage afterwards).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

import pandas as pd

# Stored per period: the fingerprint of the derivation that last wrote its facts, and the fact tables
# that derivation wrote (those a skipped derivation re-stamps with the run's lineage).
FINGERPRINTS = "derivations"
FINGERPRINT_COLUMNS = ["period", "fingerprint", "fact_tables"]
UNREAD = ("run_id",)  # varies on every run; a derivation never reads it


def derivation_fingerprint(details: dict[str, pd.DataFrame], periods: list, derive_key: str) -> str:
    """One hash of everything a derivation over `periods` reads: the key and every detail row, in order.

    Order-sensitive on purpose: a derivation may keep the first of equal rows, so the same rows stored
    in another order count as other input (the facts are then derived again, never wrongly kept).
    """
    h = hashlib.blake2b(digest_size=20)
    h.update(json.dumps([derive_key, [period_day(p) for p in periods]]).encode("utf-8"))
    for name in sorted(details):
        df = details[name].drop(columns=[c for c in UNREAD if c in details[name].columns])
        h.update(json.dumps([name, len(df), [(str(c), str(t)) for c, t in df.dtypes.items()]]).encode("utf-8"))
        if len(df.columns) and len(df):
            h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    return h.hexdigest()


def fingerprint_rows(periods: list, fingerprint: str, fact_tables: Iterable[str]) -> pd.DataFrame:
    """The FINGERPRINTS rows a derivation over `periods` leaves."""
    names = ",".join(sorted(fact_tables))
    return pd.DataFrame({"period": list(periods), "fingerprint": fingerprint, "fact_tables": names},
                        columns=FINGERPRINT_COLUMNS)


def unchanged_tables(stored: pd.DataFrame, periods: list, fingerprint: str) -> list[str] | None:
    """The fact tables to keep when every period's stored fingerprint is `fingerprint`, else None."""
    if stored.empty or not periods or not {"period", "fingerprint", "fact_tables"} <= set(stored.columns):
        return None
    by_period = {period_day(p): (f, t) for p, f, t in stored[["period", "fingerprint", "fact_tables"]].itertuples(index=False)}
    found = [by_period.get(period_day(p)) for p in periods]
    if any(f is None or f[0] != fingerprint for f in found):
        return None
    return sorted({name for _, tables in found for name in str(tables).split(",") if name})


def period_day(period) -> str:
    """A period as one spelling, whether it was read back as a date or a timestamp."""
    return pd.Timestamp(period).date().isoformat()
