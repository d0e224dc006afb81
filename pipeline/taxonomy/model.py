"""Taxonomy files: the pydantic schema analysts write against, and loading with located errors."""

from __future__ import annotations

import hashlib
import json
from enum import Enum
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pipeline.errors import InputError
from pipeline.yamlio import LocatedYaml

SHARE_TOLERANCE = 1e-6

Term = Annotated[str, Field(min_length=1)]
# A near-group item is one term or a list of alternative terms.
NearItem = Term | list[Term]


class Severity(str, Enum):
    """How urgently a complaint in this category must reach people."""

    P0 = "P0"  # red line: safety
    P1 = "P1"
    normal = "normal"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Near(_Strict):
    """One term of each group within `window` characters of each other."""

    terms: list[NearItem] = Field(min_length=2)
    window: int = Field(default=8, ge=1, le=50)


class Rules(_Strict):
    any: list[Term] = []
    all: list[Term] = []
    none: list[Term] = []
    near: list[Near] = []

    @property
    def is_empty(self) -> bool:
        return not (self.any or self.near or self.all)


class Examples(_Strict):
    match: list[Term] = []
    no_match: list[Term] = []


class Department(_Strict):
    name: str
    description: str = ""


class Category(_Strict):
    name: str
    description: str = ""
    parent: str | None = None
    severity: Severity | None = None  # None: inherit from the parent, else normal
    owners: dict[str, float] = {}
    rules: Rules = Rules()
    praise: list[Term] = []
    examples: Examples = Examples()

    @field_validator("owners")
    @classmethod
    def _shares_valid(cls, owners: dict[str, float]) -> dict[str, float]:
        if owners:
            bad = {k: v for k, v in owners.items() if not 0 < v <= 1}
            if bad:
                raise ValueError(f"each owner share must be in (0, 1]; got {bad}")
            total = sum(owners.values())
            if abs(total - 1.0) > SHARE_TOLERANCE:
                raise ValueError(f"owner shares must sum to 1; they sum to {total:g}")
        return owners


class TaxonomyFile(_Strict):
    version: str
    departments: dict[str, Department]
    categories: dict[str, Category]


class Taxonomy:
    """A validated taxonomy with inheritance resolved.

    Attributes:
        declared_version: the `version` written in the file.
        version: content hash of the validated taxonomy ("tx-" + 12 hex), stamped on every output row.
        departments: department id -> Department.
        categories: category id -> Category as written.
        leaf_ids: ids of categories without children; mentions are counted on these.
    """

    def __init__(self, spec: TaxonomyFile, source: str = "") -> None:
        self.spec = spec
        self.source = source
        self.declared_version = spec.version
        self.departments = spec.departments
        self.categories = spec.categories
        canonical = json.dumps(spec.model_dump(mode="json"), ensure_ascii=False, sort_keys=True)
        self.version = "tx-" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]
        children: dict[str, list[str]] = {cid: [] for cid in self.categories}
        for cid, cat in self.categories.items():
            if cat.parent:
                children[cat.parent].append(cid)
        self.children = children
        self.leaf_ids = [cid for cid in self.categories if not children[cid]]

    def ancestors(self, cid: str) -> list[str]:
        """Ids from `cid`'s parent up to the root."""
        out, cur = [], self.categories[cid].parent
        while cur:
            out.append(cur)
            cur = self.categories[cur].parent
        return out

    def owners(self, cid: str) -> dict[str, float]:
        """Owner shares of `cid`, inherited from the nearest ancestor that declares them."""
        for c in [cid, *self.ancestors(cid)]:
            if self.categories[c].owners:
                return dict(self.categories[c].owners)
        return {}

    def severity(self, cid: str) -> Severity:
        for c in [cid, *self.ancestors(cid)]:
            if self.categories[c].severity is not None:
                return self.categories[c].severity
        return Severity.normal

    def none_terms(self, cid: str) -> list[str]:
        """Exclusion terms of `cid` and all its ancestors (exclusions inherit down)."""
        terms: list[str] = []
        for c in [cid, *self.ancestors(cid)]:
            terms.extend(self.categories[c].rules.none)
        return terms

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
        return {t for t in terms if "*" not in t}


def load_taxonomy(path: str | Path) -> Taxonomy:
    """Load and validate a taxonomy YAML file.

    Raises:
        InputError: naming the file, the line and the field, for any schema or consistency error.
    """
    doc = LocatedYaml.load(path)
    spec: TaxonomyFile = doc.validate(TaxonomyFile)

    def fail(loc: tuple, msg: str) -> None:
        raise InputError(f"field '{'.'.join(map(str, loc))}': {msg}", file=doc.path, line=doc.line_of(loc))

    for cid, cat in spec.categories.items():
        loc = ("categories", cid)
        if cat.parent is not None and cat.parent not in spec.categories:
            fail(loc + ("parent",), f"unknown parent category '{cat.parent}'")
        for dept in cat.owners:
            if dept not in spec.departments:
                fail(loc + ("owners", dept), f"unknown department '{dept}'; known: {sorted(spec.departments)}")
    for cid in spec.categories:  # cycles
        seen, cur = {cid}, spec.categories[cid].parent
        while cur:
            if cur in seen:
                fail(("categories", cid, "parent"), f"parent chain forms a cycle through '{cur}'")
            seen.add(cur)
            cur = spec.categories[cur].parent
    tax = Taxonomy(spec, source=str(path))
    for cid in tax.leaf_ids:
        loc = ("categories", cid)
        if spec.categories[cid].rules.is_empty and not spec.categories[cid].examples.match:
            fail(loc, "a leaf category needs rules (any/all/near) or match examples; it has neither")
        if not tax.owners(cid):
            fail(loc, "no owner department: set `owners` here or on an ancestor")
    return tax
