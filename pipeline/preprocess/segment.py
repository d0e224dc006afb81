"""Chinese word segmentation with a domain dictionary, and topic-model tokens without car names."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from enum import Enum
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

_RES = resources.files("pipeline.resources")
_KEEP_SINGLE = set("卡响慢贵吵漏抖晃冷热臭偏")  # one-character words that carry an issue
_JUNK = re.compile(r"^[\W\d_]+$|^[a-zA-Z]$")
# Placeholders that PII masking leaves in text ([手机号], [VIN], ...): never topic words.
_PII_WORDS = {"手机号", "座机", "身份证", "VIN", "车牌", "邮箱"}


@lru_cache(maxsize=1)
def vehicle_names() -> dict[str, str]:
    """Brand and model names (and aliases) -> brand, from resources/vehicles.yaml."""
    spec = yaml.safe_load(_RES.joinpath("vehicles.yaml").read_text(encoding="utf-8"))
    names: dict[str, str] = {}
    for brand, models in spec["brands"].items():
        names[brand] = brand
        for m in models:
            names[m] = brand
    for alias, model in spec.get("aliases", {}).items():
        names[alias] = names[model]
    return names


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """spaCy's Chinese stop words plus car-feedback words that say nothing about the issue."""
    STOP_WORDS = _spacy_zh_stop_words()
    domain = [
        w.strip()
        for w in _RES.joinpath("stopwords_domain.txt").read_text(encoding="utf-8").splitlines()
        if w.strip() and not w.startswith("#")
    ]
    return frozenset(STOP_WORDS) | frozenset(domain)


def _spacy_zh_stop_words() -> set[str]:
    """spaCy's `spacy/lang/zh/stop_words.py`, executed on its own: importing it through the package
    imports spaCy, thinc and torch (3 s of every run's start-up) for one set of strings."""
    import importlib.util

    spec = importlib.util.find_spec("spacy")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("spaCy is not installed (its Chinese stop-word list is used): pip install spacy")
    path = Path(spec.submodule_search_locations[0]) / "lang" / "zh" / "stop_words.py"
    namespace: dict = {}
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)  # a literal set, nothing imported
    return namespace["STOP_WORDS"]


class SegmenterBackend(str, Enum):
    """How text is cut. All three use jieba's dictionary plus ours, and its algorithm (a maximum-probability
    route through the dictionary, unknown runs cut by its HMM):

    - `jieba-rs`: jieba-rs, the compiled port (rjieba), about 13x faster than `jieba`; the default. On
      10,941 distinct real texts (CCF forum comments and complaint titles) its tokens equal jieba's in
      93% of texts; nearly all differences keep a number with its unit or range whole (`13.6L`, `5-6`),
      30 texts (0.3%) cut an unknown Chinese run differently (`实在太` / `实在` `太`).
    - `jieba`: the Python reference implementation.
    - `spacy`: spaCy Docs over the Python jieba with our dictionary (same tokens as `jieba`).
    """

    jieba_rs = "jieba-rs"
    jieba = "jieba"
    spacy = "spacy"


def user_dict_words(text: str, where: str = "automotive_lexicon.txt") -> list[tuple[str, int | None, str | None]]:
    """Lines of a jieba user dictionary ("word [freq] [tag]"), read as jieba's `load_userdict` reads them."""
    words = []
    for n, line in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        word, rest = parts[0], parts[1:]
        freq = int(rest.pop(0)) if rest and rest[0].isdigit() else None
        tag = rest.pop(0) if rest else None
        if rest:
            raise ValueError(f"{where} line {n}: expected `word [freq] [tag]`, got {line.strip()!r}")
        words.append((word, freq, tag))
    return words


class Segmenter:
    """jieba segmentation that keeps taxonomy terms, automotive words and car names whole.

    Args:
        terms: extra words to keep whole (typically `Taxonomy.all_terms()`).
        user_dict: optional extra jieba user dictionary file ("word [freq] [tag]" per line).
        backend: "jieba-rs" (compiled, fastest), "jieba" (Python) or "spacy" (spaCy Docs over Python jieba,
            batched with nlp.pipe; same tokens as "jieba"). See `SegmenterBackend`.
    """

    def __init__(
        self,
        terms: Iterable[str] = (),
        user_dict: str | Path | None = None,
        backend: SegmenterBackend | str = SegmenterBackend.jieba_rs,
    ) -> None:
        self.terms = sorted(set(terms))
        self.user_dict = user_dict
        self.backend = SegmenterBackend(backend)
        self.tokenizer_ = None
        self.nlp_ = None

    def _words(self) -> list[tuple[str, int | None, str | None]]:
        """Every word added to jieba's dictionary, in order: (word, frequency or None, tag or None)."""
        words = user_dict_words(_RES.joinpath("automotive_lexicon.txt").read_text(encoding="utf-8"))
        if self.user_dict:
            path = Path(self.user_dict)
            if not path.is_file():
                raise FileNotFoundError(f"jieba user dictionary '{path}' does not exist")
            words += user_dict_words(path.read_text(encoding="utf-8"), where=str(path))
        words += [(name, 2000, "nz") for name in vehicle_names() if " " not in name]
        words += [(term, 1000, None) for term in self.terms if len(term) > 1 and " " not in term]
        return words

    def _load(self):
        if self.backend is SegmenterBackend.jieba_rs:
            import rjieba

            tok = rjieba.Jieba()
            for word, freq, tag in self._words():
                tok.add_word(word, freq, tag)
            self.tokenizer_ = tok
            self._set_car_tokens()
            return tok
        import jieba

        jieba.setLogLevel(60)  # its start-up chatter is not ours to print
        tok = jieba.Tokenizer()
        tok.initialize()
        for word, freq, tag in self._words():
            tok.add_word(word, freq=freq, tag=tag)
        self.tokenizer_ = tok
        if self.backend is SegmenterBackend.spacy:
            import spacy

            self.nlp_ = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
            # spaCy cuts with whatever `jieba_seg` is: give it our dictionary, not the global jieba.
            self.nlp_.tokenizer.jieba_seg = tok
        self._set_car_tokens()
        return tok

    def _set_car_tokens(self) -> None:
        self._car_tokens = {n.lower() for n in vehicle_names()} | {
            part.lower() for n in vehicle_names() for part in n.split()
        }

    def cut(self, text: str) -> list[str]:
        """Tokens of one text, whitespace dropped."""
        return self.cut_many([text])[0]

    def cut_many(self, texts: Sequence[str], batch_size: int = 1000) -> list[list[str]]:
        """Tokens of many texts, whitespace dropped."""
        tok = self.tokenizer_ or self._load()
        if self.nlp_ is not None:
            return [[t.text for t in doc if t.text.strip()] for doc in self.nlp_.pipe(texts, batch_size=batch_size)]
        return [[w for w in tok.cut(t) if w.strip()] for t in texts]  # same call on both jieba engines

    def topic_tokens(self, tokens: Sequence[str]) -> list[str]:
        """Tokens fit for topic keywords: no stop words, punctuation, numbers or car/brand names."""
        if self.tokenizer_ is None:
            self._load()
        stop = stopwords()
        out = []
        for w in tokens:
            lw = w.lower()
            if lw in self._car_tokens or w in stop or w in _PII_WORDS or _JUNK.match(w):
                continue
            if len(w) == 1 and w not in _KEEP_SINGLE:
                continue
            out.append(w)
        return out
