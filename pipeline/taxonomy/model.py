"""Taxonomy files: the pydantic schema analysts write against, and the resolved taxonomy."""

from __future__ import annotations

import hashlib
import json
from enum import Enum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SHARE_TOLERANCE = 1e-6

Term = Annotated[str, Field(min_length=1, description="a literal term; '*' matches up to 6 characters")]
# A near-group item is one term or a list of alternative terms.
NearItem = Term | list[Term]


class Severity(str, Enum):
    """How urgently a complaint in this category must reach people."""

    P0 = "P0"  # red line: safety
    P1 = "P1"
    normal = "normal"


class Scope(str, Enum):
    """Where the `all` and `none` lanes look: the clause itself, or the whole feedback it came from."""

    clause = "clause"
    feedback = "feedback"


class PolarityMode(str, Enum):
    """What a rule hit means: `issue` (a hit is a complaint unless negated) or `aspect` (a hit names a
    topic such as 动力 or 价格; complaint/praise/neutral/question comes from the clause's tone)."""

    issue = "issue"
    aspect = "aspect"


class Unit(str, Enum):
    chars = "chars"
    tokens = "tokens"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Near(_Strict):
    """One term of each group within `window` characters (or jieba tokens) of each other."""

    terms: list[NearItem] = Field(min_length=2, description="groups: a term or a list of alternatives each")
    window: int = Field(default=8, ge=1, le=50, description="largest gap between neighbouring groups")
    unit: Unit = Field(default=Unit.chars, description="chars (default) or tokens (jieba words)")


class Rules(_Strict):
    """Rule lanes; a clause matches when (any OR near OR regex) AND all AND NOT none."""

    any: list[Term] = Field(default=[], description="one of these terms")
    all: list[Term] = Field(default=[], description="every one of these terms as well")
    none: list[Term] = Field(default=[], description="exclusion phrases: never when one appears (inherited)")
    near: list[Near] = Field(default=[], description="proximity: one term of each group within a window")
    regex: list[Term] = Field(default=[], description="regular expressions (RE2 syntax: no back-references or look-arounds), for what terms cannot say")

    @property
    def is_empty(self) -> bool:
        return not (self.any or self.near or self.all or self.regex)


class Examples(_Strict):
    match: list[Term] = Field(default=[], description="clauses that must be categorised here (tests + seeds)")
    no_match: list[Term] = Field(default=[], description="clauses that must not be categorised here")


class Filters(_Strict):
    """The category applies only to feedback from these channels / vehicle models (inherited)."""

    channel: list[str] = []
    vehicle_model: list[str] = []


class Department(_Strict):
    name: str
    description: str = ""


class FacetRef(_Strict):
    """Composed (component, symptom) pairs a category claims; an empty list means any."""

    component: list[str] = Field(default=[], description="component ids (a system or system.part); [] = any")
    symptom: list[str] = Field(default=[], description="symptom ids; [] = any")


class Category(_Strict):
    name: str = Field(default="", description="name shown to analysts and on dashboards (required)")
    names: dict[str, str] = Field(default={}, description="other names by language, e.g. {en: Abnormal noise}")
    description: str = ""
    parent: str | None = Field(default=None, description="id of the category one level up")
    severity: Severity | None = None  # None: inherit from the parent, else normal
    owners: dict[str, float] = Field(default={}, description="department id -> share; shares sum to 1")
    co_owners: dict[str, float] = Field(
        default={}, description="departments that co-own the issue; owners + co_owners shares sum to 1"
    )
    rules: Rules = Rules()
    praise: list[Term] = Field(default=[], description="terms praising this aspect (counted as praise)")
    examples: Examples = Examples()
    scope: Scope | None = Field(default=None, description="clause (default) or feedback: where all/none look")
    filters: Filters | None = None
    polarity: PolarityMode | None = Field(default=None, description="issue (default) or aspect; inherited")
    override: bool = Field(default=False, description="in an overlay file: replace fields of a base category")
    facets: list[FacetRef] = Field(
        default=[], description="composed (component, symptom) pairs this category takes over from the generated one")

    @field_validator("owners", "co_owners")
    @classmethod
    def _shares_in_range(cls, owners: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in owners.items() if not 0 < v <= 1}
        if bad:
            raise ValueError(f"each owner share must be in (0, 1]; got {bad}")
        return owners

    @model_validator(mode="after")
    def _shares_sum_to_one(self) -> Category:
        shares = {**self.owners, **self.co_owners}
        if shares:
            total = sum(shares.values())
            if abs(total - 1.0) > SHARE_TOLERANCE:
                where = "owners + co_owners" if self.co_owners else "owners"
                raise ValueError(f"{where} shares must sum to 1; they sum to {total:g}")
        return self


class Part(_Strict):
    """A part of a component system (涡轮增压器 of 发动机): its own terms, counted on the system."""

    name: str
    terms: list[Term] = Field(default=[], description="words naming the part")


class Component(_Strict):
    """A system of the vehicle (or of the service journey) that complaints name as the location."""

    name: str
    names: dict[str, str] = {}
    description: str = ""
    terms: list[Term] = Field(default=[], description="words naming the system")
    parts: dict[str, Part] = Field(default={}, description="part id -> part; a part's terms name the system too")
    owners: dict[str, float] = Field(default={}, description="department id -> share; shares sum to 1")
    none: list[Term] = Field(default=[], description="phrases in which these terms do not name the component")

    @model_validator(mode="after")
    def _shares(self) -> Component:
        if self.owners and abs(sum(self.owners.values()) - 1.0) > SHARE_TOLERANCE:
            raise ValueError(f"owners shares must sum to 1; they sum to {sum(self.owners.values()):g}")
        return self


class Symptom(_Strict):
    """What goes wrong (异响, 漏油, 失灵): composed with the component named near it into a category."""

    name: str
    names: dict[str, str] = {}
    description: str = ""
    terms: list[Term] = Field(min_length=1, description="words stating the symptom")
    none: list[Term] = Field(default=[], description="longer phrases in which the terms do not state it "
                             "(冒烟般 is a metaphor, 熄火后 a moment, not a stall)")
    components: list[str] = Field(default=[], description="domain guard: only these systems ([] = any)")
    not_components: list[str] = Field(default=[], description="domain guard: never these systems")
    default_component: str | None = Field(default=None, description="system assumed when the clause names none; "
                                          "None: the symptom needs a named component")
    severity: Severity | None = None
    fallback: bool = Field(default=False, description="a vague symptom (故障, 问题): counts only when the "
                           "clause states no other symptom of the same component")


class TaxonomyFile(_Strict):
    """One taxonomy file: a base taxonomy, or an overlay (brand, market) composed on top of one."""

    version: str
    description: str = ""
    departments: dict[str, Department] = {}
    synonyms: dict[str, list[Term]] = Field(
        default={}, description="term -> synonyms; wherever a rule names the term, its synonyms count too"
    )
    categories: dict[str, Category] = {}
    components: dict[str, Component] = Field(default={}, description="component facet: systems of the vehicle")
    symptoms: dict[str, Symptom] = Field(default={}, description="symptom facet: what goes wrong")
    facet_root: str = Field(default="product", description="composed categories are <root>.<system>.<symptom>")
    facet_window: int = Field(default=8, ge=1, le=30, description="largest gap in characters between a "
                              "component and its symptom")


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
        from pipeline.taxonomy.facets import claims_of, generated_categories

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
        from pipeline.taxonomy.facets import route

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
