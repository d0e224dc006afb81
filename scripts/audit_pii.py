"""Print how many planted personal-data strings survive masking, by kind and form, and the over-masking rate.

    python scripts/audit_pii.py            # the table
    python scripts/audit_pii.py --failures # also every survivor and every over-masked look-alike
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.ingest.pii import mask_pii  # noqa: E402
from pipeline.preprocess.clauses import to_clauses  # noqa: E402
from tests.hostile.pii_corpus import lookalikes, planted, survives  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--failures", action="store_true")
    args = ap.parse_args()
    import pandas as pd

    items = planted()
    masked = [mask_pii(p.text) for p in items]
    _, clauses = to_clauses(pd.DataFrame({"feedback_id": [str(i) for i in range(len(items))], "text": masked}))
    joined = clauses.groupby("feedback_id")["clause"].agg("，".join)
    by: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    failures = []
    for i, (p, m) in enumerate(zip(items, masked)):
        row = by[(p.kind, p.form)]
        row[0] += 1
        row[1] += survives(p, m)
        row[2] += survives(p, joined[str(i)])
        if survives(p, m) or survives(p, joined[str(i)]):
            failures.append((p.kind, p.form, p.text, m, joined[str(i)]))
    print(f"{'kind':<10} {'form':<26} {'n':>3} {'survive(text)':>14} {'survive(clauses)':>17}")
    for (kind, form), (n, s_text, s_cl) in by.items():
        print(f"{kind:<10} {form:<26} {n:>3} {s_text:>14} {s_cl:>17}")
    total = len(items)
    surv = sum(1 for f in failures)
    print(f"planted {total}, survived {surv} ({100 * surv / total:.1f}%)")
    kept = lookalikes()
    over = [(t, mask_pii(t)) for t in kept if mask_pii(t) != t]
    print(f"look-alikes {len(kept)}, over-masked {len(over)} ({100 * len(over) / len(kept):.1f}%)")
    if args.failures:
        for f in failures:
            print("SURVIVED", *f, sep=" | ")
        for t, m in over:
            print("OVER-MASKED", t, m, sep=" | ")


if __name__ == "__main__":
    main()
