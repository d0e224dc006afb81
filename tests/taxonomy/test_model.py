"""Taxonomy loading: inheritance, versions, and lint errors that name file:line and field."""

import textwrap

import pytest

from pipeline.errors import InputError
from pipeline.taxonomy import Severity, load_taxonomy

BASE = """\
version: t1
departments:
  rnd: {name: 研发}
  mfg: {name: 制造}
categories:
  product:
    name: 产品
    owners: {rnd: 0.5, mfg: 0.5}
    rules: {none: [风噪]}
  product.noise:
    name: 异响
    parent: product
    rules: {any: [异响]}
  safety:
    name: 安全
    severity: P0
    owners: {rnd: 1.0}
  safety.brake:
    name: 刹车失灵
    parent: safety
    owners: {rnd: 0.7, mfg: 0.3}
    rules: {any: [刹车失灵]}
"""


def write(tmp_path, text, name="tax.yaml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def test_shipped_taxonomy_loads_with_owner_shares_summing_to_one():
    tax = load_taxonomy("taxonomies/automotive_v1.yaml")
    assert len(tax.leaf_ids) >= 25
    for cid in tax.leaf_ids:
        assert sum(tax.owners(cid).values()) == pytest.approx(1.0), cid
    assert tax.severity("safety.brake_failure") is Severity.P0
    assert tax.severity("product.cockpit.lag") is Severity.normal
    assert {"product", "service", "safety"} <= {c for c in tax.categories if "." not in c}


def test_inheritance_of_owners_severity_and_exclusions(tmp_path):
    tax = load_taxonomy(write(tmp_path, BASE))
    assert tax.owners("product.noise") == {"rnd": 0.5, "mfg": 0.5}  # inherited
    assert tax.owners("safety.brake") == {"rnd": 0.7, "mfg": 0.3}  # own
    assert tax.severity("safety.brake") is Severity.P0  # inherited
    assert tax.none_terms("product.noise") == ["风噪"]
    assert tax.leaf_ids == ["product.noise", "safety.brake"]


def test_version_is_a_content_hash(tmp_path):
    a = load_taxonomy(write(tmp_path, BASE, "a.yaml"))
    b = load_taxonomy(write(tmp_path, "# only a comment differs\n" + BASE, "b.yaml"))
    c = load_taxonomy(write(tmp_path, BASE.replace("[异响]", "[异响, 咯吱]"), "c.yaml"))
    assert a.version == b.version
    assert a.version != c.version and a.version.startswith("tx-")


@pytest.mark.parametrize(
    "old,new,line,fragment",
    [
        ("    parent: product\n", "    parent: prodcut\n", 12, "unknown parent category 'prodcut'"),
        ("{rnd: 0.7, mfg: 0.3}", "{rnd: 0.7, qa: 0.3}", 21, "unknown department 'qa'"),
        ("{rnd: 0.7, mfg: 0.3}", "{rnd: 0.7, mfg: 0.2}", 21, "sum to 1"),
        ("    rules: {any: [刹车失灵]}\n", "", 18, "needs rules"),
        ("    severity: P0\n", "    severity: P9\n", 16, "severity"),
        ("    rules: {any: [异响]}\n", "    rule: {any: [异响]}\n", 13, "rule"),
        ("  safety.brake:\n", "  product.noise:\n", 18, "duplicate key 'categories.product.noise'"),
    ],
)
def test_lint_errors_name_file_line_and_field(tmp_path, old, new, line, fragment):
    assert old in BASE
    path = write(tmp_path, BASE.replace(old, new, 1))
    with pytest.raises(InputError) as err:
        load_taxonomy(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}:{line}: "), msg
    assert fragment in msg


def test_parent_cycle_is_reported(tmp_path):
    text = BASE.replace("    name: 产品\n", "    name: 产品\n    parent: product.noise\n", 1)
    with pytest.raises(InputError, match="cycle"):
        load_taxonomy(write(tmp_path, text))


def test_bad_yaml_names_the_line(tmp_path):
    with pytest.raises(InputError) as err:
        load_taxonomy(write(tmp_path, BASE.replace("rnd: {name: 研发}", "rnd: {name: 研发")))
    assert ":3:" in str(err.value) or ":4:" in str(err.value)
