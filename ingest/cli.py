"""`ai-strategy ingest` and `ai-strategy search` (also `python -m ingest`).

Exit status of `ingest`: 0 every document is in the index; 3 the index was updated but some
files were skipped (each named in a warning); 1 the ingest failed and the previous index is
unchanged; 2 a usage error.
"""

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress

from ingest.logs import LogFormat, LogSettings
from ingest.logs import configure_logging as configure
from ingest.settings import IndexSettings

EXIT_FAILED = 1
EXIT_SKIPPED = 3

stderr = Console(stderr=True)

KnowledgeDir = Annotated[
    Path | None,
    typer.Option("--knowledge-dir", help="Folder of documents (env AI_STRATEGY_KNOWLEDGE_DIR)."),
]
DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Folder of the index and state (env AI_STRATEGY_DATA_DIR)."),
]


def settings_with(settings_class, knowledge_dir: Path | None, data_dir: Path | None):
    """Settings from the environment, with the command-line folders taking precedence."""
    overrides = {"knowledge_dir": knowledge_dir, "data_dir": data_dir}
    return settings_class(**{key: value for key, value in overrides.items() if value is not None})


def configure_logging(
    verbose: bool = False, *, log_format: LogFormat | None = None, secrets: Iterable[str] = ()
) -> None:
    """Text or JSON lines on stderr (`AI_STRATEGY_LOG_FORMAT` unless given), secrets redacted."""
    configure(verbose, log_format=log_format or LogSettings().log_format, secrets=secrets)


class _BarProgress:
    """The pipeline's progress as a rich bar on a terminal; silent otherwise."""

    def __init__(self, bar: RichProgress) -> None:
        self.bar = bar
        self.task = None

    def start(self, description: str, total: int) -> None:
        if self.task is not None:
            self.bar.remove_task(self.task)
        self.task = self.bar.add_task(description, total=total)

    def advance(self, amount: int = 1) -> None:
        self.bar.advance(self.task, amount)


def ingest(
    knowledge_dir: KnowledgeDir = None,
    data_dir: DataDir = None,
    rebuild: Annotated[bool, typer.Option(help="Re-embed every document, starting over.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would change; write nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Index the documents of the knowledge folder (only what changed since the last run)."""
    from ingest.pipeline import run_ingest
    from ingest.store import IndexBusyError

    settings = settings_with(IndexSettings, knowledge_dir, data_dir)
    token = settings.chroma_auth_token
    configure_logging(secrets=[token.get_secret_value()] if token else [])
    bar = RichProgress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
        disable=not stderr.is_terminal,
    )
    try:
        with bar:
            summary = run_ingest(
                settings, rebuild=rebuild, dry_run=dry_run, progress=_BarProgress(bar)
            )
    except (IndexBusyError, FileNotFoundError, OSError, RuntimeError) as error:
        stderr.print(f"[red]ingest failed:[/red] {error}\nThe previous index is unchanged.")
        raise typer.Exit(EXIT_FAILED) from None
    if as_json:
        print(json.dumps(summary.model_dump(mode="json")))
    else:
        verb = "Would change" if dry_run else "Indexed"
        print(
            f"{verb}: {summary.added} added, {summary.updated} updated, {summary.deleted} deleted, "
            f"{summary.unchanged} unchanged, {summary.skipped} skipped; "
            f"{summary.chunks} chunks ({summary.embedded} embedded) in {summary.seconds:.1f} s"
            + (" [rebuilt]" if summary.rebuilt else "")
        )
        if dry_run:
            for change, docs in summary.changes.items():
                for doc in docs:
                    print(f"  {change}: {doc}")
    if summary.skipped:
        raise typer.Exit(EXIT_SKIPPED)


def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="How many chunks.")] = 5,
    knowledge_dir: KnowledgeDir = None,
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
) -> None:
    """Show the chunks of the index closest to a query (for checking retrieval)."""
    from ingest.index import IndexMismatchError, KnowledgeIndex
    from ingest.store import IndexNotBuiltError

    settings = settings_with(IndexSettings, knowledge_dir, data_dir)
    index = KnowledgeIndex(settings)
    try:
        hits = index.search(query, k)
    except (IndexNotBuiltError, IndexMismatchError) as error:
        stderr.print(f"[red]{error}[/red]")
        raise typer.Exit(EXIT_FAILED) from None
    finally:
        index.close()
    if as_json:
        fields = ("doc", "title", "section", "text", "score")
        print(json.dumps([hit.model_dump(include=set(fields)) for hit in hits], ensure_ascii=False))
        return
    for rank, hit in enumerate(hits, 1):
        where = f"{hit.title} > {hit.section}" if hit.section else hit.title
        print(f"{rank}. [{hit.score:.3f}] {hit.doc} — {where}")
        print("   " + hit.text.replace("\n", "\n   "))


def export_model(
    quantized: Annotated[
        bool | None,
        typer.Option(
            "--quantized/--fp32", help="int8 or fp32 [default: AI_STRATEGY_EMBEDDING_QUANTIZED]."
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Export again even if a current export exists.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Export the embedding model to ONNX (once; `ask`, `search` and `serve` then run without torch)."""
    from ingest.embedding import resolve_model_path
    from ingest.onnx_export import (
        ExportManifest,
        ModelExportError,
        ModelIntegrityError,
        ensure_exported,
        verified_model,
    )

    settings = settings_with(IndexSettings, None, data_dir)
    configure_logging()
    variant = settings.embedding_quantized if quantized is None else quantized
    model_path = resolve_model_path(settings.embedding_model)

    def export(again: bool) -> Path:
        return ensure_exported(
            model_path,
            settings.models_dir,
            model=settings.embedding_model,
            quantized=variant,
            force=again,
        )

    try:
        with stderr.status("Exporting the embedding model to ONNX and checking it against torch…"):
            folder = export(force)
            try:
                verified_model(folder, ExportManifest.read(folder), always=True)
            except ModelIntegrityError as error:
                stderr.print(f"{error}: exporting it again")
                folder = export(True)
    except (ModelExportError, OSError, RuntimeError) as error:
        stderr.print(f"[red]model export failed:[/red] {error}")
        raise typer.Exit(EXIT_FAILED) from None
    manifest = ExportManifest.read(folder)
    print(
        f"{manifest.model} ({manifest.variant}): {folder / 'model.onnx'}\n"
        f"sha256 {manifest.sha256}, cosine to torch >= {manifest.min_cosine:.4f}"
    )


def register(app: typer.Typer) -> None:
    """Add the index commands to a typer application."""
    app.command()(ingest)
    app.command()(search)
    model = typer.Typer(help="The embedding model: export it to ONNX.", no_args_is_help=True)
    model.command("export")(export_model)
    app.add_typer(model, name="model")


def main() -> None:
    """`python -m ingest`: the index commands on their own."""
    app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False)
    register(app)
    app(prog_name=f"{Path(sys.executable).name} -m ingest")
