"""A real PostgreSQL server for the tests: initdb + pg_ctl from the system package, on loopback.

The server runs as an unprivileged user (initdb refuses root: under root it runs as `postgres`),
in a temporary directory, on a free port, with its socket in that directory. Nothing is skipped:
if the server cannot start, the tests that need it fail with the reason and the fix.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

HINT = "install it with `bash scripts/services.sh` (apt-get install -y postgresql)"


PASSWORD_ROLE = "voc_pw"


def _bindir() -> Path:
    for name in ("pg_ctl",):
        found = shutil.which(name)
        if found:
            return Path(os.path.realpath(found)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if candidates:
        return Path(candidates[-1]).parent
    pytest.fail(f"PostgreSQL server binaries (pg_ctl, initdb) not found: {HINT}", pytrace=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(cmd: list[str], user: str | None, log: Path | None = None) -> None:
    if user:
        cmd = ["runuser", "-u", user, "--", *cmd]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        detail = proc.stderr.strip() or proc.stdout.strip()
        if log is not None and log.exists():
            detail += "\n" + log.read_text(errors="replace")[-2000:]
        pytest.fail(f"PostgreSQL test server: {' '.join(cmd)} failed:\n{detail}", pytrace=False)


@pytest.fixture(scope="session")
def postgres_server():
    """(url without database, admin database url) of a PostgreSQL server started for this session."""
    bindir = _bindir()
    user = None
    root = Path(tempfile.mkdtemp(prefix="voc-pg-"))
    if os.geteuid() == 0:
        user = "postgres"
        try:
            pw = pwd.getpwnam(user)
        except KeyError:
            pytest.fail(f"running as root and there is no 'postgres' user to run the server: {HINT}", pytrace=False)
        os.chown(root, pw.pw_uid, pw.pw_gid)
    data, log, port = root / "data", root / "server.log", _free_port()
    _run([str(bindir / "initdb"), "-D", str(data), "-U", "voc", "--auth=trust", "-E", "UTF8", "--locale=C"], user)
    # One role that must give a password (the others are trusted), for the tests of secrets and logins.
    hba = data / "pg_hba.conf"
    hba.write_text(f"host all {PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
    opts = f"-p {port} -h 127.0.0.1 -k {root} -c fsync=off -c full_page_writes=off"
    _run([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", opts, "-w", "-t", "60", "start"], user, log)
    try:
        yield f"postgresql+psycopg://voc@127.0.0.1:{port}"
    finally:
        cmd = [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
        subprocess.run(["runuser", "-u", user, "--", *cmd] if user else cmd, capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture()
def postgres_url(postgres_server):
    """A fresh, empty database on the session's server, as a SQLAlchemy URL."""
    import psycopg

    name = "voc_" + uuid.uuid4().hex[:10]
    admin = postgres_server.replace("postgresql+psycopg", "postgresql") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    yield f"{postgres_server}/{name}"
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
