"""A taxonomy resolved for use: files composed, facets turned into categories, inheritance answered.

`model` holds the file schema (what analysts write); `facets` composes component x symptom pairs
from it; this module builds on both, so neither of them imports it.
"""

from __future__ import annotations

import hashlib
import json

from pipeline.taxonomy.facets import claims_of, generated_categories, route
from pipeline.taxonomy.model import Filters, PolarityMode, Scope, Severity, TaxonomyFile


class Taxonomy:
    """A validated taxonomy (one file or several composed) with inheritance resolved.

    Attributes:
        declared_version: the `version` written in the file(s), joined with '+'.
        version: content hash of the validated taxonomy ("tx-" + 12 hex), stamped on every output row.
        departments: department id -> Department.
        categories: category id -> Category as written (after composition).
        synonyms: term -> synonyms (lower-case).
        leaf_ids: ids of categories without children; mentions are counted on these.
    """

    def __init__(self, spec: TaxonomyFile, source: str = "") -> None:
        self.spec = spec
        self.source = source
        self.declared_version = spec.version
        self.departments = spec.departments
        generated = generated_categories(spec)
        self.generated = set(generated)  # composed (component x symptom) categories, not written in the file
        self.categories = {**spec.categories, **generated}
        self.components = spec.components
        self.symptoms = spec.symptoms
        self.claims = claims_of(spec)
        self.synonyms = {k.lower(): [s.lower() for s in v] for k, v in spec.synonyms.items()}
        canonical = json.dumps(spec.model_dump(mode="json"), ensure_ascii=False, sort_keys=True)
        self.version = "tx-" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]
        children: dict[str, list[str]] = {cid: [] for cid in self.categories}
        for cid, cat in self.categories.items():
            if cat.parent in children:
                children[cat.parent].append(cid)
        self.children = children
        self.leaf_ids = [cid for cid in self.categories if not children[cid]]

    def ancestors(self, cid: str) -> list[str]:
        """Ids from `cid`'s parent up to the root."""
        out, cur = [], self.categories[cid].parent
        while cur and cur not in out:
            out.append(cur)
            cur = self.categories[cur].parent
        return out

    def _inherited(self, cid: str, attr: str):
        for c in [cid, *self.ancestors(cid)]:
            value = getattr(self.categories[c], attr)
            if value:
                return value
        return None

    def owners(self, cid: str) -> dict[str, float]:
        """Owner and co-owner shares of `cid`, from the nearest ancestor that declares them."""
        for c in [cid, *self.ancestors(cid)]:
            cat = self.categories[c]
            if cat.owners or cat.co_owners:
                return {**cat.owners, **cat.co_owners}
        return {}

    def severity(self, cid: str) -> Severity:
        return self._inherited(cid, "severity") or Severity.normal

    def scope(self, cid: str) -> Scope:
        return self._inherited(cid, "scope") or Scope.clause

    def polarity_mode(self, cid: str) -> PolarityMode:
        return self._inherited(cid, "polarity") or PolarityMode.issue

    def filters(self, cid: str) -> Filters | None:
        return self._inherited(cid, "filters")

    def none_terms(self, cid: str) -> list[str]:
        """Exclusion terms of `cid` and all its ancestors (exclusions inherit down)."""
        terms: list[str] = []
        for c in [cid, *self.ancestors(cid)]:
            terms.extend(self.categories[c].rules.none)
        return terms

    def all_terms_of(self, cid: str) -> list[str]:
        """Required terms of `cid` and all its ancestors (a parent's `all` narrows every child)."""
        terms: list[str] = []
        for c in [cid, *self.ancestors(cid)]:
            terms.extend(self.categories[c].rules.all)
        return terms

    def expand(self, term: str) -> list[str]:
        """A term plus its synonyms (lower-case)."""
        t = term.lower()
        return [t, *self.synonyms.get(t, [])]

    def route(self, system: str, part: str | None, symptom: str) -> tuple[str | None, str]:
        """The category of a composed (component, symptom) pair, or (None, reason) when a guard refuses it."""
        return route(self.spec, self.claims, self.generated, system, part, symptom)

    def path_names(self, cid: str) -> str:
        return " / ".join(self.categories[c].name for c in [*reversed(self.ancestors(cid)), cid])

    def all_terms(self) -> set[str]:
        """Every literal term in rules and praise lanes (for the segmenter's user dictionary)."""
        terms: set[str] = set()
        for cat in self.categories.values():
            r = cat.rules
            terms.update(r.any + r.all + cat.praise)
            for near in r.near:
                for item in near.terms:
                    terms.update([item] if isinstance(item, str) else item)
        for k, v in self.spec.synonyms.items():
            terms.update([k, *v])
        for comp in self.components.values():
            terms.update(comp.terms)
            for part in comp.parts.values():
                terms.update(part.terms)
        for sym in self.symptoms.values():
            terms.update(sym.terms)
        return {t for t in terms if "*" not in t}
