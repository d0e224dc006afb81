"""Where outputs go: the workspace folder, chosen by option, environment, voc.yaml or ./data."""

from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.workspace import LAYOUT, fill_paths, workspace_root


def test_precedence_explicit_then_environment_then_voc_yaml_then_data(tmp_path, monkeypatch):
    monkeypatch.delenv("VOC_WORKSPACE", raising=False)
    assert workspace_root(cwd=tmp_path) == tmp_path / "data"
    (tmp_path / "voc.yaml").write_text("workspace: ../shared-ws\n", encoding="utf-8")
    assert workspace_root(cwd=tmp_path) == (tmp_path.parent / "shared-ws").resolve()
    monkeypatch.setenv("VOC_WORKSPACE", str(tmp_path / "from-env"))
    assert workspace_root(cwd=tmp_path) == tmp_path / "from-env"
    assert workspace_root("explicit", cwd=tmp_path) == tmp_path / "explicit"


def test_a_broken_voc_yaml_is_a_located_input_error(tmp_path, monkeypatch):
    monkeypatch.delenv("VOC_WORKSPACE", raising=False)
    (tmp_path / "voc.yaml").write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(InputError, match="voc.yaml.*workspace"):
        workspace_root(cwd=tmp_path)


def test_empty_paths_are_filled_and_explicit_ones_kept(tmp_path):
    values = fill_paths({"database": None, "models_dir": Path("/elsewhere/models")}, ["database", "models_dir"],
                        tmp_path / "ws")
    assert values["database"] == tmp_path / "ws" / LAYOUT["database"]
    assert values["models_dir"] == Path("/elsewhere/models")
    assert values["workspace"] == tmp_path / "ws"


def test_flow_parameters_default_inside_the_workspace(tmp_path):
    from flows.daily import DailyParams
    from flows.discover import DiscoverParams

    daily = DailyParams(workspace=tmp_path).in_workspace()
    for field in ("database", "parquet_dir", "models_dir", "cache_dir", "report_dir", "results_dir"):
        assert Path(getattr(daily.outputs, field)).is_relative_to(tmp_path), field
    assert daily.inputs.sources.is_relative_to(tmp_path)
    discover = DiscoverParams(workspace=tmp_path).in_workspace()
    assert discover.outputs.models_dir == daily.outputs.models_dir
    assert discover.outputs.database == daily.outputs.database


def test_a_database_url_with_a_password_is_refused_as_a_parameter():
    from pydantic import ValidationError

    from flows.daily import DailyParams

    with pytest.raises(ValidationError, match="VOC_DATABASE_PASSWORD"):
        DailyParams(database_url="postgresql://voc:s3cret@127.0.0.1/voc")
    assert DailyParams(database_url="postgresql://voc@127.0.0.1/voc").outputs.database_url.endswith("/voc")
