"""`ai-strategy ask` and `ai-strategy eval`: the answer engine on the command line."""

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from rich.console import Console

from bot.answering import messages
from bot.answering.models import Answer, Turn
from bot.answering.retrieval import RetrievalMode
from bot.settings import Settings
from ingest.cli import DataDir, KnowledgeDir, settings_with

if TYPE_CHECKING:
    from bot.answering.engine import AnswerEngine

EXIT_FAILED = 1
DEFAULT_QUESTIONS = (
    Path(__file__).resolve().parents[2].parent / "shared" / "eval" / "dev_questions.jsonl"
)

stderr = Console(stderr=True)


@contextmanager
def _engine(knowledge_dir: Path | None, data_dir: Path | None) -> "Iterator[AnswerEngine]":
    """A warmed-up engine over an index closed when the command ends, or exit 1 with a message
    when there is no index yet."""
    from bot.answering.engine import AnswerEngine
    from ingest.index import IndexMismatchError, KnowledgeIndex
    from ingest.store import IndexNotBuiltError

    settings = settings_with(Settings, knowledge_dir, data_dir)
    index = KnowledgeIndex(settings)
    try:
        engine = AnswerEngine(settings, index)
        try:
            engine.warm_up()
        except IndexNotBuiltError:
            stderr.print(messages.no_index(str(settings.data_dir)))
            raise typer.Exit(EXIT_FAILED) from None
        except IndexMismatchError as error:
            stderr.print(str(error))
            raise typer.Exit(EXIT_FAILED) from None
        yield engine
    finally:
        index.close()


def answer_json(answer: Answer) -> str:
    """The JSON object `ask --json` prints for one answer."""
    return json.dumps(
        {
            "answer": answer.text,
            "grounded": answer.grounded,
            "intent": answer.intent.value,
            "verdict": answer.verdict.value if answer.verdict else None,
            "intake": answer.intake,
            "citations": [
                citation.model_dump(include={"n", "doc", "title", "section", "text", "trust"})
                for citation in answer.citations
            ],
        },
        ensure_ascii=False,
    )


def answer_text(answer: Answer) -> str:
    """The readable rendering of an answer: text, note, sources."""
    lines = [answer.text]
    if answer.note:
        lines += ["", f"({answer.note})"]
    if answer.citations:
        lines += ["", "Sources:"]
        for citation in answer.citations:
            where = f"{citation.title} — {citation.section}" if citation.section else citation.title
            link = f" <{citation.url}>" if citation.url else ""
            trust = " (low trust)" if citation.trust == "low" else ""
            lines.append(f"[{citation.n}] {where}{link}{trust}")
    return "\n".join(lines)


class AskLine(BaseModel):
    """One JSON line of `ask -`: a question and the earlier questions of its thread."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1)
    history: list[str] = Field(default_factory=list)


def parse_line(line: str) -> AskLine:
    """A line of `ask -`: a JSON object {"question", "history"} or a plain question.
    Raises ValueError naming the problem."""
    if not line.startswith("{"):
        return AskLine(question=line)
    try:
        return AskLine.model_validate_json(line)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in detail['loc']) or 'line'}: {detail['msg']}"
            for detail in error.errors()
        )
        raise ValueError(problems) from None


def _stdin_lines():
    """Standard input line by line, decoded one line at a time: a line that is not UTF-8 comes
    back as bytes, to be reported, and the lines after it are still answered."""
    for raw in sys.stdin.buffer:
        try:
            yield raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            yield raw.strip()


def ask(
    question: Annotated[
        str,
        typer.Argument(
            help='The question; "-" reads stdin: one question per line, or JSON lines '
            '{"question": "...", "history": ["earlier question", ...]}.'
        ),
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object per answer.")
    ] = False,
    knowledge_dir: KnowledgeDir = None,
    data_dir: DataDir = None,
) -> None:
    """Answer a question from the knowledge base, with cited sources."""
    with _engine(knowledge_dir, data_dir) as engine:
        lines = _stdin_lines() if question == "-" else iter([question])
        first = True
        failed = False
        for number, text in enumerate(lines, start=1):
            if not text:
                continue
            try:
                if isinstance(text, bytes):
                    raise ValueError(messages.not_utf8(text))
                asked = parse_line(text)
            except ValueError as error:
                failed = True
                problem = messages.bad_input_line(number, str(error))
                if as_json:
                    print(json.dumps({"error": problem}), flush=True)
                else:
                    stderr.print(problem)
                continue
            history = [Turn(question=earlier, answer="") for earlier in asked.history]
            answer = engine.answer(asked.question, history)
            if as_json:
                print(answer_json(answer), flush=True)
            else:
                print(("" if first else "\n") + answer_text(answer), flush=True)
            first = False
    if failed:
        raise typer.Exit(EXIT_FAILED)


def evaluate(
    questions: Annotated[
        Path | None,
        typer.Option(
            "--questions", help=f"Question set (JSON lines) [default: {DEFAULT_QUESTIONS}]."
        ),
    ] = None,
    k: Annotated[int, typer.Option("-k", min=1, max=20, help="Cut-off of recall@k.")] = 5,
    retriever: Annotated[
        list[RetrievalMode] | None,
        typer.Option("--retriever", help="Retriever(s) to measure; default all three."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    knowledge_dir: KnowledgeDir = None,
    data_dir: DataDir = None,
) -> None:
    """Measure retrieval (recall@k, MRR), citations, declines and latency on a question set."""
    from bot.answering.evaluation import evaluate as run_evaluation
    from bot.answering.evaluation import load_questions, report_json, report_lines

    path = questions or DEFAULT_QUESTIONS
    if not path.is_file():
        stderr.print(f"No question set at {path}; pass one with --questions FILE.")
        raise typer.Exit(EXIT_FAILED)
    with _engine(knowledge_dir, data_dir) as engine:
        report = run_evaluation(
            engine, load_questions(path), k=k, modes=retriever or tuple(RetrievalMode)
        )
    print(report_json(report) if as_json else "\n".join(report_lines(report)))


def register(app: typer.Typer) -> None:
    """Add `ask` and `eval` to a typer application."""
    app.command()(ask)
    app.command("eval")(evaluate)
