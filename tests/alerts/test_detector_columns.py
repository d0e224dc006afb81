"""Every alert says which detector fired and why; semantic-only alerts wait for a reviewer (to_confirm)."""

import numpy as np
import pandas as pd
import pytest

from pipeline.alerts import new_alerts, scan_mentions
from pipeline.alerts.detect import alert_status, semantic_p0_mentions
from pipeline.classify import Classifier
from pipeline.preprocess import to_clauses
from pipeline.taxonomy import load_taxonomy


@pytest.fixture(scope="module")
def v2():
    return load_taxonomy("taxonomies/automotive_v2.yaml")


def _feedback(texts):
    return pd.DataFrame({"feedback_id": [f"f{i}" for i in range(len(texts))], "text": texts, "channel": "app",
                         "created_at": pd.Timestamp("2026-12-01 09:00")})


def test_alerts_record_detector_reason_and_status(v2):
    fb = _feedback(["下坡时刹车突然失灵", "方向盘 刹车 油门全部失灵", "开着开着车子就熄火了"])
    alerts, _ = new_alerts(fb, scan_mentions(fb, v2), v2)
    by = {(f, c): (d, r, s) for f, c, d, r, s in
          zip(alerts["feedback_id"], alerts["category_id"], alerts["detector"], alerts["reason"], alerts["status"])}
    assert by[("f0", "safety.brake_failure")][0] == "rules" and "刹车" in by[("f0", "safety.brake_failure")][1]
    assert by[("f1", "safety.steering_failure")][:2] == ("facet", "部件×症状 方向盘 × 失灵")
    assert ("f1", "safety.stall") in by and ("f2", "safety.stall") in by
    assert set(alerts["status"]) == {"open"}


def test_look_alikes_raise_nothing(v2):
    fb = _feedback(["新闻里别的品牌车自燃了，我们这车还好", "冒烟般的加速", "刹车失灵？不存在的，开了三年很稳",
                    "排气管冒黑烟", "之前熄火的问题升级后再也没出现过"])
    alerts, _ = new_alerts(fb, scan_mentions(fb, v2), v2)
    assert alerts.empty, alerts[["text", "category_id"]]


class _Bank:
    """Texts containing 刹 embed next to the brake exemplars; everything else far from every exemplar."""

    model_id = "bank"

    def embed(self, texts):
        v = np.zeros((len(texts), 2), dtype=np.float32)
        for i, t in enumerate(texts):
            v[i] = (1.0, 0.0) if "刹" in t else (0.0, 1.0)
        return v


def test_semantic_only_alerts_are_to_confirm(v2):
    clf = Classifier(v2, semantic_threshold=None).fit()
    clf.example_texts_ = ["踩刹车没反应差点追尾"]
    clf.example_cats_ = ["safety.brake_failure"]
    clf.example_vecs_ = np.array([[1.0, 0.0]], dtype=np.float32)
    fb = _feedback(["那一脚下去车一点都没慢下来，刹那间差点撞上", "今天天气不错"])
    _, clauses = to_clauses(fb)
    vecs = _Bank().embed(clauses["clause"].tolist())
    extra = semantic_p0_mentions(clauses, vecs, clf)
    assert set(extra["feedback_id"]) == {"f0"} and set(extra["method"]) == {"semantic"}
    alerts, _ = new_alerts(fb, extra, v2)
    assert alerts["detector"].tolist() == ["semantic"] and alerts["status"].tolist() == ["to_confirm"]
    assert alert_status("rules+semantic") == "open"
