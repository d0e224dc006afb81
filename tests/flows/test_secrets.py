"""A PostgreSQL password never becomes a flow parameter; a refused login is one clear line."""

import json
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import psycopg
import pytest
from typer.testing import CliRunner

from tests.postgres_server import PASSWORD_ROLE

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
SECRET = "Tz9-" + uuid.uuid4().hex[:12]


@pytest.fixture()
def password_database(postgres_server):
    """A database owned by a role that must log in with SECRET (the others are trusted)."""
    admin = postgres_server.replace("postgresql+psycopg", "postgresql") + "/postgres"
    name = "voc_pw_" + uuid.uuid4().hex[:8]
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{PASSWORD_ROLE}') THEN "
                    f"CREATE ROLE {PASSWORD_ROLE} LOGIN; END IF; END $$")
        con.execute(f"ALTER ROLE {PASSWORD_ROLE} PASSWORD '{SECRET}'")
        con.execute(f'CREATE DATABASE "{name}" OWNER {PASSWORD_ROLE}')
    host = postgres_server.split("@", 1)[1]
    yield f"postgresql://{PASSWORD_ROLE}@{host}/{name}"
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def small_sample(tmp_path_factory):
    from samplegen import write_sample

    out = tmp_path_factory.mktemp("secret-sample")
    write_sample(out, n_rows=500, seed=11)
    return out


def test_the_password_in_database_url_never_reaches_the_prefect_api(password_database, small_sample, tmp_path,
                                                                      prefect_harness, monkeypatch):
    from prefect.settings import PREFECT_API_URL

    from voc.cli import app

    monkeypatch.delenv("VOC_DATABASE_PASSWORD", raising=False)
    url = password_database.replace(f"{PASSWORD_ROLE}@", f"{PASSWORD_ROLE}:{SECRET}@")
    result = CliRunner().invoke(app, ["--workspace", str(tmp_path / "ws"), "run", "--sources",
                                      str(small_sample / "sources.yaml"), "--database-url", url])
    assert result.exit_code == 0, result.output[-3000:]
    with psycopg.connect(password_database, password=SECRET) as con:
        assert con.execute("SELECT count(*) FROM feedback").fetchone()[0] > 200
    # Through the REST API as the UI reads it (Prefect's own client sends limit=null, refused with 422).
    api = PREFECT_API_URL.value()
    runs = httpx.post(f"{api}/flow_runs/filter", json={"limit": 200, "offset": 0, "sort": "START_TIME_DESC"},
                      timeout=30).json()
    dumped = [json.dumps(r) for r in runs]
    daily_runs = [d for d in dumped if password_database.rsplit("/", 1)[1] in d]
    assert daily_runs, "the run's parameters should name the database (without its password)"
    assert not any(SECRET in d for d in dumped)


def test_a_refused_login_is_one_error_line_with_exit_status_2(password_database, small_sample, tmp_path):
    env = {"VOC_WORKSPACE": str(tmp_path / "ws"), "VOC_DATABASE_PASSWORD": "wrong-password",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           "PYTHONPATH": str(REPO)}  # this checkout's code, whatever the virtualenv has installed
    out = subprocess.run([sys.executable, "-m", "voc", "run", "--sources", str(small_sample / "sources.yaml"),
                          "--database-url", password_database], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 2, out.stdout[-2000:] + out.stderr[-2000:]
    errors = [l for l in out.stdout.splitlines() if l.startswith("error:")]
    assert len(errors) == 1 and "refused the login" in errors[0], out.stdout[-2000:]
    assert "Traceback" not in out.stdout + out.stderr
    assert "wrong-password" not in out.stdout + out.stderr
