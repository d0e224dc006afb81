"""Red-line (P0) detector benchmark: recall per failure mode, false alarms, and the speed of a 500-row scan.

Usage: .venv/bin/python benchmarks/bench_redline.py [--dev DEV] [--phrasings YAML ...] [--taxonomy YAML]
       [--timing-rows 500] [--repeats 3] [--show-holdout]

  --dev DEV        real complaint titles: complaints_dev.csv or its folder (columns title, is_p0, code_names).
                   A title is red-line when is_p0 is 1; its failure modes come from its P0 problem codes
                   (熄火 -> stall, 动力消失 -> power_loss, 刹车失灵/刹车鼓爆裂 -> brake, 转向失灵 -> steering,
                   车辆自燃 -> fire, 气囊未弹开 -> airbag). Never commit that data; pass its path.
  --phrasings      YAML files of `positives: [{text, mode}]` and `lookalikes: [{text, kind}]`; default the
                   holdout set benchmarks/redline_holdout_2.yaml (kept out of tests and of taxonomy tuning).
  --taxonomy       the taxonomy file; default the red-line flow's default (flows/redline.py).

Detection is the red-line flow's own step (flows/redline.py `detect`: rule scan of the clauses, then P0
alerts, no vehicle de-duplication since every row is its own feedback). A red-line row is caught when it
raises any P0 alert (the category may differ from its mode); any other row that raises one is a false alarm.
Printed: recall overall and per failure mode, false alarms (count and %), per look-alike kind, the misses
and the false alarms with the category and terms that fired (of the dev titles only those of half "a", the
half bench_complaints.py lets you read; of a file named *holdout* none unless --show-holdout); then the time of the detection step on
`--timing-rows` distinct texts (built from the loaded texts, numbered to keep them distinct), the taxonomy
load and classifier set-up included, as the flow pays them on every run. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import yaml

from harness import REPO, half_a  # noqa: E402  (puts the repository on sys.path)

from flows.redline import RedlineParams, detect  # noqa: E402
from pipeline.alerts.detect import ALERT_COLUMNS  # noqa: E402
from pipeline.taxonomy import load_taxonomy  # noqa: E402

# Problem codes of the complaint site that are red-line, and the failure mode each one names.
DEV_MODES = {"熄火": "stall", "动力消失": "power_loss", "刹车失灵": "brake", "刹车鼓爆裂": "brake",
             "转向失灵": "steering", "车辆自燃": "fire", "气囊未弹开": "airbag"}


def red_line_hits(texts: list[str], taxonomy) -> dict[int, str]:
    """Index of each text that raises a red-line alert -> `category:terms` of its alerts."""
    fb = pd.DataFrame({
        "feedback_id": [f"row-{i}" for i in range(len(texts))], "channel": "bench",
        "created_at": pd.Timestamp("2026-12-01 08:00"), "text": list(texts), "vehicle_id": pd.NA,
    })
    alerts, duplicates = detect.fn(fb, taxonomy, pd.DataFrame(columns=ALERT_COLUMNS), 7)
    why: dict[str, list[str]] = {}
    for f, c, t in zip(alerts["feedback_id"], alerts["category_id"], alerts["matched_terms"]):
        why.setdefault(f, []).append(f"{c}:{t}")
    for f, c in zip(duplicates["feedback_id"], duplicates["category_id"]):
        why.setdefault(f, []).append(c)
    return {int(f.split("-")[1]): "; ".join(v) for f, v in why.items()}


def read_dev(path: Path) -> tuple[list[str], list[list[str]]]:
    """Titles and, per title, its red-line failure modes ([] for a title that is not red-line)."""
    f = path / "complaints_dev.csv" if path.is_dir() else path
    df = pd.read_csv(f, dtype=str, keep_default_na=False)
    modes = []
    for p0, names in zip(df["is_p0"], df["code_names"]):
        m = sorted({DEV_MODES[n.split(":", 1)[-1]] for n in names.split("|") if n.split(":", 1)[-1] in DEV_MODES})
        if p0.strip() == "1" and not m:
            m = ["unknown"]
        modes.append(m if p0.strip() == "1" else [])
    return df["title"].tolist(), modes


def read_phrasings(path: Path) -> tuple[list[str], list[list[str]], list[str]]:
    """Texts, their modes ([] for a look-alike) and their look-alike kinds ('' for a positive)."""
    d = yaml.safe_load(path.read_text(encoding="utf-8"))
    pos, neg = d.get("positives", []), d.get("lookalikes", [])
    return ([c["text"] for c in pos] + [c["text"] for c in neg], [[c["mode"]] for c in pos] + [[] for _ in neg],
            [""] * len(pos) + [c.get("kind", "") for c in neg])


def report(name: str, texts: list[str], modes: list[list[str]], kinds: list[str] | None, taxonomy,
           readable: list[bool] | None = None) -> dict:
    """Figures on every row; the texts of misses and false alarms only of `readable` rows (all by default)."""
    hits = red_line_hits(texts, taxonomy)
    readable = readable or [True] * len(texts)
    pos = [i for i, m in enumerate(modes) if m]
    neg = [i for i, m in enumerate(modes) if not m]
    caught = [i for i in pos if i in hits]
    alarms = [i for i in neg if i in hits]
    print(f"\n=== {name}: {len(texts)} rows, {len(pos)} red-line, {len(neg)} other")
    print(f"recall {len(caught)}/{len(pos)} = {len(caught) / max(len(pos), 1):.3f}")
    total = Counter(m for i in pos for m in modes[i])
    got = Counter(m for i in caught for m in modes[i])
    for m in sorted(total, key=lambda m: (-total[m], m)):
        print(f"  {m:<24} {got[m]:>3}/{total[m]:<3} {got[m] / total[m]:.2f}")
    print(f"false alarms {len(alarms)}/{len(neg)} = {100 * len(alarms) / max(len(neg), 1):.1f}%")
    if kinds is not None and alarms:
        k_total, k_bad = Counter(kinds[i] for i in neg), Counter(kinds[i] for i in alarms)
        print("  by kind: " + ", ".join(f"{k} {k_bad[k]}/{k_total[k]}" for k in sorted(k_total) if k_bad[k]))
    held = "" if all(readable) else "; texts held out" if not any(readable) else "; texts of half a only"
    print(f"misses ({len(pos) - len(caught)}{held}):")
    for i in pos:
        if i not in hits and readable[i]:
            print(f"  [{','.join(modes[i])}] {texts[i]}")
    print(f"false alarms ({len(alarms)}{held}):")
    for i in alarms:
        if readable[i]:
            print(f"  [{kinds[i] if kinds else '-'}] {texts[i]}   <- {hits[i]}")
    return {"recall": len(caught) / max(len(pos), 1), "false_alarm_rate": len(alarms) / max(len(neg), 1)}


def timing(taxonomy_path: Path, pool: list[str], rows: int, repeats: int) -> None:
    texts = [f"{pool[i % len(pool)]} {i // len(pool) + 1}" if i >= len(pool) else pool[i] for i in range(rows)]
    seconds = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        red_line_hits(texts, load_taxonomy(taxonomy_path))
        seconds.append(time.perf_counter() - t0)
    print(f"\n=== timing: detection step (taxonomy load + rules lane + alerts) on {rows} distinct rows")
    print(f"runs {', '.join(f'{s:.2f}' for s in seconds)} s; median {statistics.median(seconds):.2f} s "
          f"({rows / statistics.median(seconds):,.0f} rows/s)")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dev", type=Path, help="complaints_dev.csv or its folder")
    ap.add_argument("--phrasings", type=Path, nargs="*", default=[REPO / "benchmarks/redline_holdout_2.yaml"])
    ap.add_argument("--taxonomy", type=Path, default=RedlineParams().inputs.taxonomy)
    ap.add_argument("--timing-rows", type=int, default=500, help="rows in the timed scan; 0 skips timing")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--show-holdout", action="store_true",
                    help="print the texts a holdout set misses or raises (it stops being a holdout once read)")
    args = ap.parse_args(argv)

    taxonomy = load_taxonomy(args.taxonomy)
    print(f"taxonomy {args.taxonomy} (version {taxonomy.version})")
    pool: list[str] = []
    if args.dev:
        texts, modes = read_dev(args.dev)
        report(f"dev titles {args.dev.name}", texts, modes, None, taxonomy, readable=half_a(len(texts)))
        pool += texts
    seen: dict[str, Path] = {}
    for p in args.phrasings or []:
        texts, modes, kinds = read_phrasings(p)
        shared = sorted({t for t in texts if t in seen})
        if shared:
            print(f"WARNING: {len(shared)} texts of {p} are also in another set: {shared[:5]}")
        seen.update({t: p for t in texts})
        hidden = "holdout" in p.name and not args.show_holdout
        report(f"phrasings {p.name}", texts, modes, kinds, taxonomy, readable=[not hidden] * len(texts))
        pool += texts
    if args.timing_rows and pool:
        timing(args.taxonomy, pool, args.timing_rows, args.repeats)


if __name__ == "__main__":
    main()
