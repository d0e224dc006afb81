"""The facet lane: a component named near a symptom in a clause makes a composed category.

    "变速箱有异响"            -> 变速器 x 异响       -> product.gearbox.noise
    "方向盘 刹车 油门全部失灵"  -> three components sharing one predicate (a list), three pairs
    "轮胎开裂"                -> 轮胎 x 开裂 (not paint), "排气管冒黑烟" -> exhaust smoke (not fire)

One scan finds component terms, symptom terms and guard phrases (a symptom's `none`: 冒烟般, 熄火后);
at each position the longest wins, so a guard phrase hides the term inside it. Each symptom takes the
nearest component before it (within the taxonomy's `facet_window`), plus the components listed with that
one (separated only by spaces, 、, 和, 及 ...); else one right after it; else its `default_component`.
A symptom word that names its part (电瓶亏电) counts as that part for the symptoms after it.
The symptom's domain guard decides whether the pair composes; a refused pair falls back to the default
component. Negation is judged over the span from component to symptom.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import ahocorasick

from pipeline.classify.negation import negation_state
from pipeline.taxonomy import Taxonomy

# Between two list items: at least one separator (a bare compound such as 新车底盘 is not a list).
_LIST_GAP = re.compile(r"^(?:[\s、/&+和与及跟或]|以及|还有|包括)+$")
FORWARD_WINDOW = 4
VAGUE = "vehicle"  # the whole-vehicle component: never the location when a system is named  # a symptom before its component: 异响来自变速箱, 抖动的方向盘
# A wheel position (前轮, 左后轮) right in front of another system's part says where that part is: 后轮轴承 is the
# bearing (suspension), 前轮刹车片 the brake pads, not the wheel or the tyre.
POSITION = ("tyre", "wheel")


def term_automaton(terms) -> ahocorasick.Automaton:
    """An Aho-Corasick automaton over lower-cased terms: one pass over a text finds every occurrence of every
    term, overlapping ones included, in time linear in the text whatever the number of terms."""
    automaton = ahocorasick.Automaton()
    for t in terms:
        automaton.add_word(t.lower(), t.lower())
    if len(automaton):
        automaton.make_automaton()
    return automaton


def find_terms(automaton: ahocorasick.Automaton, text: str) -> dict[str, list[tuple[int, int]]]:
    """term -> (start, end) of each of its occurrences in `text`, in order."""
    found: dict[str, list[tuple[int, int]]] = {}
    if automaton.kind == ahocorasick.AHOCORASICK:
        for end, t in automaton.iter(text.lower()):
            found.setdefault(t, []).append((end + 1 - len(t), end + 1))
    return found


@dataclass(frozen=True)
class _Tok:
    start: int
    end: int
    kind: str  # "component" | "symptom" | "guard" | "implied" (a symptom word's own component)
    ref: tuple  # component: (system, part | None); symptom: (symptom id,)
    term: str


@dataclass(frozen=True)
class FacetHit:
    category_id: str
    terms: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]
    state: str | None


class FacetMatcher:
    """Finds composed (component, symptom) categories in clauses.

    Args:
        taxonomy: a taxonomy with `components` and `symptoms`.
    """

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self.window = taxonomy.spec.facet_window
        roles: dict[str, tuple[str, tuple]] = {}
        # Symptoms before components: a word that is both (油耗) states what goes wrong.
        for yid, sym in taxonomy.symptoms.items():
            for t in sym.terms:
                for x in taxonomy.expand(t):
                    roles.setdefault(x, ("symptom", (yid,)))
        for sid, comp in taxonomy.components.items():
            for t in comp.terms:
                for x in taxonomy.expand(t):
                    roles.setdefault(x, ("component", (sid, None)))
            for pid, part in comp.parts.items():
                for t in part.terms:
                    for x in taxonomy.expand(t):
                        roles.setdefault(x, ("component", (sid, pid)))
        # Guard phrases last: a phrase that is also a term (烧机油 guards 烧 of fire, and is a symptom) stays a term.
        for yid, sym in taxonomy.symptoms.items():
            for g in sym.none:
                roles.setdefault(g.lower(), ("guard", ()))
        for sid, comp in taxonomy.components.items():
            for g in comp.none:
                roles.setdefault(g.lower(), ("guard", ()))
        self.roles_ = roles
        # A symptom word that names its component (电瓶亏电, 方向跑偏, 油门迟滞) locates itself.
        comp_terms = sorted(((t, r[1]) for t, r in roles.items() if r[0] == "component"), key=lambda x: -len(x[0]))
        self.implied_: dict[str, tuple] = {}
        for t, (kind, _) in roles.items():
            if kind == "symptom":
                for ct, ref in comp_terms:
                    if ct in t:
                        self.implied_[t] = ref
                        break
        self._automaton = term_automaton(roles)

    def tokens(self, text: str, found: dict | None = None) -> list[_Tok]:
        """Component, symptom and guard words of a text, leftmost-longest without overlaps.

        Args:
            found: optional term -> spans from the RuleMatcher's scan (which includes these words, every
                occurrence); saves a second pass over the text.
        """
        if found is None:
            found = find_terms(self._automaton, text)
        best: dict[int, int] = {}
        for t, spans in found.items():
            if t in self.roles_:
                for s0, e0 in spans:
                    if e0 > best.get(s0, -1):
                        best[s0] = e0
        out, pos = [], 0
        for s0 in sorted(best):
            if s0 < pos:
                continue
            e0 = best[s0]
            kind, ref = self.roles_[text[s0:e0].lower()]
            out.append(_Tok(s0, e0, kind, ref, text[s0:e0]))
            pos = e0
        return out

    def match(self, text: str, trace: list | None = None, found: dict | None = None) -> list[FacetHit]:
        """Composed categories in one clause, with their evidence and negation state.

        Args:
            text: the clause.
            trace: when a list, receives (what, reason) for every pair a guard refused.
            found: the RuleMatcher's scan of the same text (see `tokens`).
        """
        toks = [t for t in self.tokens(text, found) if t.kind != "guard"]
        syms = [t for t in toks if t.kind == "symptom"]
        # A symptom word that names its component (电瓶亏电) also locates the symptoms after it:
        # 电瓶亏电后打不着车 is the battery's no-start, not the engine's or the whole vehicle's.
        comps = sorted([t for t in toks if t.kind == "component"]
                       + [_Tok(y.start, y.end, "implied", ref, y.term) for y in syms
                          if (ref := self.implied_.get(y.term.lower())) is not None],
                       key=lambda t: t.start)
        if not syms:
            return []
        tax = self.taxonomy
        pairs: list[tuple[_Tok | None, _Tok]] = []
        for y in syms:
            implied = self.implied_.get(y.term.lower())
            if implied is not None:
                pairs.append((_Tok(y.start, y.end, "component", implied, y.term), y))
                continue
            before = [c for c in comps if c.end <= y.start and y.start - c.end <= self.window]
            chosen: list[_Tok] = []
            if before:
                near = before[-1]
                chosen.append(near)
                k = comps.index(near)
                while k > 0 and "implied" not in (comps[k - 1].kind, comps[k].kind):  # a symptom word is no list item
                    gap = text[comps[k - 1].end:comps[k].start]
                    # a list (方向盘 刹车 油门) shares the symptom; so does a compound (电子助力转向), except
                    # for a vague whole-vehicle word in front of it (新车底盘 is the chassis) and a wheel position
                    # in front of another system's part (后轮轴承 is the bearing)
                    compound = gap == ""
                    if not (_LIST_GAP.match(gap) or compound):
                        break
                    k -= 1
                    where = comps[k].ref[0] == VAGUE or (comps[k].ref == POSITION and comps[k + 1].ref[0] != POSITION[0])
                    if not (compound and where):
                        chosen.append(comps[k])
            else:
                after = [c for c in comps if c.kind == "component" and c.start >= y.end and c.start - y.end <= FORWARD_WINDOW]
                if after:
                    chosen.append(after[0])
            pairs.extend((c, y) for c in chosen)
            if not chosen:
                pairs.append((None, y))
        # A vague symptom (故障, 问题) only counts where its component has no other symptom here.
        specific = {c.ref[0] for c, y in pairs if c is not None and not tax.symptoms[y.ref[0]].fallback}
        hits: dict[str, FacetHit] = {}
        for c, y in pairs:
            yid = y.ref[0]
            sym = tax.symptoms[yid]
            if sym.fallback and (c is None or c.ref[0] in specific):
                continue
            cid, spans, terms = None, (), ()
            if c is not None:
                cid, why = tax.route(c.ref[0], c.ref[1], yid)
                spans, terms = ((c.start, c.end), (y.start, y.end)), (c.term, y.term)
                if cid is None and trace is not None:
                    trace.append((f"{c.term} × {y.term}", why))
            if cid is None and sym.default_component is not None:
                cid, why = tax.route(sym.default_component, None, yid)
                spans, terms = ((y.start, y.end),), (y.term,)
                if cid is None and trace is not None:
                    trace.append((f"{sym.default_component} × {y.term}", why))
            if cid is None:
                continue
            spans = tuple(sorted(spans))
            state = negation_state(text, list(spans))
            old = hits.get(cid)
            if old is None or (old.state is not None and state is None):
                hits[cid] = FacetHit(cid, terms, spans, state)
        return list(hits.values())
