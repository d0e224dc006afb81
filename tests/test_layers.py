"""The layers point one way and no module imports itself back (STYLE.md rule 11).

`voc` (the command line) may import `flows` and `samplegen`; `flows` and `samplegen` may import
`pipeline`; `pipeline` imports none of them. No import cycle anywhere: neither between two modules
(a -> b -> ... -> a) nor between two sibling packages or modules taken whole.

The import graph comes from grimp (the library under import-linter): it parses every module's
imports, including those inside functions, without importing anything. A hand-written AST walk would
have to get relative imports, `from package import submodule` and re-exports right by itself.
"""

from __future__ import annotations

import grimp
import pytest

PACKAGES = ("voc", "flows", "samplegen", "pipeline")
# Highest first: a layer may import the layers below it, never one above. flows and samplegen are
# independent of each other.
LAYERS = ("voc", {"flows", "samplegen"}, "pipeline")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, cache_dir=None)  # no .grimp_cache in the checkout


def _route(route) -> str:
    heads, tails = ", ".join(sorted(route.heads)), ", ".join(sorted(route.tails))
    return " -> ".join([f"{{{heads}}}", *route.middle, f"{{{tails}}}"])


def test_every_package_is_in_the_graph(graph):
    # A package grimp could not find would make every check below pass vacuously.
    for package in PACKAGES:
        assert graph.find_children(package), f"{package}: no modules found"
    assert "pipeline.store.base" in graph.modules and "voc.cli.app" in graph.modules


def test_pipeline_imports_nothing_from_flows_or_the_command_line(graph):
    illegal = graph.find_illegal_dependencies_for_layers(layers=LAYERS)
    lines = [f"{d.importer} imports {d.imported}: " + "; ".join(_route(r) for r in sorted(d.routes, key=str))
             for d in sorted(illegal, key=lambda d: (d.importer, d.imported))]
    if lines:
        pytest.fail("an import against the layers voc > flows, samplegen > pipeline:\n" + "\n".join(lines))


def test_no_module_imports_itself_back(graph):
    cycles: set[tuple[str, ...]] = set()
    for imp in graph.find_matching_direct_imports("** -> **"):
        importer, imported = imp["importer"], imp["imported"]
        try:
            back = graph.find_shortest_chain(importer=imported, imported=importer)
        except ValueError:  # a package and its own module: grimp walks no chain between them
            back = (imported, importer) if graph.direct_import_exists(importer=imported, imported=importer) else None
        if back:
            cycle = (importer, *back)
            start = cycle.index(min(cycle[:-1]))  # one spelling per cycle, whichever edge found it
            cycles.add(cycle[start:-1] + cycle[:start + 1])
    if cycles:
        pytest.fail("import cycles:\n" + "\n".join(" -> ".join(c) for c in sorted(cycles)))


def test_no_two_sibling_packages_import_each_other(graph):
    # Modules can be acyclic while their packages are not (report.x -> classify.y, classify.z ->
    # report.w): grimp names the imports whose removal would make each package's children acyclic.
    packages = sorted(m for m in graph.modules if graph.find_children(m))
    breakers = {p: sorted(graph.nominate_cycle_breakers(p)) for p in packages}
    found = {p: b for p, b in breakers.items() if b}
    if found:
        pytest.fail("sibling packages or modules in a cycle (an import in each cycle):\n" + "\n".join(
            f"{p}: " + ", ".join(f"{a} -> {b}" for a, b in imports) for p, imports in found.items()))
