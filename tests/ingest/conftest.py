"""Shared fixtures for the ingest tests: small Chinese source files built in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.ingest.mapping import SourceSpec

NPS_COLUMNS = {
    "feedback_id": "问卷编号",
    "created_at": "提交时间",
    "text": "您的建议",
    "vehicle_model": "车型",
    "region": "大区",
    "dealer": "经销商",
    "nps": "推荐意愿",
}

NPS_CSV = (
    "问卷编号,提交时间,您的建议,车型,大区,经销商,推荐意愿\n"
    "007,2026-05-03 10:00:00,过减速带底盘咯吱咯吱响,远航S7,华南,广州天河4S店,6\n"
    "008,2026-05-03 11:30:00,车机卡顿，导航经常死机,远航Y6,华东,上海浦东店,3\n"
    "009,2026-05-04 09:00:00,销售态度很好，提车顺利,远航S7,华北,北京朝阳店,10\n"
)


def _make_spec(path: str | Path, fmt: str = "csv", **overrides: object) -> SourceSpec:
    fields: dict[str, object] = {
        "name": "nps_survey",
        "path": str(path),
        "format": fmt,
        "channel": "nps",
        "columns": NPS_COLUMNS,
    }
    fields.update(overrides)
    return SourceSpec.model_validate(fields)


@pytest.fixture
def make_spec():
    """make_spec(path, fmt="csv", **fields) -> a valid nps SourceSpec; fields replace defaults."""
    return _make_spec


@pytest.fixture
def nps_csv() -> str:
    """A 3-row NPS survey export with Chinese headers (header + 3 lines)."""
    return NPS_CSV


@pytest.fixture
def write(tmp_path: Path):
    """write(name, text or bytes, encoding="utf-8") -> path of a new file in tmp_path."""

    def _write(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path

    return _write
