"""`ai-strategy assess`: the guided assessment in a terminal, or from a JSON file of answers.

Exit status: 0 a recommendation was given; 1 there is no knowledge index to cite yet; 2 the
answers are invalid (one line per problem on standard error); 130 cancelled with Ctrl-C.
"""

import json
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from prompt_toolkit.output import create_output
from rich.console import Console

from bot.assessment import messages
from bot.assessment.intake import IntakeAnswers, InvalidAnswersError, parse_answers_json
from bot.assessment.interview import InputEndedError, ask_in_terminal, ask_line_by_line
from bot.assessment.recommend import recommend
from bot.assessment.recommendation import Recommendation
from bot.assessment.render import render
from bot.settings import Settings
from common.options import DataDir, KnowledgeDir, settings_with

EXIT_NO_INDEX = 1
EXIT_INVALID = 2
EXIT_CANCELLED = 130


def assess(
    answers: Annotated[
        str | None,
        typer.Option(
            "--answers",
            metavar="FILE",
            help="JSON object of answers ('-' reads standard input); without it, the questions "
            "are asked.",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the recommendation as one JSON object.")
    ] = False,
    knowledge_dir: KnowledgeDir = None,
    data_dir: DataDir = None,
) -> None:
    """Recommend prompt engineering, fine-tuning or both, explained and cited."""
    stderr = Console(stderr=True)
    settings = settings_with(Settings, knowledge_dir, data_dir)
    try:
        if answers is None:
            # Before the questions: nobody should answer ten of them to learn there is no index.
            _require_index(settings, stderr)
            intake = _interview(stderr)
        else:
            intake = _read_answers(answers, stderr)
            _require_index(settings, stderr)
        recommendation = _recommend(intake, settings, stderr)
    except (KeyboardInterrupt, EOFError):  # Ctrl-C anywhere, Ctrl-D in a select
        stderr.print(f"\n{messages.CANCELLED}")
        raise typer.Exit(EXIT_CANCELLED) from None
    if as_json:
        print(json.dumps(recommendation.report(), ensure_ascii=False, indent=2))
    else:
        render(recommendation, Console())


def _read_answers(source: str, stderr: Console) -> IntakeAnswers:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        _fail([messages.unreadable_file(source, reason)], stderr)
    try:
        return parse_answers_json(text)
    except InvalidAnswersError as error:
        _fail(error.problems, stderr)
    except RecursionError:  # json.loads of thousands of nested brackets
        _fail([messages.answers_too_deep(source)], stderr)


def _fail(problems: list[str], stderr: Console) -> NoReturn:
    for problem in problems:
        stderr.print(f"error: {problem}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_INVALID)


def _require_index(settings: Settings, stderr: Console) -> None:
    # Imported here, like the index below: Chroma and torch take seconds `--help` never needs.
    from ingest.stores import open_store

    if open_store(settings).current_name() is None:
        _no_index(settings, stderr)


def _interview(stderr: Console) -> IntakeAnswers:
    try:
        if sys.stdin.isatty() and stderr.is_terminal:
            # Questions on standard error: standard output is for the recommendation.
            return ask_in_terminal(console=stderr, output=create_output(stdout=sys.stderr))
        return ask_line_by_line(read=sys.stdin, console=stderr)
    except InputEndedError as error:
        _fail([str(error)], stderr)


def _recommend(intake: IntakeAnswers, settings: Settings, stderr: Console) -> Recommendation:
    from ingest.errors import IndexNotBuiltError
    from ingest.index import KnowledgeIndex

    index = KnowledgeIndex(settings)
    try:
        return recommend(intake, index)
    except IndexNotBuiltError:
        _no_index(settings, stderr)
    finally:
        index.close()


def _no_index(settings: Settings, stderr: Console) -> NoReturn:
    stderr.print(messages.no_index(settings.index_dir), markup=False, highlight=False)
    raise typer.Exit(EXIT_NO_INDEX)


def register(app: typer.Typer) -> None:
    """Add `assess` to a typer application."""
    app.command()(assess)
