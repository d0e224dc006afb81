"""Taxonomy v2 against the complaint site's problem codes, on titles written for this test (one or more per
code of the site's list, in owners' phrasing): each title must land in exactly the site's groups through the
project's mapping (taxonomies/mappings/complaint_site_groups.yaml), by rules and facets alone."""

from pathlib import Path

import pandas as pd
import pytest

from pipeline.classify import Classifier
from pipeline.evaluate import GroupMap
from pipeline.preprocess import to_clauses
from pipeline.taxonomy import load_taxonomy

HERE = Path(__file__).parent
REPO = HERE.parent.parent


def _phrasings() -> list[tuple[set[str], str]]:
    out = []
    for line in (HERE / "complaint_site_phrasings.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            *groups, title = line.split("|")
            out.append((set(groups), title))
    return out


PHRASINGS = _phrasings()


@pytest.fixture(scope="module")
def predicted() -> dict[str, set[str]]:
    tax = load_taxonomy(REPO / "taxonomies/automotive_v2.yaml")
    gmap = GroupMap(REPO / "taxonomies/mappings/complaint_site_groups.yaml")
    df = pd.DataFrame({"feedback_id": [f"t{i}" for i in range(len(PHRASINGS))], "text": [t for _, t in PHRASINGS]})
    _, clauses = to_clauses(df)
    _, mentions = Classifier(tax, semantic_threshold=None).fit().classify(clauses)
    complaints = mentions[mentions["polarity"] == "complaint"]
    by_id = complaints.groupby("feedback_id")["category_id"].agg(set)
    return {t: gmap.title_groups(by_id.get(f, set())) for f, t in zip(df["feedback_id"], df["text"])}


def test_every_group_of_the_site_is_covered():
    groups = set().union(*(g for g, _ in PHRASINGS))
    assert set("ABCDEFGHIJKLMNO") <= groups and len(PHRASINGS) >= 300


@pytest.mark.parametrize("groups,title", PHRASINGS, ids=[t for _, t in PHRASINGS])
def test_a_title_lands_in_the_sites_groups(predicted, groups, title):
    assert predicted[title] == groups
