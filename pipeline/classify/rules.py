"""Taxonomy rules compiled into one matcher: any / all / none / near / regex lanes plus a praise lane."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import product


from pipeline.classify.facets import find_terms, term_automaton
from pipeline.classify.negation import negation_state
from pipeline.taxonomy import Taxonomy
from pipeline.taxonomy.model import PolarityMode, Scope, Unit
from pipeline.taxonomy.regex import RuleRegexError, compile_rule_regex

WILDCARD_SPAN = 6  # "*" in a term matches up to this many characters


@dataclass(frozen=True)
class RuleHit:
    """One category's rule evidence in one clause."""

    category_id: str
    kind: str  # "complaint" | "praise"
    terms: tuple[str, ...]
    state: str | None = None  # None | "negated" | "resolved" | "hearsay"
    method: str = "rule"  # "rule" (the category's own rules) | "facet" (a composed component x symptom pair)


@dataclass
class _Compiled:
    any: set[str] = field(default_factory=set)
    all: list[list[str]] = field(default_factory=list)  # each: a term and its synonyms
    none: list[str] = field(default_factory=list)
    near: list[tuple[list[set[str]], int, bool]] = field(default_factory=list)  # groups, window, in tokens
    wild: list[re.Pattern] = field(default_factory=list)
    praise: set[str] = field(default_factory=set)
    feedback_scope: bool = False


def _pattern(term: str) -> str:
    return ".{0,%d}" % WILDCARD_SPAN if term == "*" else ".{0,%d}".join(map(re.escape, term.split("*"))) % (
        (WILDCARD_SPAN,) * term.count("*")
    )


def example_failures(taxonomy: Taxonomy, matcher: RuleMatcher | None = None) -> list[tuple[str, str, str]]:
    """Taxonomy examples the rules get wrong.

    Returns:
        (category_id, example text, what went wrong) for each failing example;
        empty when every `match` example is an un-negated complaint of its category and no
        `no_match` example is.
    """
    matcher = matcher or RuleMatcher(taxonomy)
    failures = []
    for cid in taxonomy.leaf_ids:
        examples = taxonomy.categories[cid].examples
        for text, want in [(t, True) for t in examples.match] + [(t, False) for t in examples.no_match]:
            # An aspect hit counts whatever the negation (动力不足 still talks about 动力); an issue hit must not be denied.
            aspect = taxonomy.polarity_mode(cid) is PolarityMode.aspect
            got = any(h.category_id == cid and h.kind == "complaint" and (aspect or h.state is None)
                      for h in matcher.match(text))
            if got != want:
                failures.append((cid, text, "should match but does not" if want else "should not match but does"))
    return failures


class RuleMatcher:
    """Finds every leaf category's rule evidence in a clause, with negation state.

    Args:
        taxonomy: the loaded taxonomy; only leaf categories are matched.
    """

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self.rules_: dict[str, _Compiled] = {}
        literals: set[str] = set()
        wild_sources: list[str] = []  # every wildcard term and regex rule, for one pre-check per clause
        ex = taxonomy.expand
        for cid in taxonomy.leaf_ids:
            cat = taxonomy.categories[cid]
            c = _Compiled(all=[ex(t) for t in taxonomy.all_terms_of(cid)],
                          none=[s for t in taxonomy.none_terms(cid) for s in ex(t)],
                          feedback_scope=taxonomy.scope(cid) == Scope.feedback)
            for t in cat.rules.any:
                for term in ex(t):
                    if "*" in term:
                        c.wild.append(re.compile(_pattern(term), re.IGNORECASE))
                        wild_sources.append(_pattern(term))
                    else:
                        c.any.add(term)
            c.wild.extend(compile_rule_regex(p) for p in cat.rules.regex)
            wild_sources.extend(cat.rules.regex)
            for near in cat.rules.near:
                groups = [{s for x in ([i] if isinstance(i, str) else i) for s in ex(x)} for i in near.terms]
                c.near.append((groups, near.window, near.unit == Unit.tokens))
                for g in groups:
                    literals |= g
            c.praise = {s for t in cat.praise for s in ex(t)}
            literals |= c.any | c.praise
            self.rules_[cid] = c
        self.facets_ = None
        self._facet_terms: frozenset[str] = frozenset()
        if taxonomy.components and taxonomy.symptoms:
            from pipeline.classify.facets import FacetMatcher

            self.facets_ = FacetMatcher(taxonomy)
            # the same scan finds the facets' words: one pass over the text serves both lanes
            self._facet_terms = frozenset(self.facets_.roles_)
            literals |= self._facet_terms
        # One pass finds every occurrence of every literal term, overlapping ones too (Aho-Corasick: linear
        # in the text whatever the number of terms; 6x faster than a trie regex tried at every position).
        self._automaton = term_automaton(literals)
        self._term_cats: dict[str, set[str]] = {}
        for cid, c in self.rules_.items():
            terms = c.any | c.praise | {t for groups, _, _ in c.near for g in groups for t in g}
            for t in terms:
                self._term_cats.setdefault(t, set()).add(cid)
        self._wild_cats = [cid for cid, c in self.rules_.items() if c.wild]
        # A category with wildcards or regexes is tried on every clause; one linear-time pass over all of them
        # first tells whether any can match. Without it, such categories not otherwise named by a term of the
        # clause took half of the rules lane's time on real text. Too large a union falls back to trying each.
        try:
            self._wild_any = compile_rule_regex("|".join(f"(?:{p})" for p in wild_sources)) if wild_sources else None
        except RuleRegexError:
            self._wild_any = None

    def _find(self, text: str) -> dict[str, list[tuple[int, int]]]:
        """term -> spans (in order) of all literal term occurrences, also shorter terms inside longer ones."""
        return find_terms(self._automaton, text)

    def match(self, text: str, context: str | None = None) -> list[RuleHit]:
        """All leaf-category rule hits in one clause.

        Args:
            text: the clause.
            context: the whole feedback the clause came from; categories with `scope: feedback`
                check their `all` and `none` lanes there (default: the clause itself).
        """
        if not text:
            return []
        found = self._find(text)
        candidates: set[str] = set()
        for t in found:
            candidates |= self._term_cats.get(t, set())
        if self._wild_cats and (self._wild_any is None or self._wild_any.search(text)):
            candidates.update(self._wild_cats)
        lower = text.lower()
        wide = context.lower() if context else lower
        hits: list[RuleHit] = []
        for cid in sorted(candidates):
            c = self.rules_[cid]
            where = wide if c.feedback_scope else lower
            if any(n in where for n in c.none):
                continue
            evidence = self._complaint_evidence(c, found, text)
            if evidence is not None and all(any(a in where for a in alts) for alts in c.all):
                spans = sorted(s for _, s in evidence)
                terms = tuple(dict.fromkeys(t for t, _ in evidence))
                hits.append(RuleHit(cid, "complaint", terms, negation_state(text, spans)))
                continue
            praise = [(t, s) for t in sorted(c.praise) if t in found for s in found[t][:1]]
            if praise:
                state = negation_state(text, [praise[0][1]])
                if state is None:
                    hits.append(RuleHit(cid, "praise", tuple(t for t, _ in praise)))
        if self.facets_ is not None:
            hits.extend(self.facet_hits(text, lower, wide, hits, found=found))
        return hits

    def facet_hits(self, text: str, lower: str, wide: str, rule_hits: list[RuleHit],
                   trace: list | None = None, found: dict | None = None) -> list[RuleHit]:
        """Composed-category hits the rules did not already give (a category's `none` still applies)."""
        have = {h.category_id for h in rule_hits if h.kind == "complaint"}
        out = []
        for f in self.facets_.match(text, trace, found=found):
            if f.category_id in have:
                continue
            c = self.rules_.get(f.category_id)
            if c is not None:
                where = wide if c.feedback_scope else lower
                blocked = [n for n in c.none if n in where]
                if blocked:
                    if trace is not None:
                        trace.append((f.category_id, f"excluded by `none` term {blocked[0]}"))
                    continue
            out.append(RuleHit(f.category_id, "complaint", f.terms, f.state, method="facet"))
        return out

    @staticmethod
    def _complaint_evidence(c: _Compiled, found, text) -> list[tuple[str, tuple[int, int]]] | None:
        # Sets iterate in a per-process hash order; sorting makes the evidence (and so the negation
        # scope and matched terms) the same in every process: the longest term first, the most specific.
        present = [t for t in found if t in c.any]
        if present:
            t = min(present, key=lambda t: (-len(t), t))
            return [(t, found[t][0])]
        for pat in c.wild:
            m = pat.search(text)
            if m:
                return [(m.group(0), m.span())]
        for groups, window, in_tokens in c.near:
            # the clause's few found terms against each group (not each group's many terms against them),
            # stopping at the first group with none
            per_group = []
            for g in groups:
                hits = [(t, s) for t in sorted(t for t in found if t in g) for s in found[t]]
                if not hits:
                    break
                per_group.append(hits)
            if len(per_group) < len(groups):
                continue
            pos = _token_positions(text) if in_tokens else None
            for combo in product(*per_group):
                spans = sorted(s for _, s in combo)
                if len({s for s in spans}) < len(spans):
                    continue  # one occurrence cannot serve two groups
                if pos is not None:  # gap = whole tokens strictly between the two terms
                    gaps = [pos[spans[i + 1][0]] - pos[spans[i][1] - 1] - 1 for i in range(len(spans) - 1)]
                else:
                    gaps = [spans[i + 1][0] - spans[i][1] for i in range(len(spans) - 1)]
                if all(g <= window for g in gaps):
                    return list(combo)
        if not c.any and not c.near and not c.wild and c.all:
            return []
        return None


def _token_positions(text: str) -> list[int]:
    """Index of the jieba token each character belongs to (jieba's default dictionary, cut by jieba-rs)."""
    import rjieba

    pos = [0] * len(text)
    for k, (_, start, end) in enumerate(rjieba.tokenize(text)):
        for i in range(start, end):
            pos[i] = k
    return pos
