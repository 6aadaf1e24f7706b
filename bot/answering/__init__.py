"""The answer engine: hybrid retrieval over the knowledge index and a cited answer composer."""

from bot.answering.engine import AnswerEngine
from bot.answering.models import Answer, Citation, ComparisonRow, Turn

__all__ = ["Answer", "AnswerEngine", "Citation", "ComparisonRow", "Turn"]
