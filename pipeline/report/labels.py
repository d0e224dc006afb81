"""Column headers as a Chinese-speaking analyst reads them, with the English name for a second line
(or for `--lang en`). One table for the run summary, `voc summary`, `voc loss` and the HTML report."""

from __future__ import annotations

import pandas as pd

HEADERS: dict[str, tuple[str, str]] = {
    "category_id": ("类别编号", "category id"),
    "category": ("问题类别", "category"),
    "name": ("名称", "name"),
    "severity": ("严重度", "severity"),
    "complaints": ("投诉反馈", "complaints"),
    "praise": ("表扬反馈", "praise"),
    "owners": ("负责部门", "owners"),
    "department": ("部门", "department"),
    "department_id": ("部门编号", "department id"),
    "weighted_complaints": ("加权投诉", "weighted complaints"),
    "categories": ("涉及类别", "categories"),
    "topic_id": ("主题编号", "topic"),
    "label": ("主题词", "label"),
    "size": ("子句数", "clauses"),
    "confidence": ("匹配度", "confidence"),
    "status": ("状态", "status"),
    "is_emerging": ("新兴", "emerging"),
    "latest": ("本期", "this period"),
    "previous": ("上期", "last period"),
    "change": ("变化", "change"),
    "change_pct": ("变化率 %", "change %"),
    "rank": ("排名", "rank"),
    "list": ("榜单", "list"),
    "reasons": ("上榜原因", "reasons"),
    "trend_pct": ("环比 %", "vs last period %"),
    "nps_loss_points": ("NPS 损失(分)", "NPS loss (points)"),
    "resolution_rate": ("按时解决率", "resolution rate"),
    "mean_days_to_close": ("平均关闭天数", "mean days to close"),
    "churn_loss": ("流失 万元/年", "churn, 10k CNY/yr"),
    "claim_loss": ("索赔 万元/年", "claims, 10k CNY/yr"),
    "labour_loss": ("工时 万元/年", "labour, 10k CNY/yr"),
    "pr_loss": ("公关 万元/年", "PR, 10k CNY/yr"),
    "total_loss": ("合计 万元/年", "total, 10k CNY/yr"),
    "total_loss_period": ("期间损失 万元", "loss in the period, 10k CNY"),
    "examples": ("原文示例", "example texts"),
    "old": ("旧版", "old"),
    "new": ("新版", "new"),
    "feedback": ("反馈条数", "feedback"),
    "before": ("原类别", "before"),
    "after": ("新类别", "after"),
    "reason": ("原因", "reason"),
    "text": ("文本", "text"),
    "term": ("候选词", "term"),
    "precision": ("精确率", "precision"),
    "recall": ("召回率", "recall"),
    "f1": ("F1", "F1"),
    "support": ("标注数", "support"),
    "tp": ("命中", "tp"),
    "fp": ("误报", "fp"),
    "fn": ("漏报", "fn"),
    "labelled": ("标注类别", "labelled"),
    "predicted": ("预测类别", "predicted"),
    "texts": ("文本数", "texts"),
    "clauses": ("子句数", "clauses"),
    "lift": ("提升度", "lift"),
    "nearest_rule_term": ("最近的规则词", "nearest rule term"),
    "similarity": ("相似度", "similarity"),
}
SEVERITY = {"P0": "P0 红线", "P1": "P1 严重", "normal": "一般", "minor": "轻微"}
LIST_LABELS = {"black": "黑榜 (警示)", "red": "红榜 (表扬)"}
LIST_LABELS_EN = {"black": "black list (warning)", "red": "honour list (praise)"}
TOTAL = ("合计", "total")


def header(column: str, lang: str = "zh", second_line: bool = True, sep: str = "\n") -> str:
    """The header of a column: Chinese (with the English name on a second line), or English."""
    zh, en = HEADERS.get(column, (column, column))
    if lang == "en":
        return en
    return f"{zh}{sep}{en}" if second_line and zh != en else zh


def localise(df: pd.DataFrame, lang: str = "zh", second_line: bool = True, sep: str = "\n") -> pd.DataFrame:
    """The table with readable headers and values (severity, list and emerging flags in words)."""
    out = df.copy()
    if "severity" in out.columns and lang == "zh":
        out["severity"] = out["severity"].map(lambda s: SEVERITY.get(s, s))
    if "list" in out.columns:
        labels = LIST_LABELS if lang == "zh" else LIST_LABELS_EN
        out["list"] = out["list"].map(lambda s: labels.get(s, "") if isinstance(s, str) else "")
    if "is_emerging" in out.columns:
        out["is_emerging"] = out["is_emerging"].map(
            lambda v: ("是" if lang == "zh" else "yes") if bool(v) and not pd.isna(v) else "")
    return out.rename(columns={c: header(c, lang, second_line, sep) for c in out.columns})
