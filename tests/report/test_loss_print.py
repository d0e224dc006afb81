"""`voc loss` prints each formula with its inputs: the printed arithmetic must give the printed results,
and the results must be the fact_loss figures."""

import re

import pytest

from pipeline.attribute.config import load_economics
from pipeline.report.html import annual_loss
from pipeline.report.loss import loss_lines
from tests.report.test_report import report_tables  # noqa: F401  (shared module fixture)

NUM = r"([\d,]+(?:\.\d+)?)"


def _n(s: str) -> float:
    return float(s.replace(",", ""))


@pytest.mark.slow
def test_printed_formulas_reproduce_the_loss_table(report_tables):  # noqa: F811
    econ = load_economics("taxonomies/economics.yaml")
    names = dict(zip(report_tables["dim_category"]["category_id"], report_tables["dim_category"]["name"]))
    loss = report_tables["fact_loss"]
    lines = loss_lines(loss, econ, names, top=5)
    totals = annual_loss(loss, "category_id").set_index("category_id")
    blocks = [i for i, line in enumerate(lines) if line.endswith("per year") and "(" in line and ")" in line]
    assert len(blocks) == 5
    for i in blocks:
        cid = re.search(r"\(([a-z_.]+)\)", lines[i]).group(1)
        assert _n(re.search(r": " + NUM + " per year", lines[i]).group(1)) == pytest.approx(
            totals.loc[cid, "total_loss"], abs=1)
        parts = {}
        for line in lines[i + 1:i + 5]:
            kind, expr, result = re.match(r"\s+(\w+)\s+(.*) = " + NUM + "$", line).groups()
            factors = [_n(x) for x in re.findall(r"(?<![\w.])" + NUM + r"(?=h?\b)", re.sub(r"\[[^\]]*\]", "", expr))]
            value = factors[0]
            for op, f in zip(re.findall(r" ([x/]) ", expr), factors[1:]):
                value = value * f if op == "x" else value / f
            # Printed inputs are rounded (shares to 5 digits, CLV to 1 CNY): 0.1% agreement.
            assert value == pytest.approx(_n(result), rel=2e-3, abs=2), line
            parts[kind] = _n(result)
        assert sum(parts.values()) == pytest.approx(totals.loc[cid, "total_loss"], abs=5)
