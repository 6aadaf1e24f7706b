"""The engines the Slack app calls, behind one small boundary (tests put fakes here)."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.answering.models import Answer, Turn
from bot.assessment.intake import IntakeAnswers
from bot.assessment.recommendation import Recommendation
from bot.settings import Settings
from ingest.outcomes import IngestSummary

if TYPE_CHECKING:
    from ingest.index import KnowledgeIndex, PublishedVersion


@dataclass(frozen=True)
class Engines:
    """Answer a question, recommend from intake answers, re-ingest the knowledge base.

    `index` and `warm_up` are what readiness checks: the index queried by `/readyz`, and the
    loading of models before the first question (None: nothing to check, as with fakes).
    `published` describes the current index (the App Home shows it; None: nothing to show).
    """

    answer: Callable[[str, Sequence[Turn]], Answer]
    recommend: Callable[[IntakeAnswers], Recommendation]
    reindex: Callable[[], IngestSummary]
    index: "KnowledgeIndex | None" = None
    warm_up: Callable[[], None] | None = None
    published: "Callable[[], PublishedVersion] | None" = None

    def close(self) -> None:
        """Release the index (its reader lock, its Chroma client), as `from_settings` opened it."""
        if self.index is not None:
            self.index.close()

    @classmethod
    def from_settings(cls, settings: Settings) -> "Engines":
        """The real engines over the knowledge index of `settings` (one index, shared)."""
        from bot.admin.checks import knowledge_checks
        from bot.answering.engine import AnswerEngine
        from bot.assessment import recommend
        from ingest.index import KnowledgeIndex
        from ingest.pipeline import run_ingest

        index = KnowledgeIndex(settings)
        engine = AnswerEngine(settings, index)

        return cls(
            answer=engine.answer,
            recommend=lambda answers: recommend(answers, index),
            reindex=lambda: run_ingest(settings, checks=knowledge_checks(settings)),
            index=index,
            warm_up=engine.warm_up,
            published=index.published,
        )
