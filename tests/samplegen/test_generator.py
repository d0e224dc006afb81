"""Properties of the generated sample data, checked against the written files and the ground truth."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
import zhconv

from samplegen import catalog, framing, generate, phrases, write_sample
from samplegen.writer import FILES

N_ROWS = 2000
SEED = 7
TEXT_COLUMN = {name: spec[4]["text"] for name, spec in FILES.items()}
EMOJI_RE = re.compile("[\U0001F300-\U0001FAFF]")
FULLWIDTH_RE = re.compile("[\uFF10-\uFF19\uFF21-\uFF3A\uFF41-\uFF5A]")


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_sample(tmp_path_factory.mktemp("sample"), n_rows=N_ROWS, seed=SEED)


@pytest.fixture(scope="module")
def config(out: dict[str, Path]) -> dict:
    return yaml.safe_load(out["sources"].read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def gt(out: dict[str, Path]) -> pd.DataFrame:
    return pd.read_parquet(out["ground_truth"])


@pytest.fixture(scope="module")
def planted(out: dict[str, Path]) -> dict:
    return json.loads(out["planted_effects"].read_text(encoding="utf-8"))


def _read(out: dict[str, Path], config: dict, name: str) -> pd.DataFrame:
    """Read a source file as the ingest stage would, all values as strings."""
    spec = next(s for s in config["sources"] if s["name"] == name)
    path = out["sources"].parent / spec["path"]
    if spec["format"] == "csv":
        return pd.read_csv(path, dtype=str, encoding=spec["encoding"], keep_default_na=False)
    if spec["format"] == "jsonl":
        return pd.DataFrame([json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()])
    return pd.read_parquet(path)


@pytest.fixture(scope="module")
def files(out: dict[str, Path], config: dict) -> dict[str, pd.DataFrame]:
    return {s["name"]: _read(out, config, s["name"]) for s in config["sources"]}


def _parse_date(value, fmt: str | None) -> datetime | None:
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    try:
        parsed = datetime.strptime(value, fmt) if fmt else datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return parsed.replace(tzinfo=None)


def _dates(files: dict, config: dict, name: str) -> list[datetime | None]:
    spec = next(s for s in config["sources"] if s["name"] == name)
    column = spec["columns"]["created_at"]
    return [_parse_date(v, spec.get("date_format")) for v in files[name][column]]


def _has(series: pd.Series, item: str) -> pd.Series:
    return series.str.split("|").apply(lambda items: item in items)


def test_encodings_match_the_source_systems(out: dict[str, Path]) -> None:
    nps = out["nps_survey"].read_bytes()
    assert nps.startswith(b"\xef\xbb\xbf")
    call = out["call_center_400"].read_bytes()
    call.decode("gbk")
    with pytest.raises(UnicodeDecodeError):
        call.decode("utf-8")
    dealer = out["dealer_work_orders"].read_bytes()
    dealer.decode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        dealer.decode("utf-8")
    for line in out["social_media"].read_text(encoding="utf-8").splitlines():
        json.loads(line)


def test_sources_yaml_maps_existing_columns(out: dict[str, Path], config: dict, files: dict) -> None:
    names = [s["name"] for s in config["sources"]]
    assert names == list(catalog.SOURCES)
    for spec in config["sources"]:
        assert (out["sources"].parent / spec["path"]).exists()
        assert spec["channel"] in ("nps", "call_center", "dealer", "social", "app")
        assert {"feedback_id", "created_at", "text"} <= set(spec["columns"])
        assert set(spec["columns"].values()) <= set(files[spec["name"]].columns)


def test_every_channel_has_rows_and_ground_truth_lines_up(files: dict, config: dict, gt: pd.DataFrame) -> None:
    assert len(gt) == N_ROWS == sum(len(df) for df in files.values())
    for spec in config["sources"]:
        df, rows = files[spec["name"]], gt[gt.source == spec["name"]]
        assert len(df) > 0.1 * N_ROWS
        assert len(df) == len(rows)
        file_ids = df[spec["columns"]["feedback_id"]].astype(str).tolist()
        assert file_ids == rows.source_id.tolist()
    share = gt.source.value_counts(normalize=True)
    assert share["nps_survey"] == pytest.approx(0.35, abs=0.01)


def test_dates_span_six_months(files: dict, config: dict) -> None:
    dates = [d for name in files for d in _dates(files, config, name) if d is not None]
    assert min(dates) >= catalog.START and max(dates) <= catalog.END
    assert (max(dates) - min(dates)).days >= 180
    months = {d.strftime("%Y-%m") for d in dates}
    assert len(months) == 6


def test_same_seed_same_files_other_seed_differs(out: dict[str, Path], tmp_path: Path) -> None:
    again = write_sample(tmp_path / "again", n_rows=N_ROWS, seed=SEED)
    for name, path in out.items():
        assert again[name].read_bytes() == path.read_bytes(), name
    other = generate(n_rows=N_ROWS, seed=SEED + 1)
    assert other.channels["nps_survey"]["您的建议"].tolist() != pd.read_csv(
        out["nps_survey"], encoding="utf-8-sig", keep_default_na=False)["您的建议"].tolist()


def test_message_mix(gt: pd.DataFrame, planted: dict) -> None:
    good = gt[~gt.is_bad_row]
    n_issues = good.true_categories.map(lambda s: len(s.split("|")) if s else 0)
    multi = (n_issues >= 2).mean()
    assert 0.18 <= multi <= 0.35
    assert planted["multi_issue_share"] == pytest.approx(multi, abs=1e-4)
    assert n_issues.max() in (3, 4)  # 2-3 issues, plus the OTA surge complaint on a few
    assert ((good.praised_categories != "") & (n_issues == 0)).sum() > 0.05 * len(good)  # praise only
    assert ((good.praised_categories != "") & (n_issues > 0)).sum() > 0.03 * len(good)  # mixed
    assert ((good.praised_categories == "") & (n_issues == 0)).sum() > 0.03 * len(good)  # neutral
    negated = good[good.negated_categories != ""]
    assert len(negated) > 0.05 * len(good)
    # A negated mention is never also a complaint in the same row.
    for neg, true in zip(negated.negated_categories, negated.true_categories):
        assert not set(neg.split("|")) & set(true.split("|"))
    assert set("|".join(good.true_categories).split("|")) - {""} <= set(catalog.CATEGORIES)


def test_noise_is_present_and_real(files: dict, gt: pd.DataFrame) -> None:
    texts = pd.concat([files[name][TEXT_COLUMN[name]].astype(str) for name in files], ignore_index=True)
    for kind in ("typo", "fullwidth", "traditional", "traditional_partial", "emoji", "punct", "html", "url"):
        assert _has(gt.noise, kind).sum() > 0, kind
    emoji, full = _has(gt.noise, "emoji").to_numpy(), _has(gt.noise, "fullwidth").to_numpy()
    trad = (_has(gt.noise, "traditional") | _has(gt.noise, "traditional_partial")).to_numpy()
    assert texts[emoji].str.contains(EMOJI_RE).all()
    assert texts[full].str.contains(FULLWIDTH_RE).all()
    assert all(zhconv.convert(t, "zh-hans") != t for t in texts[trad])
    assert texts[_has(gt.noise, "url").to_numpy()].str.contains("https://").all()
    call = gt.source.eq("call_center_400").to_numpy()
    assert not texts[call].str.contains(EMOJI_RE).any()
    assert not (trad & call).any()


def test_phrase_banks_are_gbk_encodable() -> None:
    banks = [*phrases.COMPLAINTS.values(), phrases.SURGE_LAG, *framing.PRAISE.values(), *framing.NEGATED.values(),
             *framing.NEUTRAL.values(), framing.LEADS, framing.MODEL_LEADS, framing.TAILS, framing.CALL_OPENERS, framing.CALL_DEMANDS]
    for bank in banks:
        for phrase in bank:
            phrase.encode("gbk")
    assert all(len(bank) >= 8 for bank in phrases.COMPLAINTS.values())
    assert set(phrases.COMPLAINTS) == set(catalog.CATEGORIES)


def test_model_and_brand_names_come_from_the_resource(files: dict, gt: pd.DataFrame) -> None:
    vehicles = catalog.load_vehicles()
    models = set(vehicles.own_models) | {m for ms in vehicles.competitors.values() for m in ms} | {""}
    assert set(files["nps_survey"]["车型"]) <= models
    assert set(files["social_media"]["model"]) <= models
    rivals = files["social_media"][files["social_media"].brand != vehicles.own_brand]
    assert len(rivals) > 0 and set(rivals.brand) <= set(vehicles.competitors)
    names = "|".join([*vehicles.own_models, *(a for al in vehicles.aliases.values() for a in al)])
    assert files["nps_survey"]["您的建议"].str.contains(names).mean() > 0.15
    assert files["social_media"]["content"].str.contains(names).mean() > 0.4


def test_september_cockpit_lag_surge(gt: pd.DataFrame, planted: dict) -> None:
    good = gt[~gt.is_bad_row]
    month = good.created_at.dt.strftime("%Y-%m")
    share = _has(good.true_categories, catalog.LAG).groupby(month).mean()
    others = share.drop("2026-09")
    assert share["2026-09"] > 2.0 * others.max()
    assert share["2026-10"] < 2.5 * others.drop("2026-10").mean()
    surge = planted["ota_surge"]
    assert surge["share_by_month"] == pytest.approx(share.round(4).to_dict(), abs=1e-4)
    injected = good[good.surge_injected]
    assert (injected.created_at >= catalog.OTA_RELEASE).all()
    assert (injected.created_at < catalog.OTA_HOTFIX_RELEASE).all()


def test_nps_effect_equals_actual_minus_counterfactual(files: dict, config: dict, gt: pd.DataFrame,
                                                       planted: dict) -> None:
    nps_file = files["nps_survey"]
    rows = gt[gt.source == "nps_survey"].reset_index(drop=True)
    dates = pd.Series(_dates(files, config, "nps_survey"))
    good = ~rows.is_bad_row
    sept = good & (dates.map(lambda d: d is not None and d.month == 9))
    actual_scores = nps_file.loc[sept, "推荐意愿"].astype(int).to_numpy()
    counterfactual = rows.loc[sept, "nps_counterfactual"].astype(int).to_numpy()

    def nps(s: np.ndarray) -> float:
        return 100.0 * ((s >= 9).mean() - (s <= 6).mean())

    recorded = planted["ota_surge"]["nps"]
    assert recorded["september_actual"] == pytest.approx(nps(actual_scores), abs=0.01)
    assert recorded["september_counterfactual"] == pytest.approx(nps(counterfactual), abs=0.01)
    assert recorded["nps_effect_points"] == pytest.approx(nps(actual_scores) - nps(counterfactual), abs=0.02)
    assert recorded["nps_effect_points"] < -3
    # Outside the surge the counterfactual is the generated score itself.
    no_surge = good & ~rows.surge_injected
    assert (nps_file.loc[no_surge, "推荐意愿"].astype(int) == rows.loc[no_surge, "nps_counterfactual"]).all()


def test_scores_fall_with_complaints_and_rise_with_praise(files: dict, gt: pd.DataFrame) -> None:
    rows = gt[gt.source == "nps_survey"].reset_index(drop=True)
    ok = ~rows.is_bad_row
    score = files["nps_survey"].loc[ok, "推荐意愿"].astype(int)
    n_issues = rows.loc[ok, "true_categories"].map(lambda s: len(s.split("|")) if s else 0)
    praised = rows.loc[ok, "praised_categories"] != ""
    praise_only = score[praised & (n_issues == 0)].mean()
    neutral = score[~praised & (n_issues == 0)].mean()
    one, many = score[~praised & (n_issues == 1)].mean(), score[n_issues >= 2].mean()
    assert praise_only > neutral > one > many


def _detect_bad_rows(files: dict, config: dict) -> dict[str, set[tuple[str, int]]]:
    """Find bad rows from the files alone, as (source, 0-based position)."""
    reasons = ("empty_text", "bad_date", "nps_out_of_range", "duplicate_id")
    found: dict[str, set[tuple[str, int]]] = {r: set() for r in reasons}
    for spec in config["sources"]:
        name, cols = spec["name"], spec["columns"]
        df = files[name]
        for i, text in enumerate(df[cols["text"]].astype(str)):
            if not text.strip():
                found["empty_text"].add((name, i))
        for i, d in enumerate(_dates(files, config, name)):
            if d is None:
                found["bad_date"].add((name, i))
        for i in np.flatnonzero(df[cols["feedback_id"]].astype(str).duplicated(keep="first")):
            found["duplicate_id"].add((name, int(i)))
        if "nps" in cols:
            for i, v in enumerate(df[cols["nps"]]):
                if not (str(v).isdigit() and 0 <= int(v) <= 10):
                    found["nps_out_of_range"].add((name, i))
    return found


def test_bad_rows_found_in_files_match_the_plan(files: dict, config: dict, gt: pd.DataFrame,
                                               planted: dict) -> None:
    found = _detect_bad_rows(files, config)
    gt = gt.assign(pos=gt.groupby("source").cumcount())
    by_reason = planted["bad_rows"]["by_reason"]
    for reason, positions in found.items():
        expected = set(zip(gt.source[gt.bad_reason == reason], gt.pos[gt.bad_reason == reason]))
        assert positions == expected, reason
        assert by_reason[reason]["count"] == len(expected) > 0
    total = planted["bad_rows"]["total"]
    assert total == gt.is_bad_row.sum()
    assert 0.005 * N_ROWS <= total <= 0.02 * N_ROWS
    assert len({s for s, _ in found["empty_text"] | found["duplicate_id"]}) >= 3


def test_p0_cluster_sits_in_its_window_and_model(files: dict, config: dict, gt: pd.DataFrame,
                                                planted: dict) -> None:
    cluster = planted["p0_cluster"]
    assert cluster["model"] == catalog.P0_MODEL
    start, end = (datetime.fromisoformat(d) for d in cluster["window"])
    assert (end - start).days == 13
    assert 10 <= cluster["count"] <= 40
    model_col = {s["name"]: s["columns"]["vehicle_model"] for s in config["sources"]}
    positions = gt.assign(pos=gt.groupby("source").cumcount()).set_index(["source", "source_line"]).pos
    for ref in cluster["rows"]:
        pos = positions[(ref["source"], ref["source_line"])]
        assert files[ref["source"]][model_col[ref["source"]]].iloc[pos] == cluster["model"]
        when = _dates(files, config, ref["source"])[pos]
        assert start <= when < end + pd.Timedelta(days=1)
    safety = gt.true_categories.str.contains("safety.")
    assert safety.sum() == planted["p0_total"] == cluster["count"] + planted["p0_scattered"]["count"]
    in_window = (gt.created_at >= start) & (gt.created_at < end + pd.Timedelta(days=1))
    on_model = gt.vehicle_model == cluster["model"]
    assert (safety & in_window & on_model).sum() == cluster["count"]
    assert sum(cluster["count_by_category"].values()) == cluster["count"]


def _id_card_ok(number: str) -> bool:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(c) * w for c, w in zip(number[:17], weights)) % 11] == number[17]


def test_pii_is_planted_where_recorded(files: dict, gt: pd.DataFrame, planted: dict) -> None:
    texts = pd.concat([files[name][TEXT_COLUMN[name]].astype(str) for name in files], ignore_index=True)
    has = (gt.has_pii != "").to_numpy()
    assert 0.015 <= has.mean() <= 0.05
    assert planted["pii"]["rows"] == has.sum()
    assert not texts[~has].str.contains(r"1[3-9]\d{9}|@[a-z0-9]+\.com").any()
    id_rows = _has(gt.has_pii, "id_card").to_numpy()
    for text in texts[id_rows]:
        numbers = re.findall(r"\d{17}[\dX]", text)
        assert numbers and all(_id_card_ok(n) for n in numbers)
    for kind in ("mobile", "plate", "vin"):
        assert _has(gt.has_pii, kind).sum() > 0, kind


def test_generate_rejects_too_few_rows() -> None:
    with pytest.raises(ValueError, match="n_rows"):
        generate(n_rows=10)
