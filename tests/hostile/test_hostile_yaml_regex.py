"""Hostile taxonomy and source-mapping files: alias bombs, deep nesting, backtracking regexes, look-alike ids.

Each must end in one clear `file:line` error (or, for a regex RE2 can run, in a result), never a
hang, a RecursionError or exhausted memory. Hang checks run in a subprocess with a time limit.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.ingest.mapping import load_sources
from pipeline.taxonomy import lint_taxonomies, load_taxonomy
from pipeline.yamlio import MAX_DEPTH, LocatedYaml

ROOT = Path(__file__).resolve().parents[2]

BOMB = "".join(
    f"{k}: &{k} [{', '.join(['*' + p] * 9) if p else ', '.join(['lol'] * 9)}]\n"
    for p, k in zip(["", "a", "b", "c", "d", "e", "f", "g", "h"], "abcdefghi")
)

BASE = """\
version: h1
departments:
  rnd: {name: 研发}
categories:
  product:
    name: 产品
    owners: {rnd: 1.0}
  product.noise:
    name: 异响
    parent: product
    rules:
      any: [异响]
"""


def _write(tmp_path: Path, text: str, name: str = "tax.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _run(code: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


@pytest.mark.parametrize("loader", [load_taxonomy, load_sources])
def test_alias_bomb_is_a_located_error(tmp_path: Path, loader) -> None:
    path = _write(tmp_path, "version: x\n" + BOMB)
    with pytest.raises(InputError) as info:
        loader(path)
    message = str(info.value)
    assert "expands to more than" in message and f"{path}:" in message and "\n" not in message


@pytest.mark.parametrize("text", [
    "version: x\nk: " + "[" * 5000 + "]" * 5000 + "\n",
    "version: x\nk: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n",
    "version: x\n" + "".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "v: 1\n",
])
def test_deep_nesting_is_a_located_error(tmp_path: Path, text: str) -> None:
    path = _write(tmp_path, text)
    for loader in (load_taxonomy, load_sources, LocatedYaml.load):
        with pytest.raises(InputError, match=f"nested deeper than {MAX_DEPTH} levels") as info:
            loader(path)
        assert str(info.value).startswith(f"{path}:")


def test_ordinary_anchors_still_work(tmp_path: Path) -> None:
    doc = LocatedYaml.load(_write(tmp_path, "a: &x [1, 2]\nb: *x\n"))
    assert doc.data == {"a": [1, 2], "b": [1, 2]}


def test_backtracking_regex_runs_in_linear_time(tmp_path: Path) -> None:
    """`(响+)+$` hangs Python's re on a long clause; on RE2 lint passes and matching finishes."""
    path = _write(tmp_path, BASE + "      regex: ['(响+)+$']\n")
    done = _run(f"""
        from pipeline.taxonomy import load_taxonomy
        from pipeline.classify.rules import RuleMatcher
        m = RuleMatcher(load_taxonomy({str(path)!r}))
        print(len(m.match('响' * 200_000 + '了')), len(m.match('一直响响响')))
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "1"]


@pytest.mark.parametrize(("pattern", "fragment"), [
    ("(?<!没有)异响", "look-ahead and look-behind"),
    ("(响)\\\\1", "back-references"),
    ("异响(", "missing )"),
])
def test_regex_the_engine_cannot_run_fails_lint_with_the_reason(tmp_path: Path, pattern: str, fragment: str) -> None:
    path = _write(tmp_path, BASE + f'      regex: ["{pattern}"]\n')
    _, errors = lint_taxonomies([path])
    assert len(errors) == 1
    assert f"{path}:13: field 'categories.product.noise.rules.regex.0': bad regular expression" in str(errors[0])
    assert fragment in str(errors[0])


@pytest.mark.parametrize(("bad_id", "fragment"), [
    ("product.n\u200boise", "invisible character U+200B ZERO WIDTH SPACE at position 9"),
    ("product.n\u043eise", "look-alike character U+043E CYRILLIC SMALL LETTER O at position 9"),
    ("\ufeffproduct.x", "invisible character U+FEFF"),
    ("product.ｎoise", "look-alike character U+FF4E FULLWIDTH LATIN SMALL LETTER N (looks like 'n')"),
])
def test_look_alike_category_ids_fail_lint(tmp_path: Path, bad_id: str, fragment: str) -> None:
    extra = f"  {bad_id}:\n    name: 异响2\n    parent: product\n    rules: {{any: [响]}}\n"
    path = _write(tmp_path, BASE + extra)
    _, errors = lint_taxonomies([path])
    messages = [str(e) for e in errors]
    assert any(fragment in m and m.startswith(f"{path}:13:") for m in messages), messages


def test_look_alike_department_id_fails_lint(tmp_path: Path) -> None:
    path = _write(tmp_path, BASE.replace("  rnd: {name: 研发}", "  rnd: {name: 研发}\n  r\u0430d: {name: 假}"))
    _, errors = lint_taxonomies([path])
    assert any("department id" in str(e) and "CYRILLIC SMALL LETTER A" in str(e) for e in errors)


def test_lint_cli_on_an_alias_bomb_prints_one_error_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "version: x\n" + BOMB)
    done = _run(f"""
        import sys
        from voc.cli import app
        sys.argv = ["voc", "taxonomy", "lint", {str(path)!r}]
        app()
    """)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    assert "expands to more than" in done.stdout + done.stderr
