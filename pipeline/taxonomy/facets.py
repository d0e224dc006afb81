"""Composing the component and symptom facets into categories.

Every allowed (system, symptom) pair becomes a generated leaf category `<root>.<system>.<symptom>`
(变速器 × 异响 -> product.gearbox.noise) under a generated `<root>.<system>` parent that carries the
system's owners, so counts and department routing follow the location. An explicit category that lists
the pair under `facets` takes it over (刹车 × 失灵 -> safety.brake_failure), and no category is generated
for a pair it claims at system level.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.taxonomy.model import Category, TaxonomyFile


@dataclass(frozen=True)
class Claim:
    category_id: str
    components: frozenset[str]  # system or system.part ids; empty = any
    symptoms: frozenset[str]  # empty = any

    def takes(self, system: str, part: str | None, symptom: str) -> bool:
        comp_ok = not self.components or system in self.components or (
            part is not None and f"{system}.{part}" in self.components)
        return comp_ok and (not self.symptoms or symptom in self.symptoms)


def allowed(spec: TaxonomyFile, system: str, symptom: str) -> bool:
    """The symptom's domain guard: may it be composed with this system?"""
    s = spec.symptoms[symptom]
    return (not s.components or system in s.components) and system not in s.not_components


def claims_of(spec: TaxonomyFile) -> list[Claim]:
    out = []
    for cid, cat in spec.categories.items():
        for f in cat.facets:
            out.append(Claim(cid, frozenset(f.component), frozenset(f.symptom)))
    # Claims naming a part are more specific than claims naming a system, which beat "any component".
    return sorted(out, key=lambda c: (0 if any("." in x for x in c.components) else 1 if c.components else 2))


def composed_name(component: str, symptom: str) -> str:
    """"变速器" + "异响" -> 变速器异响; with a slash in either ("动力电池/充电", "续航/耗电") a middle dot keeps
    the two apart: 动力电池/充电·续航/耗电, not 动力电池/充电续航/耗电."""
    return f"{component}·{symptom}" if "/" in component or "/" in symptom else component + symptom


def generated_categories(spec: TaxonomyFile) -> dict[str, Category]:
    """Categories for the allowed pairs that no explicit category defines or claims at system level."""
    out: dict[str, Category] = {}
    if not spec.components or not spec.symptoms:
        return out
    root = spec.facet_root
    claims = [c for c in claims_of(spec) if not any("." in x for x in c.components)]
    for sid, comp in spec.components.items():
        pid = f"{root}.{sid}"
        made_parent = False
        for yid, sym in spec.symptoms.items():
            cid = f"{pid}.{yid}"
            if cid in spec.categories or not allowed(spec, sid, yid):
                continue
            if any(c.components and c.takes(sid, None, yid) for c in claims):
                continue
            out[cid] = Category(name=composed_name(comp.name, sym.name), names={k: f"{comp.names.get(k, comp.name)}: {v}"
                                                                    for k, v in sym.names.items()},
                                parent=pid, severity=sym.severity,
                                description=f"composed: {comp.name} × {sym.name}")
            made_parent = True
        if made_parent and pid not in spec.categories:
            out[pid] = Category(name=comp.name, names=comp.names, owners=comp.owners,
                                parent=root if root in spec.categories else None,
                                description=comp.description or "component system")
    return out


def route(spec: TaxonomyFile, claims: list[Claim], generated: set[str] | dict, system: str, part: str | None,
          symptom: str) -> tuple[str | None, str]:
    """The category a composed pair counts in, and why not when it counts in none.

    Returns:
        (category id or None, "" or the reason: "domain guard").
    """
    guard_ok = allowed(spec, system, symptom)
    for c in claims:
        if c.takes(system, part, symptom) and (c.components or guard_ok):
            return c.category_id, ""
    if not guard_ok:
        return None, "domain guard"
    cid = f"{spec.facet_root}.{system}.{symptom}"
    if cid in generated or cid in spec.categories:
        return cid, ""
    return None, "domain guard"


SEED_TEMPLATES = ("{c}{s}", "{c}出现{s}", "{c}{s}的问题")


def seed_phrases(spec: TaxonomyFile, generated: set[str], per_pair: int = 3) -> list[tuple[str, str]]:
    """Short phrases for each composed category (变速箱异响, 变速器出现顿挫 ...), for the semantic lane.

    The first terms of the component (and of its first parts) and of the symptom are combined with a few
    templates, so a clause in words no rule lists (波箱打滑, 引擎吵) can still land near its category.

    Returns:
        (phrase, category id) pairs.
    """
    out = []
    root = spec.facet_root
    for cid in sorted(generated):
        parts = cid.split(".")
        if len(parts) != 3 or parts[0] != root:
            continue
        comp, sym = spec.components.get(parts[1]), spec.symptoms.get(parts[2])
        if comp is None or sym is None:
            continue
        comp_terms = (comp.terms[:2] or [p.terms[0] for p in comp.parts.values() if p.terms][:2])
        sym_terms = sym.terms[:2]
        phrases = [tpl.format(c=c, s=y) for c in comp_terms for y in sym_terms for tpl in SEED_TEMPLATES]
        out.extend((ph, cid) for ph in phrases[:per_pair])
    return out
