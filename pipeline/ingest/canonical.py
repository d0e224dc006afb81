"""Map one source's raw rows onto the canonical feedback schema; quarantine what cannot be accepted.

Pure: a raw table in (as `read_source` returns it), two tables out, no I/O. Every input row ends
in exactly one of the two tables. Text and the raw row are PII-masked before they enter either.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection

import numpy as np
import pandas as pd

from pipeline.errors import RowCountMismatchError
from pipeline.ingest._dates import AUTO_DESCRIPTION, parse_datetimes
from pipeline.ingest.mapping import OPTIONAL_FIELDS, SourceSpec
from pipeline.ingest.pii import mask_pii_series
from pipeline.ingest.readers import SOURCE_LINE
from pipeline.schema import FEEDBACK_COLUMNS, QUARANTINE_COLUMNS, require_columns

STAGE = "ingest.canonicalize"


# A row with several problems is quarantined under the first of these; its detail lists all.
REASONS = ("missing_id", "empty_text", "bad_date", "nps_out_of_range", "duplicate_id")


# Byte-order marks and zero-width characters: invisible, yet they make "\ufeff007" a different id from "007".
_INVISIBLE = r"[\ufeff\u200b-\u200f\u2060\u202a-\u202e\u00ad]"
TRUNCATED_MARK = "…[已截断：原文{n}字]"


def _strip(s: pd.Series) -> pd.Series:
    """Strip whitespace (incl. full-width spaces) and NUL characters; empty becomes missing.

    NUL is never text anyone wrote (a binary export artefact) and PostgreSQL cannot store it, so
    it is dropped here for every backend alike.
    """
    s = s.astype("str").str.replace("\x00", "", regex=False).str.strip()
    return s.where(s != "")


def _strip_id(s: pd.Series) -> pd.Series:
    """Like `_strip`, and drop invisible characters, so duplicate detection sees the id people see."""
    return _strip(s.astype("str").str.replace(_INVISIBLE, "", regex=True))


def _cap(text: pd.Series, limit: int) -> pd.Series:
    """Cut texts longer than `limit` characters, marking each cut with the original length."""
    lengths = text.str.len()
    long = lengths > limit
    if not long.any():
        return text
    out = text.copy()
    out[long] = [t[:limit] + TRUNCATED_MARK.format(n=n) for t, n in zip(text[long], lengths[long])]
    return out


def _problem(flag: pd.Series, messages: pd.Series | str) -> pd.Series:
    """Messages where `flag` is set, missing elsewhere (object dtype)."""
    out = pd.Series([None] * len(flag), index=flag.index, dtype=object)
    if flag.any():
        picked = messages[flag] if isinstance(messages, pd.Series) else messages
        out[flag] = picked
    return out


def _quote(s: pd.Series) -> pd.Series:
    return "'" + s.astype("str").fillna("") + "'"


def _parse_nps(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(scores as Int64, flag of present values that are not an integer 0..10)."""
    # NFKC turns full-width ９ into 9; "9.0" (a float column written as text) counts as 9.
    numbers = pd.to_numeric(values.str.normalize("NFKC"), errors="coerce")
    ok = numbers.notna() & (numbers == np.floor(numbers)) & numbers.between(0, 10)
    bad = values.notna() & ~ok
    return numbers.where(ok).astype("Int64"), bad


def _duplicates(
    fid: pd.Series, valid: pd.Series, lines: pd.Series, seen: Collection[str]
) -> tuple[pd.Series, pd.Series]:
    """(flag, message) for rows whose id was accepted earlier in this batch or in an earlier one.

    The first *acceptable* row of an id is kept, so a corrected re-send after a broken row wins.
    """
    pos = pd.Series(np.arange(len(fid)), index=fid.index)
    first_pos = pos[valid].groupby(fid[valid]).min()
    first_line = lines[valid].groupby(fid[valid]).first()
    earlier = fid.map(first_pos).astype("float64")  # NaN where no acceptable row has the id
    in_batch = fid.notna() & earlier.notna() & (earlier < pos)
    in_seen = fid.isin(list(seen)) if len(seen) else pd.Series(False, index=fid.index)
    in_seen = in_seen & fid.notna()
    msg_batch = "already accepted from line " + fid.map(first_line).astype("Int64").astype("str")
    messages = msg_batch.where(~in_seen, "already accepted in an earlier batch")
    return in_batch | in_seen, messages


def _raw_json(raw: pd.DataFrame, rows: pd.Series) -> list[str]:
    """The original `rows` of `raw` as JSON objects, PII-masked value by value."""
    columns = [c for c in raw.columns if c != SOURCE_LINE]
    masked = [mask_pii_series(raw.loc[rows, c]).tolist() for c in columns]
    return [
        json.dumps(
            {c: (None if pd.isna(v) else v) for c, v in zip(columns, values, strict=True)},
            ensure_ascii=False,
        )
        for values in zip(*masked, strict=True)
    ]


def canonicalize(
    raw: pd.DataFrame,
    spec: SourceSpec,
    file: str,
    *,
    seen_ids: Collection[str] = (),
    file_sha256: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Turn one source's raw rows into accepted feedback and quarantined rows.

    Args:
        raw: the source's rows as `read_source` returns them, shape (n, k); text columns plus
            `source_line`.
        spec: the source's mapping entry.
        file: the source file, as it should appear in the quarantine table.
        seen_ids: feedback_ids ("<source>:<id>") accepted in earlier batches; repeats of them are
            quarantined as duplicate_id.
        file_sha256: fingerprint of the file's bytes, stored with each quarantined row.

    Returns:
        (feedback, quarantine): feedback has schema.FEEDBACK_COLUMNS, quarantine has
        schema.QUARANTINE_COLUMNS, and len(feedback) + len(quarantine) == n.
    """
    mapped = spec.columns.mapped()
    require_columns(raw, [*mapped.values(), SOURCE_LINE], STAGE)
    raw = raw.reset_index(drop=True)
    lines = raw[SOURCE_LINE].astype("int64")
    id_col, text_col, date_col = mapped["feedback_id"], mapped["text"], mapped["created_at"]

    ids = _strip_id(raw[id_col])
    missing_id = ids.isna()
    text = _strip(raw[text_col])
    empty_text = text.isna()
    dates = _strip(raw[date_col])
    created = parse_datetimes(dates, spec.date_format)
    bad_date = created.isna()
    expected = spec.date_format or AUTO_DESCRIPTION
    problems = {
        "missing_id": _problem(missing_id, f"column '{id_col}': id is missing"),
        "empty_text": _problem(
            empty_text,
            f"column '{text_col}': text is empty ("
            + _quote(raw[text_col]).where(raw[text_col].notna(), "missing")
            + ")",
        ),
        "bad_date": _problem(
            bad_date,
            (
                f"column '{date_col}': cannot parse "
                + _quote(dates)
                + f" as a date (expected {expected})"
            ).where(dates.notna(), f"column '{date_col}': date is missing"),
        ),
    }
    nps = pd.Series(pd.NA, index=raw.index, dtype="Int64")
    bad_nps = pd.Series(False, index=raw.index)
    if "nps" in mapped:
        nps_values = _strip(raw[mapped["nps"]])
        nps, bad_nps = _parse_nps(nps_values)
        problems["nps_out_of_range"] = _problem(
            bad_nps,
            f"column '{mapped['nps']}': expected an integer score 0..10, got " + _quote(nps_values),
        )
    fid = (spec.name + ":" + ids).where(~missing_id)
    valid = ~(missing_id | empty_text | bad_date | bad_nps)
    dup, dup_messages = _duplicates(fid, valid, lines, seen_ids)
    problems["duplicate_id"] = _problem(
        dup, f"column '{id_col}': id " + _quote(ids) + " " + dup_messages
    )

    accepted = valid & ~dup
    feedback = _feedback(raw, spec, accepted, fid, lines, created, text, nps)
    quarantine = _quarantine(raw, spec, file, ~accepted, lines, problems)
    quarantine["file_sha256"] = pd.Series(file_sha256, index=quarantine.index, dtype="str")
    quarantine = quarantine[QUARANTINE_COLUMNS]
    if len(feedback) + len(quarantine) != len(raw):
        raise RowCountMismatchError(spec.name, len(raw), len(feedback), len(quarantine))
    return feedback, quarantine


def _vehicle_id(values: pd.Series, spec: SourceSpec) -> pd.Series:
    """A stable pseudonym per vehicle: the VIN is personal data, its hash still deduplicates alerts."""
    norm = values.str.upper().str.replace(r"[\s-]", "", regex=True)
    hashed = norm.map(lambda v: "veh-" + hashlib.sha256(v.encode("utf-8")).hexdigest()[:16], na_action="ignore")
    return hashed.astype("str").where(norm.notna(), pd.NA)


def _status(values: pd.Series, spec: SourceSpec) -> pd.Series:
    return values.str.lower()


def _closed_at(values: pd.Series, spec: SourceSpec) -> pd.Series:
    # An unparseable close time leaves the row accepted (its text is what matters) with NaT here.
    return parse_datetimes(values, spec.date_format)


_SPECIAL = {"vehicle_id": _vehicle_id, "work_order_status": _status, "closed_at": _closed_at}


def _feedback(
    raw: pd.DataFrame,
    spec: SourceSpec,
    keep: pd.Series,
    fid: pd.Series,
    lines: pd.Series,
    created: pd.Series,
    text: pd.Series,
    nps: pd.Series,
) -> pd.DataFrame:
    mapped = spec.columns.mapped()
    out = pd.DataFrame(
        {
            "feedback_id": fid[keep].astype("str"),
            "source": pd.Series(spec.name, index=fid.index[keep], dtype="str"),
            "source_line": lines[keep],
            "channel": pd.Series(str(spec.channel), index=fid.index[keep], dtype="str"),
            "created_at": created[keep],
            # Masked before the cut, so a cut cannot leave half a phone number readable.
            "text": _cap(mask_pii_series(text[keep]), spec.max_text_chars),
            "nps": nps[keep],
        }
    )
    for field in OPTIONAL_FIELDS:
        if field == "nps":
            continue
        if field in _SPECIAL and field in mapped:
            out[field] = _SPECIAL[field](_strip(raw.loc[keep, mapped[field]]), spec)
        elif field in _SPECIAL:
            out[field] = _SPECIAL[field](pd.Series(pd.NA, index=out.index, dtype="str"), spec)
        elif field in mapped:
            # Free-text columns can hold personal data too (a dealer field with a phone number).
            out[field] = mask_pii_series(_strip(raw.loc[keep, mapped[field]]))
        else:
            out[field] = pd.Series(pd.NA, index=out.index, dtype="str")
    return out[FEEDBACK_COLUMNS].reset_index(drop=True)


def _quarantine(
    raw: pd.DataFrame,
    spec: SourceSpec,
    file: str,
    rows: pd.Series,
    lines: pd.Series,
    problems: dict[str, pd.Series],
) -> pd.DataFrame:
    reasons: list[str] = []
    details: list[str] = []
    none = [None] * int(rows.sum())
    ordered = [problems[r][rows].tolist() if r in problems else none for r in REASONS]
    for row_problems in zip(*ordered, strict=True):
        found = [(r, d) for r, d in zip(REASONS, row_problems, strict=True) if isinstance(d, str)]
        reasons.append(found[0][0])
        details.append("; ".join(d for _, d in found))
    index = raw.index[rows]
    out = pd.DataFrame(
        {
            "source": pd.Series(spec.name, index=index, dtype="str"),
            "file": pd.Series(str(file), index=index, dtype="str"),
            "source_line": lines[rows],
            "raw_id": raw.loc[rows, spec.columns.feedback_id].astype("str"),
            "reason": pd.Series(reasons, index=index, dtype="str"),
            # The offending value is quoted in the detail, so it is masked as well.
            "detail": mask_pii_series(pd.Series(details, index=index, dtype="str")),
            "raw": pd.Series(_raw_json(raw, rows), index=index, dtype="str"),
        }
    )
    return out.reset_index(drop=True)
