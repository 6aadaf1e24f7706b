"""The answer engine: hybrid retrieval over the knowledge index and a cited answer composer."""

from typing import TYPE_CHECKING

from bot.answering.models import Answer, Citation, ComparisonRow, Turn

if TYPE_CHECKING:
    from bot.answering.engine import AnswerEngine

__all__ = ["Answer", "AnswerEngine", "Citation", "ComparisonRow", "Turn"]


def __getattr__(name: str):
    # The engine (and the index and model behind it) is imported when used, not when a command
    # only needs the answer models.
    if name == "AnswerEngine":
        from bot.answering.engine import AnswerEngine

        return AnswerEngine
    raise AttributeError(name)
