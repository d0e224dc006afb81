"""Loading taxonomy files: validation with located errors, and composition of a base plus overlays.

    load_taxonomy("base.yaml")                           # one file
    load_taxonomies(["base.yaml", "brand_x.yaml"])       # a base, then overlays in order
    lint_taxonomies(["base.yaml", "brand_x.yaml"])       # every problem, not just the first

An overlay adds departments, synonyms and categories. To change a base category it repeats the id
with `override: true`; the fields it writes replace the base's, except the list lanes of `rules`,
`praise` and `examples`, which are added to the base's. Repeating an id without `override: true` is
an error (a duplicate id), naming both places.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from pipeline.errors import InputError
from pipeline.taxonomy.ids import id_problem
from pipeline.taxonomy.model import Category, TaxonomyFile
from pipeline.taxonomy.resolved import Taxonomy
from pipeline.taxonomy.regex import RuleRegexError, compile_rule_regex
from pipeline.yamlio import LocatedYaml, _data_path

_LIST_MERGE = {"rules", "examples"}


@dataclass
class _Origin:
    doc: LocatedYaml
    loc: tuple

    def error(self, sub: tuple, msg: str) -> InputError:
        loc = self.loc + sub
        return InputError(f"field '{'.'.join(map(str, loc))}': {msg}", file=self.doc.path, line=self.doc.line_of(loc))


def _validate(doc: LocatedYaml, errors: list[InputError]) -> TaxonomyFile | None:
    """Validate one document; collect every schema error (with its line) instead of stopping at the first."""
    for dup in doc.duplicate_keys:
        where = ".".join(map(str, dup.loc))
        what = "; category ids must be unique" if len(dup.loc) == 2 and dup.loc[0] == "categories" else ""
        errors.append(InputError(f"duplicate key '{where}' (first defined on line {dup.first_line}){what}",
                                 file=doc.path, line=dup.line))
    if doc.duplicate_keys:
        return None
    try:
        return TaxonomyFile.model_validate(doc.data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = _data_path(doc.data, err["loc"])
            if "shares must sum" in err["msg"] and len(loc) == 2:
                loc = loc + ("owners",)
            got = err.get("input")
            got_txt = "" if isinstance(got, dict | list) or got is None else f"; got {got!r}"
            field_name = ".".join(map(str, loc)) or "(document)"
            errors.append(InputError(f"field '{field_name}': {err['msg'].removeprefix('Value error, ')}{got_txt}",
                                     file=doc.path, line=doc.line_of(loc)))
        return None


def _merge(base: Category, over: Category) -> Category:
    data = base.model_dump()
    for name in over.model_fields_set - {"override"}:
        value = getattr(over, name)
        if name in _LIST_MERGE:
            merged = dict(data[name])
            for lane in value.model_fields_set:
                merged[lane] = list(merged.get(lane, [])) + [x.model_dump() if hasattr(x, "model_dump") else x
                                                             for x in getattr(value, lane)]
            data[name] = merged
        elif name == "praise":
            data[name] = data[name] + list(value)
        else:
            data[name] = value.model_dump() if hasattr(value, "model_dump") else value
    return Category.model_validate(data)


def _merge_facet(base, over):
    data = base.model_dump()
    for name in over.model_fields_set:
        value = getattr(over, name)
        if name in ("terms", "none", "components", "not_components"):
            data[name] = list(dict.fromkeys(data[name] + list(value)))
        elif name == "parts":
            data[name] = {**data[name], **{k: v.model_dump() for k, v in value.items()}}
        else:
            data[name] = value.model_dump() if hasattr(value, "model_dump") else value
    return type(base).model_validate(data)


def _check_facets(spec: TaxonomyFile, origins: dict[str, _Origin], errors: list[InputError]) -> None:
    systems = set(spec.components)
    refs = systems | {f"{s}.{p}" for s, c in spec.components.items() for p in c.parts}
    for sid, comp in spec.components.items():
        o = origins[f"components:{sid}"]
        if "." in sid:
            errors.append(o.error((), f"component id '{sid}' may not contain '.'; write parts under `parts`"))
        for dept in comp.owners:
            if dept not in spec.departments:
                errors.append(o.error(("owners", dept), f"unknown department '{dept}'; known: {sorted(spec.departments)}"))
        if not comp.terms and not comp.parts:
            errors.append(o.error(("terms",), "a component needs terms (or parts with terms) that name it"))
    for yid, sym in spec.symptoms.items():
        o = origins[f"symptoms:{yid}"]
        for lane in ("components", "not_components"):
            for i, c in enumerate(getattr(sym, lane)):
                if c not in systems:
                    errors.append(o.error((lane, i), f"unknown component system '{c}'; known: {sorted(systems)}"))
        if sym.default_component is not None and sym.default_component not in systems:
            errors.append(o.error(("default_component",), f"unknown component system '{sym.default_component}'"))
    for cid, cat in spec.categories.items():
        for i, f in enumerate(cat.facets):
            o = origins[cid]
            for c in f.component:
                if c not in refs:
                    errors.append(o.error(("facets", i, "component"), f"unknown component '{c}' (a system or system.part)"))
            for y in f.symptom:
                if y not in spec.symptoms:
                    errors.append(o.error(("facets", i, "symptom"), f"unknown symptom '{y}'; known: {sorted(spec.symptoms)}"))


def _check_patterns(cid: str, cat: Category, origin: _Origin, errors: list[InputError]) -> None:
    for i, pat in enumerate(cat.rules.regex):
        try:
            compile_rule_regex(pat)
        except RuleRegexError as exc:
            errors.append(origin.error(("rules", "regex", i), f"bad regular expression {pat!r}: {exc}"))
    lanes = [("any", cat.rules.any), ("all", cat.rules.all), ("none", cat.rules.none), ("praise", cat.praise)]
    for lane, terms in lanes:
        for i, t in enumerate(terms):
            sub = ("praise", i) if lane == "praise" else ("rules", lane, i)
            if not t.replace("*", "").strip():
                errors.append(origin.error(sub, f"term {t!r} matches anything; a term needs at least one character"))
            elif "**" in t:
                errors.append(origin.error(sub, f"term {t!r} has '**'; one '*' already matches up to 6 characters"))
            elif lane != "any" and "*" in t:
                errors.append(origin.error(sub, f"term {t!r}: '*' wildcards are allowed in `any` only"))


def _compose(paths: list[Path], errors: list[InputError]) -> tuple[TaxonomyFile | None, dict[str, _Origin]]:
    departments, synonyms, categories, versions = {}, {}, {}, []
    components, symptoms, facet_settings = {}, {}, {}
    origins: dict[str, _Origin] = {}
    dept_origin: dict[str, _Origin] = {}
    for path in paths:
        try:
            doc = LocatedYaml.load(path)
        except InputError as exc:
            errors.append(exc)
            continue
        spec = _validate(doc, errors)
        if spec is None:
            continue
        versions.append(spec.version)
        for did, dept in spec.departments.items():
            if problem := id_problem(str(did), "department id"):
                errors.append(InputError(problem, file=doc.path, line=doc.line_of(("departments", did))))
                continue
            if did in departments and departments[did] != dept:
                first = dept_origin[did]
                errors.append(InputError(
                    f"duplicate department id '{did}' (first defined at {first.doc.path}:{first.doc.line_of(first.loc)})",
                    file=doc.path, line=doc.line_of(("departments", did))))
                continue
            departments[did] = dept
            dept_origin[did] = _Origin(doc, ("departments", did))
        for term, syns in spec.synonyms.items():
            synonyms[term] = list(dict.fromkeys(synonyms.get(term, []) + syns))
        # An overlay adds components and symptoms; repeating an id adds its terms (and parts) to the base's.
        for facet, into in (("components", components), ("symptoms", symptoms)):
            for fid, item in getattr(spec, facet).items():
                into[fid] = _merge_facet(into[fid], item) if fid in into else item
                origins[f"{facet}:{fid}"] = _Origin(doc, (facet, fid))
        facet_settings.update({k: getattr(spec, k) for k in ("facet_root", "facet_window") if k in spec.model_fields_set})
        for cid, cat in spec.categories.items():
            here = _Origin(doc, ("categories", cid))
            if problem := id_problem(str(cid)):
                errors.append(InputError(problem, file=doc.path, line=doc.line_of(here.loc)))
                continue
            if cid in categories:
                if not cat.override:
                    first = origins[cid]
                    errors.append(InputError(
                        f"duplicate category id '{cid}' (first defined at {first.doc.path}:"
                        f"{first.doc.line_of(first.loc)}); write `override: true` to change it in an overlay",
                        file=doc.path, line=doc.line_of(here.loc)))
                    continue
                try:
                    categories[cid] = _merge(categories[cid], cat)
                except ValidationError as exc:
                    errors.append(here.error((), exc.errors()[0]["msg"].removeprefix("Value error, ")))
                    continue
            else:
                if cat.override:
                    errors.append(here.error(("override",), "no earlier file defines this category, so nothing to override"))
                if "name" not in cat.model_fields_set:
                    errors.append(here.error(("name",), "field required: every category needs a name"))
                categories[cid] = cat
            origins[cid] = here
            _check_patterns(cid, categories[cid], here, errors)
    if not versions:
        return None, origins
    spec = TaxonomyFile(version="+".join(versions), departments=departments, synonyms=synonyms,
                        categories=categories, components=components, symptoms=symptoms, **facet_settings)
    return spec, origins


def _check_consistency(spec: TaxonomyFile, origins: dict[str, _Origin], errors: list[InputError]) -> Taxonomy | None:
    cats = spec.categories
    _check_facets(spec, origins, errors)
    for cid, cat in cats.items():
        o = origins[cid]
        if cat.parent is not None and cat.parent not in cats:
            errors.append(o.error(("parent",), f"unknown parent category '{cat.parent}'"))
        for lane in ("owners", "co_owners"):
            for dept in getattr(cat, lane):
                if dept not in spec.departments:
                    errors.append(o.error((lane, dept), f"unknown department '{dept}'; known: {sorted(spec.departments)}"))
    reported: set[str] = set()
    for cid in cats:
        seen, cur = [cid], cats[cid].parent
        while cur in cats:
            if cur in seen:
                cycle = seen[seen.index(cur):] + [cur]
                if not reported & set(cycle):
                    errors.append(origins[cid].error(("parent",), f"parent chain forms a cycle: {' -> '.join(cycle)}"))
                reported.update(cycle)
                break
            seen.append(cur)
            cur = cats[cur].parent
    if errors:
        return None
    tax = Taxonomy(spec, source="+".join(sorted({str(o.doc.path) for o in origins.values()})))
    for cid in tax.leaf_ids:
        if cid in tax.generated:
            if not tax.owners(cid):
                errors.append(InputError(f"composed category '{cid}' has no owner: give its component `owners`"))
            continue
        o = origins[cid]
        if cats[cid].rules.is_empty and not cats[cid].examples.match and not cats[cid].facets:
            errors.append(o.error((), "a leaf category needs rules (any/all/near/regex) or match examples; it has neither"))
        if not tax.owners(cid):
            errors.append(o.error((), "no owner department: set `owners` here or on an ancestor"))
    return None if errors else tax


def lint_taxonomies(paths: list[str | Path]) -> tuple[Taxonomy | None, list[InputError]]:
    """Validate and compose taxonomy files, collecting every problem.

    Args:
        paths: a base taxonomy file, then overlay files in order.

    Returns:
        (the composed Taxonomy, or None when there are errors; the errors, each naming file:line and field).
    """
    errors: list[InputError] = []
    spec, origins = _compose([Path(p) for p in paths], errors)
    if spec is None or errors:
        return None, errors
    tax = _check_consistency(spec, origins, errors)
    return tax, errors


def load_taxonomies(paths: list[str | Path]) -> Taxonomy:
    """Load a base taxonomy and overlays, composed in order.

    Raises:
        InputError: the first problem found, naming file, line and field (lint shows them all).
    """
    tax, errors = lint_taxonomies(paths)
    if errors:
        raise errors[0]
    return tax


def load_taxonomy(path: str | Path | list) -> Taxonomy:
    """Load and validate one taxonomy YAML file (or a list of files: base then overlays).

    Raises:
        InputError: naming the file, the line and the field, for any schema or consistency error.
    """
    return load_taxonomies(list(path) if isinstance(path, list | tuple) else [path])
