"""Write a generated data set to disk: the five channel exports, ground truth, effects and source map."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from samplegen.generator import SampleData, generate
from samplegen.tables import DATE_FORMATS

# Source name -> file name, format, encoding (CSV only), line ending (CSV only) and column mapping.
# Each export keeps the quirks of the system it comes from: the survey tool writes a BOM, the 400
# system is a Windows GBK export, the dealer DMS writes GB18030.
FILES = {
    "nps_survey": ("nps_survey.csv", "csv", "utf-8-sig", "\n", {
        "feedback_id": "问卷编号", "created_at": "提交时间", "text": "您的建议", "vehicle_model": "车型",
        "region": "大区", "dealer": "经销商", "nps": "推荐意愿", "vehicle_id": "VIN码"}),
    "call_center_400": ("call_center_400.csv", "csv", "gbk", "\r\n", {
        "feedback_id": "工单号", "created_at": "来电时间", "text": "问题描述", "vehicle_model": "车型",
        "region": "所属大区", "dealer": "经销商", "vehicle_id": "车架号"}),
    "dealer_work_orders": ("dealer_work_orders.csv", "csv", "gb18030", "\n", {
        "feedback_id": "work_order_no", "created_at": "open_date", "text": "customer_complaint",
        "vehicle_model": "model", "region": "region", "dealer": "dealer_code", "vehicle_id": "vin",
        "work_order_status": "status", "closed_at": "closed_date"}),
    "social_media": ("social_media.jsonl", "jsonl", None, None, {
        "feedback_id": "post_id", "created_at": "published_at", "text": "content", "vehicle_model": "model",
        "region": "region", "brand": "brand"}),
    "app_feedback": ("app_feedback.parquet", "parquet", None, None, {
        "feedback_id": "id", "created_at": "ts", "text": "feedback_text", "vehicle_model": "vehicle",
        "region": "region", "vehicle_id": "vin"}),
}
CHANNEL_OF = {"nps_survey": "nps", "call_center_400": "call_center", "dealer_work_orders": "dealer",
              "social_media": "social", "app_feedback": "app"}
_YAML_HEADER = (
    "# Source mapping for the synthetic sample data (written by samplegen).\n"
    "# Paths are relative to this file; columns map canonical fields to each export's own columns.\n"
)


def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path, compression="snappy")


def _write_source(name: str, df: pd.DataFrame, path: Path) -> None:
    _, fmt, encoding, line_end, _ = FILES[name]
    if fmt == "csv":
        # errors="strict": a text the encoding cannot hold must fail here, not turn into '?'.
        df.to_csv(path, index=False, encoding=encoding, lineterminator=line_end, errors="strict")
    elif fmt == "jsonl":
        lines = [json.dumps(rec, ensure_ascii=False) for rec in df.to_dict(orient="records")]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        _write_parquet(df, path)


def sources_config() -> dict:
    """The source mapping the ingest stage reads, matching the files written by write_sample."""
    sources = []
    for name, (file_name, fmt, encoding, _, columns) in FILES.items():
        entry: dict = {"name": name, "path": file_name, "format": fmt}
        if encoding:
            entry["encoding"] = encoding
        entry["channel"] = CHANNEL_OF[name]
        if name in DATE_FORMATS:
            entry["date_format"] = DATE_FORMATS[name]
        entry["columns"] = dict(columns)
        sources.append(entry)
    return {"sources": sources}


def write_data(data: SampleData, out_dir: Path) -> dict[str, Path]:
    """Write an already generated data set into `out_dir` (created if missing).

    Args:
        data: the generated data set.
        out_dir: target directory.

    Returns:
        Name -> path for each source, plus ground_truth, planted_effects and sources.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for name, df in data.channels.items():
        paths[name] = out_dir / FILES[name][0]
        _write_source(name, df, paths[name])
    paths["ground_truth"] = out_dir / "ground_truth.parquet"
    _write_parquet(data.ground_truth, paths["ground_truth"])
    paths["planted_effects"] = out_dir / "planted_effects.json"
    paths["planted_effects"].write_text(json.dumps(data.planted, ensure_ascii=False, indent=2) + "\n",
                                        encoding="utf-8")
    paths["sources"] = out_dir / "sources.yaml"
    body = yaml.safe_dump(sources_config(), allow_unicode=True, sort_keys=False, width=120)
    paths["sources"].write_text(_YAML_HEADER + body, encoding="utf-8")
    return paths


def write_sample(out_dir: Path, n_rows: int = 20000, seed: int = 42) -> dict[str, Path]:
    """Generate the sample data set and write its files.

    Args:
        out_dir: target directory, e.g. data/sample/ (created if missing).
        n_rows: total feedback rows over the five channels.
        seed: random seed; the same seed writes byte-identical files.

    Returns:
        Name -> path for each source file, plus ground_truth, planted_effects and sources.
    """
    return write_data(generate(n_rows=n_rows, seed=seed), Path(out_dir))
