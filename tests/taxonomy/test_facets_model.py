"""The component and symptom facets in the taxonomy model: generated categories, claims, lint, overlays."""

from pipeline.taxonomy import lint_taxonomies, load_taxonomies, load_taxonomy

V2 = "taxonomies/automotive_v2.yaml"
OVERLAY = "tests/taxonomy/fixtures/towbar_overlay.yaml"


def test_generated_categories_follow_the_domain_guards_and_the_claims():
    tax = load_taxonomy(V2)
    assert "product.gearbox.noise" in tax.generated
    assert "product.cockpit.oil_burn" not in tax.categories  # oil consumption only composes with the engine
    # 方向盘 x 卡死 is claimed by the red line, so no generated category competes for it
    assert tax.route("steering", None, "stuck") == ("safety.steering_failure", "")
    assert tax.route("cockpit", None, "stuck") == ("product.cockpit.crash", "")
    assert tax.route("cockpit", None, "oil_burn") == (None, "domain guard")
    assert tax.severity("safety.brake_failure").value == "P0"


def test_an_overlay_adds_a_component_and_a_symptom():
    tax = load_taxonomies([V2, OVERLAY])
    assert {"product.towbar.noise", "product.towbar.loose", "product.interior.loose"} <= set(tax.leaf_ids)
    assert tax.owners("product.towbar.rust") == {"rnd_body": 0.6, "supplier_quality": 0.4}
    assert load_taxonomy(V2).version != tax.version


def test_lint_names_unknown_facet_references(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        'version: "x"\n'
        "departments: {q: {name: 质量}}\n"
        "components:\n  engine: {name: 发动机, terms: [发动机], owners: {q: 1.0}}\n"
        "symptoms:\n  noise: {name: 异响, terms: [异响], components: [gearbox]}\n"
        "categories:\n  safety: {name: 安全, owners: {q: 1.0}, facets: [{component: [engin], symptom: [noise]}]}\n",
        encoding="utf-8")
    _, errors = lint_taxonomies([bad])
    text = "\n".join(map(str, errors))
    assert "symptoms.noise.components.0" in text and "unknown component system 'gearbox'" in text
    assert "categories.safety.facets.0.component" in text and "unknown component 'engin'" in text
