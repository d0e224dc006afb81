"""The `voc` command: lint exit codes and messages, and one located line for bad configuration."""

from typer.testing import CliRunner

from voc.cli import app

runner = CliRunner()


def test_lint_passes_the_shipped_taxonomy():
    result = runner.invoke(app, ["taxonomy", "lint", "taxonomies/automotive_v1.yaml"])
    assert result.exit_code == 0, result.output
    assert "28 leaves" in result.output


def test_lint_fails_on_a_broken_file_and_a_failing_example(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: t\ndepartments: {d: {name: 部门}}\ncategories:\n  x: {name: 异响, owners: {q: 1.0}, rules: {any: [异响]}}\n",
                   encoding="utf-8")
    ex = tmp_path / "ex.yaml"
    ex.write_text("version: t\ndepartments: {d: {name: 部门}}\ncategories:\n"
                  "  x: {name: 异响, owners: {d: 1.0}, rules: {any: [异响]}, examples: {no_match: [异响很大]}}\n",
                  encoding="utf-8")
    result = runner.invoke(app, ["taxonomy", "lint", str(bad), str(ex)])
    assert result.exit_code == 1
    assert f"{bad}:4:" in result.output and "unknown department 'q'" in result.output
    assert "异响很大' should not match but does" in result.output


def test_run_reports_a_missing_mapping_in_one_line(tmp_path):
    result = runner.invoke(app, ["run", "--sources", str(tmp_path / "none.yaml"), "--database", str(tmp_path / "o.duckdb")])
    assert result.exit_code == 2
    assert "error:" in result.output and "none.yaml: file not found" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "o.duckdb").exists()  # nothing started
