"""Red-line recall and false alarms on hand-written phrasings (tests/alerts/p0_v2_cases.yaml).

The phrasings run through the red-line flow's own detection step (flows/redline.py `detect`: rule scan of
the clauses, then P0 alerts) with the flow's default taxonomy, as every new feedback would. A positive is
caught when it raises any red-line alert; a look-alike is a false alarm when it raises one.
"""

from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
import yaml

from flows.redline import RedlineParams, detect
from pipeline.alerts.detect import ALERT_COLUMNS
from pipeline.taxonomy import load_taxonomy

CASES = yaml.safe_load((Path(__file__).parent / "p0_v2_cases.yaml").read_text(encoding="utf-8"))
MODES = {"stall", "power_loss", "brake", "steering", "airbag", "seatbelt", "fire", "unintended_acceleration",
         "wheel_axle", "door", "battery"}
KINDS = {"news", "other_brand", "denial", "metaphor", "resolved_praise", "exhaust_smoke", "cigarette_smell",
         "intended_stall", "brake_feel", "feature_question", "ad", "normal_complaint"}
MIN_RECALL = 0.99
MAX_FALSE_ALARM_RATE = 0.02


def alerted_texts(texts: list[str], taxonomy) -> set[int]:
    """Indices of `texts` that the red-line flow's detection step turns into an alert."""
    fb = pd.DataFrame({
        "feedback_id": [f"case-{i}" for i in range(len(texts))], "channel": "test",
        "created_at": pd.Timestamp("2026-12-01 08:00"), "text": texts, "vehicle_id": pd.NA,
    })
    alerts, duplicates = detect.fn(fb, taxonomy, pd.DataFrame(columns=ALERT_COLUMNS), 7)
    ids = set(alerts["feedback_id"]) | set(duplicates["feedback_id"])
    return {i for i, f in enumerate(fb["feedback_id"]) if f in ids}


@pytest.fixture(scope="module")
def results():
    taxonomy = load_taxonomy(RedlineParams().inputs.taxonomy)
    pos, neg = CASES["positives"], CASES["lookalikes"]
    hit = alerted_texts([c["text"] for c in pos] + [c["text"] for c in neg], taxonomy)
    caught = [i in hit for i in range(len(pos))]
    alarmed = [len(pos) + i in hit for i in range(len(neg))]
    return pos, neg, caught, alarmed


def _report(pos, neg, caught, alarmed) -> str:
    total, got = Counter(c["mode"] for c in pos), Counter(c["mode"] for c, ok in zip(pos, caught) if ok)
    per_mode = ", ".join(f"{m} {got[m]}/{total[m]}" for m in sorted(total))
    misses = [f"[{c['mode']}] {c['text']}" for c, ok in zip(pos, caught) if not ok]
    alarms = [f"[{c['kind']}] {c['text']}" for c, bad in zip(neg, alarmed) if bad]
    return (f"recall {sum(caught)}/{len(pos)} = {sum(caught) / len(pos):.3f}; "
            f"false alarms {sum(alarmed)}/{len(neg)} = {sum(alarmed) / len(neg):.3f}\n"
            f"recall per mode: {per_mode}\n"
            f"misses ({len(misses)}):\n  " + "\n  ".join(misses) + "\n"
            f"false alarms ({len(alarms)}):\n  " + "\n  ".join(alarms))


def test_cases_are_well_formed():
    pos, neg = CASES["positives"], CASES["lookalikes"]
    assert len(pos) >= 170 and len(neg) >= 170
    assert {c["mode"] for c in pos} == MODES
    assert {c["kind"] for c in neg} <= KINDS
    assert all(n >= 10 for n in Counter(c["mode"] for c in pos).values())
    texts = [c["text"] for c in pos + neg]
    assert all(isinstance(t, str) and t.strip() for t in texts)
    assert len(set(texts)) == len(texts), "a phrasing is listed twice"


def test_red_line_recall_on_indirect_phrasings(results):
    pos, neg, caught, alarmed = results
    recall = sum(caught) / len(pos)
    assert recall >= MIN_RECALL, "\n" + _report(pos, neg, caught, alarmed)


def test_red_line_false_alarms_on_look_alikes(results):
    pos, neg, caught, alarmed = results
    rate = sum(alarmed) / len(neg)
    assert rate <= MAX_FALSE_ALARM_RATE, "\n" + _report(pos, neg, caught, alarmed)
