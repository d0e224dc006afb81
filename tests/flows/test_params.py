"""Flow parameters in groups: the nested form, the flat names of earlier versions, the errors."""

import inspect
from datetime import date
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from flows.daily_params import DailyParams, Outputs, RunWindow

REPO = Path(__file__).resolve().parents[2]
GROUPS = ["inputs", "window", "models", "outputs", "runtime"]


def test_flat_names_of_earlier_versions_land_in_their_groups():
    p = DailyParams(sources="s.yaml", window_start="2026-01-01", window_end="2026-02-01", replace_window=True,
                    incremental=True, period="week", embedder_model="/m", partition_rows=5000,
                    database="x.duckdb", lock_timeout_s=5)
    assert p.window == RunWindow(start=date(2026, 1, 1), end=date(2026, 2, 1), incremental=True, replace=True,
                                 period="week")
    assert p.inputs.sources == Path("s.yaml") and p.models.embedder_model == "/m"
    assert (p.runtime.partition_rows, p.runtime.lock_timeout_s, p.outputs.database) == (5000, 5, Path("x.duckdb"))
    # the grouped spelling gives the same model; a flat name overrides the same field given in its group
    nested = DailyParams.model_validate(p.model_dump(mode="json"))
    assert nested == p
    mixed = DailyParams(window={"start": "2026-01-01", "incremental": True}, window_start="2026-03-01")
    assert (mixed.window.start, mixed.window.incremental) == (date(2026, 3, 1), True)


def test_an_unknown_or_misspelt_parameter_is_an_error_naming_it():
    with pytest.raises(ValidationError, match="unknown parameter 'windw_start' of the daily flow; its groups are "
                                              "inputs, window, models, outputs, runtime"):
        DailyParams(windw_start="2026-01-01")
    with pytest.raises(ValidationError) as err:
        DailyParams(window={"strat": "2026-01-01"})
    assert err.value.errors()[0]["loc"] == ("window", "strat")
    # the new name inside a group is not a flat name: `start` alone would be ambiguous
    with pytest.raises(ValidationError, match="unknown parameter 'start'"):
        DailyParams(start="2026-01-01")


def test_an_error_location_is_given_by_its_flat_name_as_the_command_line_spells_it():
    with pytest.raises(ValidationError) as err:
        DailyParams(window_start="not a day", partition_rows=3)
    locs = sorted(DailyParams.flat_key(e["loc"]) for e in err.value.errors())
    assert locs == ["partition_rows", "window_start"]


def test_replace_validates_and_model_copy_refuses_a_flat_name():
    p = DailyParams(partition_rows=5000)
    q = p.replace(window_end=date(2026, 5, 1), incremental=True)
    assert (q.window.end, q.window.incremental, q.runtime.partition_rows) == (date(2026, 5, 1), True, 5000)
    assert p.window.end is None  # the original is unchanged
    with pytest.raises(ValidationError):
        p.replace(partition_rows=1)  # below the minimum: validated, unlike pydantic's model_copy
    with pytest.raises(TypeError, match=r"model_copy cannot set \['window_end'\].*use .replace\(\)"):
        p.model_copy(update={"window_end": date(2026, 5, 1)})


def test_the_password_check_and_the_workspace_defaults_live_in_the_outputs_group(tmp_path):
    with pytest.raises(ValidationError, match="VOC_DATABASE_PASSWORD"):
        DailyParams(outputs={"database_url": "postgresql://voc:s3cret@127.0.0.1/voc"})
    out = Outputs(workspace=tmp_path, models_dir="/elsewhere/models").in_workspace()
    assert out.database == tmp_path / "voc.duckdb" and out.models_dir == Path("/elsewhere/models")
    assert out.target == out.database
    assert Outputs(database_url="postgresql://voc@db/voc").target == "postgresql://voc@db/voc"


def test_the_flow_parameter_schema_has_one_titled_section_per_group():
    from prefect.utilities.callables import parameter_schema

    from flows.daily import daily

    schema = parameter_schema(daily.fn).model_dump_for_openapi()
    top = schema["definitions"]["DailyParams"]
    assert list(top["properties"]) == GROUPS
    titles = [top["properties"][g]["title"] for g in GROUPS]
    assert titles == ["输入 Inputs", "时间窗口 Window", "模型 Models", "工作区与输出 Workspace & outputs", "运行 Runtime"]
    ref = {g: top["properties"][g]["$ref"].rsplit("/", 1)[1] for g in GROUPS}
    assert set(schema["definitions"][ref["window"]]["properties"]) == {"start", "end", "incremental", "replace",
                                                                       "period"}
    # Flat parameters of older deployments must still pass the server's schema check: the top level
    # lists the accepted names (groups and flat names; the model's own validator moves the flat ones),
    # the groups forbid any other field.
    assert "additionalProperties" not in top
    assert set(top["propertyNames"]["enum"]) == set(GROUPS) | set(DailyParams.flat_names())
    assert {"window_start", "partition_rows"} <= set(top["propertyNames"]["enum"])
    assert all(schema["definitions"][ref[g]]["additionalProperties"] is False for g in GROUPS)


def test_the_parameters_of_prefect_yaml_validate_into_the_grouped_models():
    from prefect.flows import load_flow_from_entrypoint

    for spec in yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]:
        flow = load_flow_from_entrypoint(str(REPO / spec["entrypoint"]))
        model = inspect.signature(flow.fn).parameters["params"].annotation
        model = flow.fn.__globals__[model] if isinstance(model, str) else model
        given = (spec.get("parameters") or {}).get("params")
        if given is not None:
            model.model_validate(given)
    daily = (REPO / "prefect.yaml").read_text(encoding="utf-8")
    assert "params: {window: {incremental: true}}" in daily


@pytest.mark.parametrize("module, model, some_tasks", [
    ("flows.daily", "DailyParams", {"ingest", "preprocess", "topics", "write_outputs", "write_report"}),
    ("flows.discover", "DiscoverParams", {"read_history", "fit_topics", "find_emerging", "write_outputs"}),
    ("flows.redline", "RedlineParams", {"read_new_feedback", "detect", "store", "deliver"}),
])
def test_no_task_receives_the_whole_parameters_model(module, model, some_tasks):
    import importlib

    from prefect import Task

    tasks = [t for t in vars(importlib.import_module(module)).values() if isinstance(t, Task)]
    assert {t.name for t in tasks} >= some_tasks
    for t in tasks:
        hints = [str(p.annotation) for p in inspect.signature(t.fn).parameters.values()]
        assert not any(model in h for h in hints), t.name


def test_the_discover_flow_parameters_are_grouped_and_take_the_flat_names_too(tmp_path):
    from flows.discover import DiscoverParams

    p = DiscoverParams(database="v.duckdb", as_of="2026-09-30", window_days=30, guide_weight=0,
                       alpha=0.05, taxonomy="t.yaml", review_dir="r")
    assert list(DiscoverParams.model_fields) == ["inputs", "window", "topics", "emerging", "outputs"]
    assert (p.window.as_of, p.window.window_days, p.topics.guide_weight, p.emerging.alpha) == (
        date(2026, 9, 30), 30, 0, 0.05)
    assert (p.inputs.taxonomy, p.outputs.database, p.outputs.review_dir) == (Path("t.yaml"), Path("v.duckdb"), Path("r"))
    with pytest.raises(ValidationError, match="unknown parameter 'window_day' of the discover flow"):
        DiscoverParams(window_day=30)
    with pytest.raises(ValidationError, match="VOC_DATABASE_PASSWORD"):
        DiscoverParams(database_url="postgresql://voc:s3cret@127.0.0.1/voc")
    filled = DiscoverParams(workspace=tmp_path).in_workspace().outputs
    assert (filled.database, filled.review_dir, filled.target) == (tmp_path / "voc.duckdb", tmp_path / "review",
                                                                  tmp_path / "voc.duckdb")


def test_the_redline_parameters_are_grouped_and_take_the_flat_names_too():
    from flows.redline import RedlineParams

    p = RedlineParams(sources="s.yaml", database="v.duckdb", webhook_url="http://hook", lookback_hours=48,
                      lock_timeout_s=0.2, as_of="2026-09-01T00:00:00")
    assert list(RedlineParams.model_fields) == ["inputs", "scan", "delivery", "outputs", "runtime"]
    assert (p.inputs.sources, p.outputs.database, p.delivery.webhook_url) == (Path("s.yaml"), "v.duckdb", "http://hook")
    assert (p.scan.lookback_hours, p.runtime.lock_timeout_s, p.scan.as_of.day) == (48, 0.2, 1)
    with pytest.raises(ValidationError, match="unknown parameter 'webhook' of the redline flow"):
        RedlineParams(webhook="http://hook")
