"""Parameters of the red-line scan, in the groups the Prefect UI shows as sections of the run form."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import ClassVar

from pydantic import Field, field_validator

from pipeline import publish
from pipeline.store.urls import no_password_in_url
from pipeline.workspace import LAYOUT, workspace_root

from flows.params import Group, GroupedParams

REPO = Path(__file__).resolve().parent.parent


class ScanInputs(Group):
    """What is scanned, for which categories, and the alerting rules."""

    sources: Path | None = Field(None, description="source mapping YAML; empty: `<workspace>/sample/sources.yaml`")
    taxonomy: Path = Field(REPO / "taxonomies/automotive_v2.yaml", description="taxonomy YAML")
    alerting: Path = Field(REPO / "taxonomies/alerting.yaml", description="deadlines, channels, delivery timing")


class Scan(Group):
    """Which feedback is scanned and when two alerts are one."""

    lookback_hours: float | None = Field(None, gt=0, description="only feedback created this recently; None = all")
    dedup_days: int = Field(7, ge=0, description="one alert per vehicle and P0 category within this many days")
    as_of: datetime | None = Field(None, description="the clock for deadlines (UTC); empty: now. For replays")


class Delivery(Group):
    """Where alerts and escalations are sent (each overrides alerting.yaml)."""

    webhook_url: str | None = Field(None, description="primary channel URL (overrides alerting.yaml); "
                                                      "no URL anywhere keeps alerts queued")
    escalation_webhook_url: str | None = Field(None, description="escalation channel URL (overrides alerting.yaml)")
    backoff_seconds: float | None = Field(None, gt=0, description="first retry wait (overrides alerting.yaml)")


class ScanOutputs(Group):
    """The workspace and the database the alerts are stored in."""

    workspace: Path | None = Field(None, description="folder of this data set's outputs; empty: $VOC_WORKSPACE, "
                                                   "voc.yaml's `workspace`, or ./data")
    database: str | None = Field(None, description="DuckDB file or SQLAlchemy URL (no password: set "
                                                   "VOC_DATABASE_PASSWORD); empty: `<workspace>/voc.duckdb`")

    @field_validator("database")
    @classmethod
    def _no_password(cls, url: str | None) -> str | None:
        return no_password_in_url(url) if url and publish.is_sql_url(url) else url


class ScanRuntime(Group):
    """How overlapping scans are serialised."""

    lock_timeout_s: float = Field(240, ge=0, description="wait this long for an overlapping scan, then skip")


class RedlineParams(GroupedParams):
    """Parameters of the red-line scan (rendered as a form in the Prefect UI, one section per group)."""

    flow_name: ClassVar[str] = "redline"

    inputs: ScanInputs = Field(default_factory=ScanInputs, title="输入 Inputs",
                               description="sources, taxonomy and alerting rules")
    scan: Scan = Field(default_factory=Scan, title="扫描 Scan", description="look-back, de-duplication, clock")
    delivery: Delivery = Field(default_factory=Delivery, title="通知 Delivery",
                               description="webhooks and retry timing")
    outputs: ScanOutputs = Field(default_factory=ScanOutputs, title="工作区与输出 Workspace & outputs",
                                 description="the workspace folder and the database")
    runtime: ScanRuntime = Field(default_factory=ScanRuntime, title="运行 Runtime", description="lock wait")

    def in_workspace(self) -> RedlineParams:
        """A copy with an empty database and sources set inside the workspace folder."""
        root = workspace_root(self.outputs.workspace)
        outputs = self.outputs.model_copy(update={"workspace": root,
                                                  "database": self.outputs.database or str(root / LAYOUT["database"])})
        inputs = self.inputs.model_copy(update={
            "sources": self.inputs.sources or root / LAYOUT["sample_dir"] / "sources.yaml"})
        return self.model_copy(update={"inputs": inputs, "outputs": outputs})
