"""The daily categorisation flow: sources in, categories, topics and department counts out."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE, CacheKeyFnPolicy

from pipeline import attribute, publish
from pipeline.attribute.config import load_economics, load_leaderboard
from pipeline.report import html as report_html
from pipeline.discover import OUTLIER, TOPIC_COLUMNS, TopicModel, describe_topics
from pipeline.discover.over_time import trend_tables
from pipeline.discover.guide import claimed_categories
from pipeline.discover.store import latest_version, new_version, save_aligned
from pipeline.errors import InputError, NotEnoughDataError
from pipeline.embed import get_embedder
from pipeline.ingest import ingest_sources, load_sources
from pipeline.preprocess import Segmenter, SegmenterBackend, segment_clauses, to_clauses
from pipeline.progress import spinner
from pipeline.taxonomy import Taxonomy, load_taxonomy
from pipeline.windows import Window, in_window, late_rows, resolve_window, today_in_china, window_counts

from flows.artifacts import publish_artifacts
from flows.daily_params import DECIDING, DailyParams, Outputs
from flows.resume import forget_results, result_storage, run_key, run_lock, stage_key
from flows.scoring import (Runner, ScoringSpec, VectorFreeSerializer, score_all, score_partition, task_runner,
                           worker_threads)

NO_TOPIC_MODEL = "none"  # topic_model_version of rows from a run without a topic model


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
def ingest(sources: Path, known_sha256: frozenset = frozenset(), stored_ids: frozenset = frozenset()):
    return ingest_sources(load_sources(sources), known_sha256=known_sha256, stored_ids=stored_ids)


@task(cache_policy=NO_CACHE)
def preprocess(feedback: pd.DataFrame, window: Window, taxonomy: Taxonomy, grain: attribute.Period,
               backend: SegmenterBackend, stored_ids: frozenset = frozenset(), cache_dir: Path | None = None):
    inside = in_window(feedback, window) | late_rows(feedback, window, stored_ids)
    counts = window_counts(feedback, inside)
    feedback, clauses = to_clauses(attribute.add_period(feedback[inside].reset_index(drop=True), grain))
    clauses = segment_clauses(clauses, Segmenter(taxonomy.all_terms(), backend=backend), cache_dir)
    return feedback, clauses.merge(feedback[["feedback_id", "period"]], on="feedback_id"), counts


@task(cache_policy=NO_CACHE)
def topics(clauses, embeddings, mentions, models_dir: Path, refit: bool, lineage: dict, window: tuple):
    """Assign clauses to the saved topic model, fitting (and saving) one first when needed.

    Too little data for a fit is not a failure of the run: categories and counts do not depend on
    topics. The run keeps the saved model if there is one, and otherwise goes on without topics.
    Returns (model version, clauses with topic_id, topics table, lineage of a fit in this run or empty).
    """
    log = get_run_logger()
    latest = latest_version(models_dir)
    model, version, topic_lineage = None, None, pd.DataFrame()
    claimed = claimed_categories(clauses, mentions)  # guides the fit and the assignment alike
    if refit or latest is None:
        try:
            with spinner("主题 fitting topics (UMAP + HDBSCAN)"):
                model = TopicModel().fit(clauses["topic_doc"].tolist(), embeddings, categories=claimed)
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
            model, topic_lineage = save_aligned(model, models_dir, version, manifest)  # ids stable across refits
    if model is None and latest is not None:
        model, version = TopicModel.load(models_dir / latest), latest
    if model is None:
        no_topics = clauses.assign(topic_id=OUTLIER, topic_similarity=np.float32(0))
        return NO_TOPIC_MODEL, no_topics, pd.DataFrame(columns=TOPIC_COLUMNS), topic_lineage
    topic_ids, sims = model.assign(embeddings, claimed)
    clauses = clauses.assign(topic_id=topic_ids, topic_similarity=sims)
    return version, clauses, describe_topics(model, clauses, mentions, sims), topic_lineage


@task(retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=_transient, cache_policy=NO_CACHE)
def write_outputs(tables: dict, outputs: Outputs, economics: Path, leaderboard: Path, lineage: dict,
                  taxonomy: Taxonomy, replace_window=None):
    economics, board = load_economics(economics), load_leaderboard(leaderboard)
    facts = partial(attribute.fact_tables, taxonomy=taxonomy, economics=economics, board=board)

    def derive(details):  # fact tables, plus topics over time, from every stored row of the periods touched
        return {**facts(details), **trend_tables(details)}

    # Periods whose stored rows are those their facts were derived from keep them (a re-run of the
    # same data fits no NPS model again); this file is part of the derivation's code.
    key = attribute.derivation_key(taxonomy, economics, board, code=[Path(__file__)])
    rows = publish.write(outputs.target, tables, lineage, derive=derive, replace_window=replace_window, derive_key=key)
    paths = publish.export(outputs.target, outputs.parquet_dir, sorted(rows))
    return rows, paths


@task(cache_policy=NO_CACHE)
def write_report(outputs: Outputs, lineage: dict) -> Path:
    return report_html.write_report(outputs.target, outputs.report_dir, lineage)


def _check_grain(outputs: Outputs, period: attribute.Period) -> None:
    grains = publish.stored_values(outputs.target, "runs", "period_grain") - {period.value}
    if grains:
        # Month and week rows in one fact table would be summed together by every dashboard.
        raise InputError(
            f"the database holds {sorted(grains)} periods and this run asks for '{period.value}'; "
            "use the same period grain or another database file", file=outputs.database,
        )


@flow(name="voc-daily", log_prints=True)
def daily(params: DailyParams = DailyParams()) -> dict:
    """Categorise the feedback of one time window and publish counts for dashboards.

    Re-running a window replaces its rows; an incremental run continues from the watermark; a run that
    failed resumes from its last completed stage when run again with the same inputs.
    """
    log = get_run_logger()
    started_at = datetime.now(timezone.utc).replace(tzinfo=None)
    started = time.time()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t0
        timings[name] = round(time.perf_counter() - t0, 3)
        t0 = time.perf_counter()

    params = params.in_workspace()
    inputs, out, models, rt = params.inputs, params.outputs, params.models, params.runtime
    taxonomy = load_taxonomy([inputs.taxonomy, *inputs.taxonomy_overlays])
    sources = load_sources(inputs.sources)  # a wrong mapping is reported before any work starts
    _check_grain(out, params.window.period)
    spec = ScoringSpec(
        embedder=models.embedder, embedder_model=models.embedder_model, cache_dir=out.cache_dir,
        threads=worker_threads(rt.runner, rt.dask_address, rt.dask_workers),
        semantic_threshold=models.semantic_threshold, classifier_head=models.classifier_head,
    )
    embedder_id = get_embedder(models.embedder,
                               **({"model": models.embedder_model} if models.embedder_model else {})).model_id
    stream = str(inputs.sources.resolve())
    with run_lock(out.target, rt.lock_timeout_s):
        watermark = publish.read_watermark(out.target, stream)
        window = resolve_window(params.window.start, params.window.end, incremental=params.window.incremental,
                                watermark=watermark, today=today_in_china())
        if window.empty:
            log.info("nothing to do: window %s is empty (watermark %s)", window.key, watermark)
            return {"skipped": True, "window": window.key, "watermark": str(watermark) if watermark else None}
        key = run_key(sources, window, {
            "taxonomy": taxonomy.version, "embedder": embedder_id,
            "params": params.model_dump_json(include=DECIDING),
        })
        store = result_storage(out.results_dir)

        def resumable(t, stage: str, **options):
            return t.with_options(cache_policy=CacheKeyFnPolicy(cache_key_fn=stage_key(key, stage)),
                                  persist_result=True, result_storage=store, cache_expiration=timedelta(days=7),
                                  **options)

        lineage = {
            "run_id": "run-" + datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6],
            "taxonomy_version": taxonomy.version, "embedder_id": embedder_id, "topic_model_version": "",
        }
        # Incremental runs go by arrival: rows created before the watermark that are not stored yet
        # (a late export) are processed too, in their own period.
        # Inbox folders: a file whose content was ingested and stored before is not read again
        # (unless the run replaces a window, which rebuilds it from everything the sources hold).
        inbox = not params.window.replace and any(s.path and Path(s.path).is_dir() for s in sources.sources)
        incremental = params.window.incremental and window.start is not None
        stored = frozenset(publish.stored_values(out.target, "feedback", "feedback_id")) \
            if incremental or inbox else frozenset()
        stored_ids = stored if incremental else frozenset()
        known = frozenset(publish.stored_values(out.target, "ingest_counts", "file_sha256")) \
            if inbox else frozenset()
        lap("setup")
        result = resumable(ingest, "ingest")(inputs.sources, known, stored if inbox else frozenset())
        lap("ingest")
        feedback, clauses, in_counts = resumable(preprocess, "preprocess")(
            result.feedback, window, taxonomy, params.window.period, models.segmenter, stored_ids, out.cache_dir)
        lap("preprocess")

        def score_task(i: int):  # persisted without its vectors: the embedding cache holds them
            return resumable(score_partition, f"score-{i}", result_serializer=VectorFreeSerializer())

        scored = score_all(clauses, feedback, taxonomy, spec, task_runner(rt.runner, rt.dask_address, rt.dask_workers),
                           rt.partition_rows, cached_task=score_task)
        clauses, mentions, embeddings = scored.clauses, scored.mentions, scored.embeddings
        lap("embed_classify")
        data_window = (feedback["created_at"].min(), feedback["created_at"].max())
        version, clauses, topic_table, topic_lineage = resumable(topics, "topics")(
            clauses, embeddings, mentions, out.models_dir, models.refit_topics, lineage, data_window)
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
        if len(topic_lineage):  # this run fitted a model: its lineage goes beside the discover flow's
            tables["topic_lineage"] = topic_lineage
        if window.end is not None:  # an open-ended run does not say which days are complete
            mark = max(window.end, watermark) if watermark else window.end
            tables["watermarks"] = pd.DataFrame([{
                "stream": stream, "watermark": pd.Timestamp(mark), "updated_at": started_at,
            }])
        lap("attribute")
        summary = {
            **lineage,
            "window": window.key,
            "input_rows": int(result.counts["input_rows"].sum()),
            "accepted": len(result.feedback),
            "outside_window": int(in_counts["outside_window"].sum()),
            "in_window": len(feedback),
            "late_rows": int(late_rows(feedback, window, stored_ids).sum()),
            "quarantined": len(result.quarantine),
            "deliveries_skipped": len(result.skipped),
            "clauses": len(clauses),
            "embedding": scored.stats,
            "complaint_mentions": int((mentions["polarity"] == "complaint").sum()),
            "topics": int((topic_table["topic_id"] >= 0).sum()),
            "data_window": [str(data_window[0]), str(data_window[1])],
        }
        lo, hi = window.bounds()
        tables["runs"] = pd.DataFrame([{
            "started_at": started_at, "finished_at": datetime.now(timezone.utc).replace(tzinfo=None),
            "input_rows": summary["input_rows"], "accepted": summary["accepted"],
            "in_window": summary["in_window"], "quarantined": summary["quarantined"], "clauses": summary["clauses"],
            "window_start": lo, "window_end": hi, "data_start": data_window[0], "data_end": data_window[1],
            "sources": str(inputs.sources), "period_grain": params.window.period.value,
        }]).astype({"window_start": "datetime64[us]", "window_end": "datetime64[us]"})  # typed even when open
        # Lossless by default: the write upserts what was read; only an explicit replace deletes rows
        # of the window that the sources no longer hold.
        replace = (window, [s.name for s in sources.sources]) if params.window.replace else None
        rows, paths = write_outputs(tables, out, inputs.economics, inputs.leaderboard, lineage, taxonomy, replace)
        forget_results(out.results_dir, key, before=started)
        lap("publish")
        report_path = write_report(out, lineage)
        lap("report")
    summary.update(timings=timings, table_rows=rows,
                   database=publish.display_target(out.target),
                   parquet_dir=str(out.parquet_dir), report=str(report_path))
    publish_artifacts(summary, feedback, result, mentions, taxonomy, out.target)
    log.info("run %s, window %s: %s input rows, %s accepted (%s in window), %s quarantined, %s clauses, %s topics",
             lineage["run_id"], window.key, summary["input_rows"], summary["accepted"], summary["in_window"],
             summary["quarantined"], summary["clauses"], summary["topics"])
    return summary

