"""Lint collects every located error; base + overlay composition; inherited lanes; the JSON Schema."""

import json
import textwrap

import pytest

from pipeline.errors import InputError
from pipeline.taxonomy import lint_taxonomies, load_taxonomies, load_taxonomy
from pipeline.taxonomy.schema import taxonomy_schema

BASE = """\
version: b1
departments:
  rnd: {name: 研发}
  mfg: {name: 制造}
categories:
  product:
    name: 产品
    owners: {rnd: 0.5, mfg: 0.5}
    rules: {all: [车], none: [风噪]}
  product.noise:
    name: 异响
    parent: product
    rules: {any: [异响]}
"""


def write(tmp_path, text, name="tax.yaml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


@pytest.mark.parametrize(
    "extra,line,fragment",
    [
        ("  product.noise:\n    name: 又一个\n    parent: product\n    rules: {any: [响]}\n", 14,
         "duplicate key 'categories.product.noise' (first defined on line 10); category ids must be unique"),
        ("  x:\n    name: X\n    parent: nowhere\n    rules: {any: [x]}\n", 16, "unknown parent category 'nowhere'"),
        ("  x:\n    name: X\n    owners: {qa: 1.0}\n    rules: {any: [x]}\n", 16, "unknown department 'qa'"),
        ("  x:\n    name: X\n    owners: {rnd: 0.5, mfg: 0.4}\n    rules: {any: [x]}\n", 16, "shares must sum to 1"),
        ("  x:\n    name: X\n    owners: {rnd: 0.5}\n    co_owners: {mfg: 0.4}\n    rules: {any: [x]}\n", 16,
         "owners + co_owners shares must sum to 1"),
        ("  x:\n    name: X\n    parent: y\n  y:\n    name: Y\n    parent: x\n    owners: {rnd: 1.0}\n", 16,
         "cycle: x -> y -> x"),
        ("  x:\n    name: X\n    owners: {rnd: 1.0}\n    rules: {none: [风噪]}\n", 14, "needs rules"),
        ("  x:\n    name: X\n    rules:\n      regex: ['异响(']\n", 17, "bad regular expression"),
        ("  x:\n    name: X\n    rules:\n      any: [好, '**']\n", 17, "matches anything"),
        ("  x:\n    name: X\n    rules:\n      none: ['异*响']\n", 17, "wildcards are allowed in `any` only"),
        ("  x:\n    name: X\n    rules:\n      near: [{terms: [a, b], window: 0}]\n", 17, "greater than or equal to 1"),
    ],
)
def test_each_kind_of_error_names_file_line_and_field(tmp_path, extra, line, fragment):
    path = write(tmp_path, BASE + extra)
    tax, errors = lint_taxonomies([path])
    assert tax is None and errors
    msgs = [str(e) for e in errors]
    assert any(m.startswith(f"{path}:{line}: ") and fragment in m for m in msgs), msgs
    with pytest.raises(InputError):
        load_taxonomy(path)


def test_lint_reports_every_error_not_only_the_first(tmp_path):
    extra = ("  a:\n    name: A\n    parent: nowhere\n    rules: {any: [a]}\n"
             "  b:\n    name: B\n    owners: {qa: 1.0}\n    rules: {any: [b]}\n")
    _, errors = lint_taxonomies([write(tmp_path, BASE + extra)])
    assert len(errors) == 2
    assert [e.line for e in errors] == [16, 20]


OVERLAY = """\
version: brand-x
departments:
  dealer_ops: {name: 经销商运营}
synonyms:
  异响: [怪声, 咯吱]
categories:
  product.rattle:
    name: 车门异响
    parent: product
    owners: {mfg: 0.7, dealer_ops: 0.3}
    rules: {any: [车门响]}
  product.noise:
    override: true
    severity: P1
    rules: {any: [嗡嗡]}
"""


def test_base_plus_overlay_compose(tmp_path):
    tax = load_taxonomies([write(tmp_path, BASE, "base.yaml"), write(tmp_path, OVERLAY, "brand.yaml")])
    assert tax.declared_version == "b1+brand-x"
    assert set(tax.leaf_ids) == {"product.noise", "product.rattle"}
    noise = tax.categories["product.noise"]
    assert noise.rules.any == ["异响", "嗡嗡"]  # lanes are added to the base's
    assert noise.name == "异响" and tax.severity("product.noise").value == "P1"  # written fields replace
    assert tax.owners("product.rattle") == {"mfg": 0.7, "dealer_ops": 0.3}
    assert tax.expand("异响") == ["异响", "怪声", "咯吱"]
    base_only = load_taxonomy(tmp_path / "base.yaml")
    assert base_only.version != tax.version


def test_overlay_repeating_an_id_without_override_is_a_duplicate(tmp_path):
    base = write(tmp_path, BASE, "base.yaml")
    over = write(tmp_path, OVERLAY.replace("    override: true\n", ""), "brand.yaml")
    _, errors = lint_taxonomies([base, over])
    assert len(errors) == 1
    assert str(errors[0]).startswith(f"{over}:12: duplicate category id 'product.noise' (first defined at {base}:10)")
    orphan = write(tmp_path, "version: o\ncategories:\n  ghost:\n    override: true\n    rules: {any: [x]}\n", "o.yaml")
    _, errors = lint_taxonomies([base, orphan])
    assert any("nothing to override" in str(e) and e.line == 4 for e in errors)


def test_all_none_scope_filters_and_polarity_inherit(tmp_path):
    extra = ("  product.noise.door:\n    name: 门\n    parent: product.noise\n    rules: {any: [门响]}\n")
    text = BASE.replace("    rules: {all: [车], none: [风噪]}\n",
                        "    rules: {all: [车], none: [风噪]}\n    scope: feedback\n    polarity: aspect\n"
                        "    filters: {channel: [app]}\n") + extra
    tax = load_taxonomy(write(tmp_path, text))
    cid = "product.noise.door"
    assert tax.all_terms_of(cid) == ["车"] and tax.none_terms(cid) == ["风噪"]
    assert tax.scope(cid).value == "feedback" and tax.polarity_mode(cid).value == "aspect"
    assert tax.filters(cid).channel == ["app"]


def test_shipped_taxonomies_load_and_the_committed_schema_is_current():
    for f in ["taxonomies/automotive_v1.yaml", "taxonomies/automotive_v2.yaml", "taxonomies/examples/ccf_aspects.yaml"]:
        assert load_taxonomy(f).leaf_ids
    with open("taxonomies/taxonomy.schema.json", encoding="utf-8") as fh:
        committed = json.load(fh)
    assert committed == taxonomy_schema(), "run `voc taxonomy schema` and commit taxonomies/taxonomy.schema.json"
    assert {"categories", "departments", "synonyms", "version"} <= set(committed["properties"])
