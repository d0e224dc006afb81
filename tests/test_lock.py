"""requirements.txt agrees with pyproject.toml's bounds, and the environment is the locked one."""

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^ \\;]+)")


def _locked() -> dict[str, Version]:
    pins = {}
    for line in (REPO / "requirements.txt").read_text(encoding="utf-8").splitlines():
        m = PIN.match(line)
        if m:
            pins[canonicalize_name(m.group(1))] = Version(m.group(2))
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = list(project["dependencies"]) + list(project["optional-dependencies"]["dev"])
    constraints = [l.split("#")[0].strip() for l in (REPO / "constraints.txt").read_text().splitlines()]
    return [Requirement(r) for r in reqs + [c for c in constraints if c]]


def test_every_declared_dependency_is_locked_within_its_bounds():
    locked = _locked()
    assert len(locked) > 100
    problems = []
    for req in _declared():
        name = canonicalize_name(req.name)
        if name not in locked:
            problems.append(f"{req} is not in requirements.txt")
        elif not req.specifier.contains(locked[name], prereleases=True):
            problems.append(f"{req}: requirements.txt has {locked[name]}")
    assert not problems, "run `bash scripts/lock.sh`:\n" + "\n".join(problems)


def test_known_breaks_stay_excluded():
    locked = _locked()
    assert locked["sqlalchemy"] < Version("2.1"), "Prefect 3.8.8's scheduler creates no runs with SQLAlchemy 2.1"
    assert Version("0.149") <= locked["fastapi"] < Version("0.155"), "Prefect 3.8.8's server fails to start"
    assert str(locked["torch"]).startswith("2.13.0"), "any other torch pulls the CUDA build"


def test_the_installed_environment_is_the_locked_one():
    drift = []
    for name, version in _locked().items():
        try:
            installed = Version(metadata.version(name))
        except metadata.PackageNotFoundError:
            drift.append(f"{name} {version} is locked but not installed")
            continue
        if installed != version:
            drift.append(f"{name}: installed {installed}, locked {version}")
    if drift:
        pytest.fail("the environment differs from requirements.txt (run `bash scripts/install.sh`):\n"
                    + "\n".join(drift))
