"""`ai-strategy ingest`, `add`, `remove` and `search` (also `python -m ingest`).

Exit status of `ingest`, `add` and `remove`: 0 every document is in the index; 3 the index was
updated but some files were skipped (each named in a warning); 4 the quality gate kept the new
version aside (the previous index still answers; `--force` switches anyway); 1 the command
failed and the previous index is unchanged (for `add`: nothing was written); 2 a usage error.

The bot adds what ingest cannot know (ingest never imports the bot): the quality checks, which
need the answer engine, and the SQL history of adds and removes. `register(app, hooks=...)`
receives them; `python -m ingest` runs without.
"""

import getpass
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress

from common.logs import configure_logging
from common.options import DataDir, KnowledgeDir, settings_with
from ingest.settings import IndexSettings

if TYPE_CHECKING:
    from ingest.knowledge_files import KnowledgeChange
    from ingest.outcomes import IngestSummary
    from ingest.quality_gate import CheckRunner

EXIT_FAILED = 1
EXIT_SKIPPED = 3
EXIT_REFUSED = 4
HISTORY_LINES = 50

stderr = Console(stderr=True)


class _BarProgress:
    """The pipeline's progress as a rich bar on a terminal; silent otherwise."""

    def __init__(self, bar: RichProgress) -> None:
        self.bar = bar
        self.task: TaskID | None = None

    def start(self, description: str, total: int) -> None:
        if self.task is not None:
            self.bar.remove_task(self.task)
        self.task = self.bar.add_task(description, total=total)

    def advance(self, amount: int = 1) -> None:
        if self.task is not None:
            self.bar.advance(self.task, amount)


@dataclass(frozen=True)
class CommandHooks:
    """What the `ai-strategy` command adds to the index commands (see the module docstring)."""

    checks: "Callable[[IndexSettings], CheckRunner | None]" = lambda settings: None
    record: "Callable[[IndexSettings, KnowledgeChange], None] | None" = None
    history: "Callable[[IndexSettings, int], list[KnowledgeChange]] | None" = None


_hooks = CommandHooks()


def _progress_bar() -> RichProgress:
    return RichProgress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
        disable=not stderr.is_terminal,
    )


def run_with_feedback(
    settings: IndexSettings, *, rebuild: bool = False, dry_run: bool = False, force: bool = False
) -> "IngestSummary":
    """One ingest with the progress bar and the quality checks; exit 1 with a message on failure."""
    from ingest.errors import IndexBusyError
    from ingest.pipeline import run_ingest

    token = settings.chroma_auth_token
    configure_logging(secrets=[token.get_secret_value()] if token else [])
    try:
        with _progress_bar() as bar:
            return run_ingest(
                settings,
                rebuild=rebuild,
                dry_run=dry_run,
                progress=_BarProgress(bar),
                checks=None if dry_run else _hooks.checks(settings),
                force=force,
            )
    except (IndexBusyError, FileNotFoundError, OSError, RuntimeError, ValueError) as error:
        stderr.print(f"[red]ingest failed:[/red] {error}\nThe previous index is unchanged.")
        raise typer.Exit(EXIT_FAILED) from None


def summary_lines(summary: "IngestSummary") -> list[str]:
    """The readable report of one ingest: counts, each changed document, the gate's verdict."""
    verb = "Would change" if summary.dry_run else "Indexed" if summary.published else "Built"
    lines = [
        f"{verb}: {summary.added} added, {summary.updated} updated, {summary.deleted} deleted, "
        f"{summary.unchanged} unchanged, {summary.skipped} skipped; "
        f"{summary.chunks} chunks ({summary.embedded} embedded) in {summary.seconds:.1f} s"
        + (" [rebuilt]" if summary.rebuilt else "")
    ]
    for document in summary.documents:
        chunks = (
            ""
            if summary.dry_run or document.change == "deleted"
            else f": {document.chunks} chunk{'s' if document.chunks != 1 else ''}"
        )
        lines.append(f"  {document.change:<8} {document.title} ({document.doc}){chunks}")
    lines += gate_lines(summary)
    return lines


def gate_lines(summary: "IngestSummary") -> list[str]:
    """What the quality gate decided, with the failed checks, for the CLI."""
    verdict = summary.gate
    if verdict is None:
        return []
    candidate, previous = verdict.candidate, verdict.previous
    figures = (
        f"citation hit rate {candidate.hit_rate:.2f} on {candidate.checks} checks"
        + (f" (current version {previous.hit_rate:.2f})" if previous else "")
        + f", floor {verdict.floor:.2f}"
    )
    if verdict.passed:
        lines = [f"Quality gate passed: {figures}."]
    elif verdict.forced:
        lines = [f"Quality gate FAILED but --force switched anyway: {figures}."]
    else:
        lines = [
            f"Quality gate FAILED: {figures}.",
            f"The new version {candidate.version} is kept aside; the previous index still answers.",
        ]
    lines += [f"  - {reason}" for reason in verdict.reasons()]
    for check in verdict.newly_failed():
        lines.append(f"  failed check {check.id}: {check.question}")
    if not verdict.published:
        lines.append("Fix the documents (or knowledge/checks.jsonl), or re-run with --force.")
    return lines


def _exit_for(summary: "IngestSummary") -> None:
    if not summary.published:
        raise typer.Exit(EXIT_REFUSED)
    if summary.skipped:
        raise typer.Exit(EXIT_SKIPPED)


Force = Annotated[
    bool,
    typer.Option("--force", help="Switch to the new version even if the quality gate refuses it."),
]
NoIngest = Annotated[
    bool, typer.Option("--no-ingest", help="Only change the knowledge folder; index later.")
]


def ingest(
    knowledge_dir: KnowledgeDir = None,
    data_dir: DataDir = None,
    rebuild: Annotated[bool, typer.Option(help="Re-embed every document, starting over.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would change; write nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    force: Force = False,
    explain: Annotated[
        str | None,
        typer.Option(
            "--explain", metavar="DOC", help="Show which blocks of DOC cleaning keeps and why."
        ),
    ] = None,
    watch: Annotated[
        bool, typer.Option("--watch", help="Keep running; re-ingest when knowledge/ changes.")
    ] = False,
    history: Annotated[
        bool, typer.Option("--history", help="List the latest adds and removes (who, what, when).")
    ] = False,
) -> None:
    """Index the documents of the knowledge folder (only what changed since the last run)."""
    settings = settings_with(IndexSettings, knowledge_dir, data_dir)
    if sum((explain is not None, watch, history)) > 1:
        stderr.print("[red]--explain, --watch and --history are separate modes; use one.[/red]")
        raise typer.Exit(2)
    if explain is not None:
        return _explain(settings, explain, as_json=as_json)
    if history:
        return _history(settings, as_json=as_json)
    if watch:
        return _watch(settings, force=force)
    summary = run_with_feedback(settings, rebuild=rebuild, dry_run=dry_run, force=force)
    if as_json:
        print(json.dumps(summary.model_dump(mode="json")))
    else:
        print("\n".join(summary_lines(summary)))
    _exit_for(summary)


def add(
    source: Annotated[
        str, typer.Argument(help="An http(s) address, or a .md/.txt/.html/.pdf file.")
    ],
    knowledge_dir: KnowledgeDir = None,
    data_dir: DataDir = None,
    no_ingest: NoIngest = False,
    force: Force = False,
) -> None:
    """Add a web page or a file to the knowledge base (a page added again is updated)."""
    from ingest.fetching import FetchLimits, FetchRefused
    from ingest.knowledge_files import CannotAdd, add_file, add_url

    settings = settings_with(IndexSettings, knowledge_dir, data_dir)
    is_url = not Path(source).exists() and re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", source) is not None
    try:
        if is_url:
            added = add_url(source, settings.knowledge_dir, FetchLimits.of(settings))
        else:
            added = add_file(Path(source), settings.knowledge_dir)
    except (FetchRefused, CannotAdd) as error:
        stderr.print(f"[red]not added:[/red] {error}\nNothing was written.")
        raise typer.Exit(EXIT_FAILED) from None
    verb = "Updated" if added.replaced else "Wrote"
    print(f"{verb} {added.path} ({added.title})" + (f" from {added.url}" if added.url else ""))
    _after_change(
        settings,
        action="update" if added.replaced else "add",
        doc=added.doc,
        title=added.title,
        source=added.url or source,
        no_ingest=no_ingest,
        force=force,
    )


def remove(
    doc: Annotated[
        str, typer.Argument(help="Document id (file name without extension), file name or url.")
    ],
    knowledge_dir: KnowledgeDir = None,
    data_dir: DataDir = None,
    no_ingest: NoIngest = False,
    force: Force = False,
) -> None:
    """Delete a document from the knowledge folder and from the index."""
    from ingest.knowledge_files import DocumentNotFound, remove_document

    settings = settings_with(IndexSettings, knowledge_dir, data_dir)
    try:
        removed = remove_document(doc, settings.knowledge_dir)
    except DocumentNotFound as error:
        stderr.print(f"[red]not removed:[/red] {error}")
        raise typer.Exit(EXIT_FAILED) from None
    print(f"Deleted {removed.path} ({removed.title})")
    _after_change(
        settings,
        action="remove",
        doc=removed.doc,
        title=removed.title,
        source=removed.path.name,
        no_ingest=no_ingest,
        force=force,
    )


def _after_change(
    settings: IndexSettings,
    *,
    action: str,
    doc: str,
    title: str,
    source: str,
    no_ingest: bool,
    force: bool,
) -> None:
    """Ingest (unless told not to), then record the change in the history."""
    from ingest.knowledge_files import KnowledgeChange

    summary = None
    if not no_ingest:
        summary = run_with_feedback(settings, force=force)
        print("\n".join(summary_lines(summary)))
    chunks = (
        next((change.chunks for change in summary.documents if change.doc == doc), None)
        if summary
        else None
    )
    if _hooks.record is not None:
        _hooks.record(
            settings,
            KnowledgeChange(
                at=datetime.now(UTC),
                who=f"cli:{_login()}",
                action=action,
                doc=doc,
                title=title,
                source=source,
                chunks=chunks,
                published=summary.published if summary else False,
            ),
        )
    if no_ingest:
        print("Not indexed yet (--no-ingest): run `ai-strategy ingest` when ready.")
    elif summary is not None:
        _exit_for(summary)


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _history(settings: IndexSettings, *, as_json: bool) -> None:
    if _hooks.history is None:
        stderr.print(
            "The history is kept by the bot's database: run `ai-strategy ingest --history`."
        )
        raise typer.Exit(EXIT_FAILED)
    changes = _hooks.history(settings, HISTORY_LINES)
    if as_json:
        print(json.dumps([change.model_dump(mode="json") for change in changes]))
        return
    if not changes:
        print("No documents added or removed yet.")
    for change in changes:
        chunks = f", {change.chunks} chunks" if change.chunks is not None else ""
        aside = "" if change.published else " [not live: kept aside or not indexed]"
        source = f" <{change.source}>" if change.source else ""
        print(
            f"{change.at:%Y-%m-%d %H:%M:%S}Z  {change.who:<16} {change.action:<7} "
            f"{change.title} ({change.doc}){chunks}{source}{aside}"
        )


def _explain(settings: IndexSettings, doc: str, *, as_json: bool) -> None:
    from ingest.explain import explain_document, explanation_lines
    from ingest.knowledge_files import DocumentNotFound, find_document
    from ingest.parsing import UnreadableDocumentError

    try:
        explanation = explain_document(find_document(doc, settings.knowledge_dir), settings)
    except (DocumentNotFound, UnreadableDocumentError) as error:
        stderr.print(f"[red]cannot explain:[/red] {error}")
        raise typer.Exit(EXIT_FAILED) from None
    if as_json:
        print(explanation.model_dump_json())
    else:
        print("\n".join(explanation_lines(explanation)))


def _watch(settings: IndexSettings, *, force: bool) -> None:
    from ingest.watching import watch_knowledge

    def ingest_once() -> None:
        try:
            summary = run_with_feedback(settings, force=force)
        except typer.Exit:
            return  # the failure is printed; keep watching
        print("\n".join(summary_lines(summary)), flush=True)

    print(f"Watching {settings.knowledge_dir} for changes (Ctrl-C to stop).", flush=True)
    watch_knowledge(settings.knowledge_dir, ingest_once)


def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="How many chunks.")] = 5,
    knowledge_dir: KnowledgeDir = None,
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
) -> None:
    """Show the chunks of the index closest to a query (for checking retrieval)."""
    from ingest.errors import IndexNotBuiltError
    from ingest.index import IndexMismatchError, KnowledgeIndex

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
    force: Annotated[
        bool, typer.Option(help="Export again even if a current export exists.")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Export the embedding model to ONNX, once: `ask`, `search` and `serve` then need no torch."""
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


def register(app: typer.Typer, *, hooks: CommandHooks | None = None) -> None:
    """Add the index commands to a typer application (with the bot's hooks, if given)."""
    global _hooks
    _hooks = hooks or CommandHooks()
    app.command()(ingest)
    app.command()(add)
    app.command()(remove)
    app.command()(search)
    model = typer.Typer(help="The embedding model: export it to ONNX.", no_args_is_help=True)
    model.command("export")(export_model)
    app.add_typer(model, name="model")


def main() -> None:
    """`python -m ingest`: the index commands on their own."""
    app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False)
    register(app)
    app(prog_name=f"{Path(sys.executable).name} -m ingest")
