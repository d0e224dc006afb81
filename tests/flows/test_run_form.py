"""The Prefect UI's run form of the daily deployment, on a real Prefect server, in headless Chromium:
one titled section per parameter group. `VOC_UPDATE_SCREENSHOTS=1` also writes the screenshot that
docs/operations.md shows (docs/img/prefect-run-form.png); otherwise nothing is written into the checkout."""

import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser import Page, chromium
from tests.flows.test_server_e2e import _deployment, _http, server, server_home  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SCREENSHOT = REPO / "docs" / "img" / "prefect-run-form.png"
TITLES = ["输入 Inputs", "时间窗口 Window", "模型 Models", "工作区与输出 Workspace & outputs", "运行 Runtime"]
GROUP_FIELDS = {  # a few fields of each group, as the form labels them
    "输入 Inputs": ["Sources", "Taxonomy", "Taxonomy Overlays"],
    "时间窗口 Window": ["Start", "End", "Incremental", "Replace", "Period"],
    "模型 Models": ["Embedder", "Segmenter", "Semantic Threshold", "Refit Topics"],
    "工作区与输出 Workspace & outputs": ["Workspace", "Database", "Database Url", "Results Dir"],
    "运行 Runtime": ["Runner", "Dask Workers", "Partition Rows", "Lock Timeout S"],
}


@pytest.fixture(scope="module")
def daily_deployment(server):
    """The daily deployment of prefect.yaml, registered as `voc deploy` does."""
    api, env = server
    code = "from flows.deployments import register; print(register(only=['daily']))"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return _deployment(api, "voc-daily", "daily")


def test_the_deployment_schema_has_the_nested_groups_and_the_server_checks_names(server, daily_deployment):
    api, _ = server
    schema = daily_deployment["parameter_openapi_schema"]
    top = schema["definitions"]["DailyParams"]
    assert list(top["properties"]) == ["inputs", "window", "models", "outputs", "runtime"]
    assert [p["title"] for p in top["properties"].values()] == TITLES
    for group, ref in (("window", "RunWindow"), ("runtime", "Runtime"), ("outputs", "Outputs")):
        assert top["properties"][group]["$ref"] == f"#/definitions/{ref}"
    assert {"start", "end", "incremental", "replace", "period"} == set(schema["definitions"]["RunWindow"]["properties"])
    assert "partition_rows" in schema["definitions"]["Runtime"]["properties"]
    assert daily_deployment["parameters"] == {"params": {"window": {"incremental": True}}}  # from prefect.yaml

    def create(params: dict):
        return _http("POST", f"{api}/deployments/{daily_deployment['id']}/create_flow_run",
                     json={"parameters": {"params": params}, "state": {"type": "CANCELLED"}})

    # Grouped and flat (older deployments, scripts) parameters both pass the server's check ...
    assert create({"window": {"start": "2026-01-01"}, "runtime": {"partition_rows": 5000}}).status_code == 201
    assert create({"window_start": "2026-01-01", "partition_rows": 5000}).status_code == 201
    # ... a misspelt name is refused before a run exists, naming it, at the top level and inside a group
    top_level = create({"windw_start": "2026-01-01"})
    assert top_level.status_code == 409 and "'windw_start' is not one of" in top_level.text
    inside = create({"window": {"strat": "2026-01-01"}})
    assert inside.status_code == 409 and "'strat' was unexpected" in inside.text


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])  # the IHDR chunk: width, height


def test_the_run_form_shows_one_titled_section_per_parameter_group(server, daily_deployment, tmp_path):
    if chromium() is None:
        pytest.fail("headless Chromium not found: install it with `bash scripts/services.sh` (apt-get install "
                    "chromium)", pytrace=False)
    api, _ = server
    url = f"{api.removesuffix('/api')}/deployments/deployment/{daily_deployment['id']}/run"
    shot = tmp_path / "prefect_run_form.png"
    with Page(url) as page:
        page.wait_for("document.querySelectorAll('.schema-form-property__label').length >= 30", "the run form")
        dom = page.dom()
        size = page.screenshot(shot)
    labels = [re.sub(r"\s*\(Optional\)$", "", x).replace("&amp;", "&")
              for x in re.findall(r'class="schema-form-property__label">([^<]+)<', dom)]
    assert [x for x in labels if x in TITLES] == TITLES  # every group, in order
    # each group is its own fieldset: its fields come after its title and before the next group's
    bounds = [labels.index(t) for t in TITLES] + [len(labels)]
    for (title, fields), lo, hi in zip(GROUP_FIELDS.items(), bounds, bounds[1:]):
        assert set(fields) <= set(labels[lo:hi]), (title, labels[lo:hi])
    assert dom.count('class="p-card p-card p-background schema-form-property-object') >= 1 + len(TITLES)
    # descriptions are Markdown in the UI: a placeholder in backticks is shown, not swallowed as a tag
    assert "&lt;workspace&gt;/voc.duckdb" in dom
    png = shot.read_bytes()
    assert _png_size(png) == size and size[0] == 1400 and size[1] > 3000  # the whole form, not one screen
    if os.environ.get("VOC_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(shot, SCREENSHOT)
