"""The weekly discovery flow: refit topics on a recent window, keep their ids, report emerging issues."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timezone
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from pipeline import publish
from pipeline.discover import TopicModel, describe_topics
from pipeline.discover.emerging import detect_emerging, period_counts
from pipeline.discover.guide import claimed_categories
from pipeline.discover.hierarchy import topic_hierarchy
from pipeline.discover.review import ReviewFile, build_proposals, topic_examples, write_review
from pipeline.discover.store import new_version, save_aligned
from pipeline.discover.window import fit_window, topic_docs
from pipeline.embed import EmbeddingCache, embed_cached, get_embedder
from pipeline.errors import InputError
from pipeline.preprocess import Segmenter
from pipeline.progress import spinner
from pipeline.taxonomy import Taxonomy, load_taxonomy

from flows.discover_params import DiscoverParams, EmergingTest, TopicSettings

HISTORY = {
    "feedback": "SELECT feedback_id, created_at, period FROM feedback WHERE created_at <= :end",
    "clauses": "SELECT c.clause_id, c.feedback_id, c.clause, c.tokens, c.clause_polarity, c.period, f.created_at "
               "FROM clauses c JOIN feedback f USING (feedback_id) WHERE f.created_at <= :end",
    "mentions": "SELECT m.clause_id, m.feedback_id, m.category_id, m.polarity, m.score FROM mentions m "
                "JOIN feedback f USING (feedback_id) WHERE f.created_at <= :end",
}


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def read_history(target: Path | str, as_of: date | None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, datetime]:
    """Feedback, clauses and mentions stored up to `as_of` (end of that day), from DuckDB or a database URL."""
    if publish.is_sql_url(target):
        import sqlalchemy as sa

        from pipeline.store.sql_store import engine_for, has_table

        if not has_table(str(target), "feedback"):
            raise InputError("no feedback table in the database yet: run the daily flow (voc run) first",
                             file=publish.display_target(target))
        engine = engine_for(str(target))
        try:
            with engine.connect() as conn:
                end = (datetime.combine(as_of, time.max) if as_of
                       else conn.execute(sa.text("SELECT max(created_at) FROM feedback")).scalar())
                frames = {k: pd.read_sql(sa.text(q), conn, params={"end": end}) for k, q in HISTORY.items()}
        finally:
            engine.dispose()
    else:
        if not Path(target).exists():
            raise InputError("no output database yet: run the daily flow (voc run) first", file=target)
        with duckdb.connect(str(target), read_only=True) as con:
            end = (datetime.combine(as_of, time.max) if as_of
                   else con.execute("SELECT max(created_at) FROM feedback").fetchall()[0][0])
            frames = {k: con.execute(q.replace(":end", "?"), [end]).df() for k, q in HISTORY.items()}
    feedback, clauses, mentions = frames["feedback"], frames["clauses"], frames["mentions"]
    # Databases hand DATE columns back as timestamps or dates; periods stay dates, as in the fact tables.
    feedback["period"] = pd.to_datetime(feedback["period"]).dt.date
    clauses["period"] = pd.to_datetime(clauses["period"]).dt.date
    return feedback, clauses, mentions, end


@task(cache_policy=NO_CACHE)
def embed(texts: list[str], embedder, cache_dir: Path) -> np.ndarray:
    return embed_cached(texts, embedder, EmbeddingCache(cache_dir))[0]


@task(cache_policy=NO_CACHE)
def fit_topics(docs: list[str], embeddings: np.ndarray, categories: np.ndarray, settings: TopicSettings,
               models_dir: Path, manifest: dict):
    with spinner("主题 fitting topics (UMAP + HDBSCAN)"):
        model = TopicModel(min_topic_size=settings.min_topic_size, max_fit_docs=settings.max_fit_docs,
                           min_similarity=None if settings.calibrate_thresholds else 0.55,
                           guide_weight=settings.guide_weight,
                           random_state=settings.random_state).fit(docs, embeddings, categories=categories)
    version = new_version(manifest["embedder_id"], manifest["taxonomy_version"], len(docs))
    model, lineage = save_aligned(model, models_dir, version, {**manifest, "version": version,
                                                                     "n_topics": len(model.topic_ids_)})
    return model, version, lineage


@task(cache_policy=NO_CACHE)
def find_emerging(feedback, clauses, mentions, topic_table, taxonomy: Taxonomy, test: EmergingTest):
    counts, volume = period_counts(feedback, mentions, clauses)
    emerging = detect_emerging(counts, volume, baseline_periods=test.baseline_periods,
                               min_count=test.min_count, alpha=test.alpha)
    latest = volume.index.max()
    proposals = build_proposals(emerging, topic_table, taxonomy, topic_examples(clauses, latest))
    return emerging, proposals, latest


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def write_outputs(tables: dict, target: Path | str, lineage: dict) -> dict:
    from flows.resume import run_lock

    with run_lock(target, timeout_s=3600):  # never interleaved with a daily run on the same database
        return publish.write(target, tables, lineage)


@flow(name="voc-discover", log_prints=True)
def discover_flow(params: DiscoverParams = DiscoverParams()) -> dict:
    """Refit topics on the recent window, align their ids with the previous model, report emerging issues."""
    log = get_run_logger()
    params = params.in_workspace()
    out, fit, settings = params.outputs, params.window, params.topics
    taxonomy = load_taxonomy(params.inputs.taxonomy)
    embedder = get_embedder(settings.embedder, **({"model": settings.embedder_model} if settings.embedder_model else {}))
    target = out.target
    feedback, clauses, mentions, end = read_history(target, fit.as_of)
    window = fit_window(clauses, mentions, end, fit.window_days, fit.unclaimed_only, fit.claimed_score)
    clauses = clauses.assign(topic_doc=topic_docs(clauses["tokens"], Segmenter(taxonomy.all_terms())))
    embeddings = embed(clauses["clause"].tolist(), embedder, out.cache_dir)
    claimed = claimed_categories(clauses, mentions, fit.claimed_score)
    lineage = {"run_id": "discover-" + datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6],
               "taxonomy_version": taxonomy.version, "embedder_id": embedder.model_id, "topic_model_version": ""}
    in_window = clauses.index.isin(window.index)
    manifest = {"embedder_id": embedder.model_id, "taxonomy_version": taxonomy.version, "fitted_by_run": lineage["run_id"],
                "data_window": {"start": str(window["created_at"].min()), "end": str(end)},
                "n_clauses": int(in_window.sum()), "unclaimed_only": fit.unclaimed_only,
                "created_at": datetime.now(timezone.utc).isoformat()}
    model, version, topic_lineage = fit_topics(clauses.loc[in_window, "topic_doc"].tolist(), embeddings[in_window],
                                               claimed[in_window], settings, out.models_dir, manifest)
    lineage["topic_model_version"] = version
    topic_ids, sims = model.assign(embeddings, claimed)
    clauses = clauses.assign(topic_id=topic_ids, topic_similarity=sims)
    recent = clauses[in_window].reset_index(drop=True)
    topic_table = describe_topics(model, recent, mentions, sims[in_window])
    hierarchy = topic_hierarchy(model, recent.groupby("topic_id").size().to_dict())
    emerging, proposals, latest = find_emerging(feedback, clauses, mentions, topic_table, taxonomy, params.emerging)
    review_path = write_review(out.review_dir / f"emerging-{latest}.yaml", ReviewFile(
        period=str(latest), topic_model_version=version, database=publish.display_target(target), proposals=proposals))
    rows = write_outputs({"topics": topic_table, "topic_lineage": topic_lineage, "topic_hierarchy": hierarchy,
                          "emerging": emerging}, target, lineage)
    flagged = emerging[emerging["is_emerging"]]
    log.info("topics %s: %d topics (%s), %d emerging in %s; review file %s", version, len(model.topic_ids_),
             topic_lineage["event"].value_counts().to_dict(), len(flagged), latest, review_path)
    return {
        **lineage, "period": str(latest), "topics": len(model.topic_ids_), "window_clauses": int(in_window.sum()),
        "lineage_events": topic_lineage["event"].value_counts().to_dict(),
        "emerging": flagged[["kind", "key", "count", "growth", "q_value"]].to_dict("records"),
        "review_file": str(review_path), "table_rows": rows,
    }
