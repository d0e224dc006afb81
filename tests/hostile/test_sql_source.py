"""A ticket system's database as a source (PostgreSQL, through SQLAlchemy): reading, errors, arrival."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import psycopg
import pytest

from pipeline.errors import InputError
from pipeline.ingest import ingest_sources, load_sources
from tests.postgres_server import postgres_server, postgres_url  # noqa: F401

SOURCES = """\
sources:
  - name: tickets
    format: sql
    url_env: VOC_TEST_TICKETS_URL
    {what}
    channel: call_center
    columns: {{feedback_id: ticket_id, created_at: opened_at, text: body, nps: score}}
"""


def _tickets(url: str, rows: list[tuple]) -> None:
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as con:
        con.execute("CREATE TABLE IF NOT EXISTS tickets (ticket_id bigint PRIMARY KEY, opened_at timestamp,"
                    " body text, score numeric, raw bytea)")
        for row in rows:
            con.execute("INSERT INTO tickets VALUES (%s, %s, %s, %s, %s)", row)


def _load(tmp_path: Path, url: str, monkeypatch, what: str = "table: tickets"):
    monkeypatch.setenv("VOC_TEST_TICKETS_URL", url)
    (tmp_path / "sources.yaml").write_text(SOURCES.format(what=what), encoding="utf-8")
    return load_sources(tmp_path / "sources.yaml")


DAY = dt.datetime(2026, 9, 1, 9, 30)


def test_table_rows_become_feedback_and_quarantine(tmp_path, postgres_url, monkeypatch, audit) -> None:  # noqa: F811
    _tickets(postgres_url, [(1, DAY, "车机卡顿严重", 9, None), (2, DAY, "", 3, None),
                            (3, None, "底盘异响", 12, None), (4, DAY, "刹车有异响，电话13812345678", 7, None)])
    result = ingest_sources(_load(tmp_path, postgres_url, monkeypatch))
    fb = result.feedback.set_index("feedback_id")
    assert list(fb.index) == ["tickets:1", "tickets:4"]
    assert str(fb.loc["tickets:1", "created_at"]) == "2026-09-01 09:30:00" and fb.loc["tickets:1", "nps"] == 9
    assert "13812345678" not in fb.loc["tickets:4", "text"]  # masked like any other source
    q = result.quarantine
    assert sorted(zip(q["source_line"], q["reason"])) == [(2, "empty_text"), (3, "bad_date")]
    file = result.counts["file"].iloc[0]
    assert file.endswith("#tickets") and file.startswith("postgresql+psycopg://voc@")
    # the same content read again has the same fingerprint; a new ticket changes it
    again = ingest_sources(_load(tmp_path, postgres_url, monkeypatch))
    assert again.counts["file_sha256"].tolist() == result.counts["file_sha256"].tolist()
    _tickets(postgres_url, [(5, DAY, "导航死机", None, None)])
    third = ingest_sources(_load(tmp_path, postgres_url, monkeypatch))
    assert third.counts["file_sha256"].iloc[0] != result.counts["file_sha256"].iloc[0]
    assert len(third.feedback) == 3
    audit(rows_in=5, accepted=len(third.feedback), quarantined=len(third.quarantine))


def test_query_source(tmp_path, postgres_url, monkeypatch) -> None:  # noqa: F811
    _tickets(postgres_url, [(1, DAY, "车机卡顿", 9, None), (2, DAY, "异响", 8, None)])
    what = 'query: "SELECT ticket_id, opened_at, body, score FROM tickets WHERE ticket_id > 1"'
    result = ingest_sources(_load(tmp_path, postgres_url, monkeypatch, what))
    assert result.feedback["feedback_id"].tolist() == ["tickets:2"]


def test_a_query_cannot_change_the_database(tmp_path, postgres_url, monkeypatch) -> None:  # noqa: F811
    _tickets(postgres_url, [(1, DAY, "车机卡顿", 9, None)])
    what = 'query: "DELETE FROM tickets RETURNING ticket_id, opened_at, body, score"'
    ingest_sources(_load(tmp_path, postgres_url, monkeypatch, what))
    result = ingest_sources(_load(tmp_path, postgres_url, monkeypatch))
    assert len(result.feedback) == 1  # rolled back


@pytest.mark.parametrize(
    ("what", "env", "expected"),
    [
        ("table: no_such_table", None, r"#no_such_table: source 'tickets': no table 'no_such_table'"),
        ('query: "SELECT nonsense FROM tickets"', None, r"#query: source 'tickets': the database refused the read: column \"nonsense\" does not exist"),
        ('query: "SELECT ticket_id, body FROM tickets"', None, r"#query: column 'opened_at': mapped column for 'created_at' is not in the file"),
        ("table: tickets", "", r"environment variable VOC_TEST_TICKETS_URL \(url_env\) is not set"),
        ("table: tickets", "postgresql+psycopg://voc@127.0.0.1:1/nowhere", r"the database refused the read: connection"),
    ],
    ids=["no table", "bad query", "missing column", "no url", "unreachable"],
)
def test_errors_are_one_line_naming_the_source(tmp_path, postgres_url, monkeypatch, what, env, expected, audit) -> None:  # noqa: F811
    _tickets(postgres_url, [(1, DAY, "车机卡顿", 9, None)])
    config = _load(tmp_path, postgres_url, monkeypatch, what)
    if env is not None:
        monkeypatch.setenv("VOC_TEST_TICKETS_URL", env)
    with pytest.raises(InputError, match=expected) as info:
        ingest_sources(config)
    audit(error=str(info.value))


def test_binary_text_that_is_not_utf8(tmp_path, postgres_url, monkeypatch) -> None:  # noqa: F811
    _tickets(postgres_url, [(1, DAY, "车机卡顿", 9, "异响".encode("gbk"))])
    what = 'query: "SELECT ticket_id, opened_at, raw AS body, score FROM tickets"'
    with pytest.raises(InputError, match=r"#query:1: column 'body': binary value that is not UTF-8 text"):
        ingest_sources(_load(tmp_path, postgres_url, monkeypatch, what))


def test_mapping_errors(tmp_path) -> None:
    (tmp_path / "sources.yaml").write_text(SOURCES.format(what="path: x.csv"), encoding="utf-8")
    with pytest.raises(InputError, match=r"sources.yaml:\d+: field 'path': a sql source reads a database"):
        load_sources(tmp_path / "sources.yaml")
    (tmp_path / "sources.yaml").write_text(SOURCES.format(what="table: a\n    query: SELECT 1"), encoding="utf-8")
    with pytest.raises(InputError, match=r"field 'table': give exactly one of table and query"):
        load_sources(tmp_path / "sources.yaml")


@pytest.mark.slow
def test_arrival_model_with_late_tickets(tmp_path, postgres_url, monkeypatch, prefect_harness, audit) -> None:  # noqa: F811
    """Incremental runs over a ticket table: a ticket entered after the watermark for an earlier day is stored."""
    from flows.daily import daily
    from tests.conftest import params_for
    from tests.hostile.scenarios import table

    day = [(i, dt.datetime(2026, 9, 1 + i % 2, 10), "车机卡顿严重" if i % 3 else "", 8, None) for i in range(1, 13)]
    _tickets(postgres_url, day)
    _load(tmp_path, postgres_url, monkeypatch)
    params = params_for(tmp_path / "sources.yaml", tmp_path).replace(incremental=True)
    daily(params.replace(window_end=dt.date(2026, 9, 3)))
    _tickets(postgres_url, [(100, dt.datetime(2026, 9, 1, 15), "底盘异响", 6, None),  # late, for the 1st
                            (101, dt.datetime(2026, 9, 3, 9), "刹车有异响", 7, None)])
    second = daily(params.replace(window_end=dt.date(2026, 9, 4)))
    assert second["late_rows"] == 1 and second["in_window"] == 2
    third = daily(params.replace(window_end=dt.date(2026, 9, 4)))  # nothing new
    assert third.get("skipped") or third["in_window"] == 0
    db = params.outputs.database
    stored, quarantined = set(table(db, "feedback")["feedback_id"]), table(db, "quarantine")
    assert stored == {f"tickets:{i}" for i in (*range(1, 13), 100, 101) if i % 3 or i >= 100}
    # kept per delivery: the four empty tickets, once for each content of the table that was read
    assert quarantined["raw_id"].nunique() == 4 and set(quarantined["reason"]) == {"empty_text"}
    assert len(quarantined) == 8 and quarantined["file_sha256"].nunique() == 2
    audit(rows_in=14, accepted=len(stored), quarantined=quarantined["raw_id"].nunique())
