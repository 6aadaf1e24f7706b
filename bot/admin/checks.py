"""The quality gate's checks, run by the answer engine (ingest asks for them; see
`ingest.quality_gate`).

The checks are `knowledge/checks.jsonl` (or `AI_STRATEGY_CHECKS_FILE`), in the eval format:
`{"id", "question", "docs": [...], "evidence": [...]}`. A check passes when the answer cites a
chunk of one of its documents containing one of its evidence phrases, exactly as
`ai-strategy eval` counts a citation hit.
"""

from pathlib import Path

from bot.admin.hooks import bot_settings as bot_settings_for
from bot.answering.evaluation import EvalQuestion, evaluate, load_questions
from ingest.index import KnowledgeIndex
from ingest.quality_gate import CheckResults, CheckRunner, FailedCheck
from ingest.settings import IndexSettings


class InvalidChecks(ValueError):
    """The checks file cannot be read; the message names the file and the line."""


def knowledge_checks(settings: IndexSettings) -> CheckRunner | None:
    """The check runner for the gate, or None when there is no checks file."""
    path = settings.resolved_checks_file
    if not path.is_file():
        return None
    questions = _load(path)
    bot_settings = bot_settings_for(settings)

    def run_checks(index: KnowledgeIndex, documents: set[str]) -> CheckResults:
        from bot.answering.engine import AnswerEngine

        applicable = [
            question.model_copy(update={"docs": [doc for doc in question.docs if doc in documents]})
            for question in questions
            if not question.out_of_scope and set(question.docs) & documents
        ]
        if not applicable:
            return CheckResults(version=index.version, checks=0, hit_rate=1.0)
        report = evaluate(AnswerEngine(bot_settings, index), applicable, modes=())
        missed = set(report.missed_citations)
        return CheckResults(
            version=index.version,
            checks=len(applicable),
            hit_rate=report.citation_hit_rate,
            failed=[
                FailedCheck(id=question.id, question=question.question)
                for question in applicable
                if question.id in missed
            ],
        )

    return run_checks


def _load(path: Path) -> list[EvalQuestion]:
    try:
        return load_questions(path)
    except ValueError as error:  # pydantic's ValidationError is a ValueError
        raise InvalidChecks(f"{path}: not a valid checks file ({error})") from None
