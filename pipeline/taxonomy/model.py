"""Taxonomy files: the pydantic schema analysts write against (`resolved.Taxonomy` is what the stages use)."""

from __future__ import annotations

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
