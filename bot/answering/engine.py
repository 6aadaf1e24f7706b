"""The answer engine's entry point: what the Slack bot and the CLI call.

One question goes: follow-up resolution → query embedding → hybrid retrieval → passage scoring
→ support check (decline when nothing retrieved supports an answer) → a comparison table, a
"the sources disagree" answer, or an extractive answer → optionally the LLM composer, which
falls back to the extractive answer. Every stage's time is recorded in `Answer.timings`.
"""

import logging
import time
from collections.abc import Sequence

import numpy as np
from langchain_core.language_models import BaseChatModel

from bot.answering import messages
from bot.answering.comparison import aspects_of, build_comparison, is_comparison, render_comparison
from bot.answering.composer import Sources, citation_for, render_sentences, select
from bot.answering.followup import contextualize
from bot.answering.llm import (
    Brief,
    LlmComposer,
    LlmError,
    LlmOptions,
    LlmTimeout,
    LlmUnavailable,
    LlmUncited,
)
from bot.answering.models import Answer, Citation, Turn
from bot.answering.retrieval import Corpus, HybridRetriever, RankedChunk, RetrievalMode
from bot.answering.scoring import ScoredPassage, assess_support, question_terms, score_passages
from bot.answering.stance import Side, aspect_family, find_disagreement, stance_of
from bot.answering.text import approaches_in, words
from bot.settings import Settings
from ingest.index import KnowledgeIndex

log = logging.getLogger("bot.answering")

RETRIEVED_CHUNKS = 8
LLM_SOURCES = 6
# Passages within this band of the best one are weighed for a disagreement.
DISAGREEMENT_BAND = 0.3
SIDE_SENTENCES = 2
_EVALUATIVE = frozenset(
    """
    which better best more less most least higher lower match matches outperform superior
    versus vs than whether
    """.split()
)


class AnswerEngine:
    """Answer questions from the knowledge index with cited sentences; thread-safe."""

    def __init__(
        self,
        settings: Settings,
        index: KnowledgeIndex | None = None,
        *,
        chat_model: BaseChatModel | None = None,
    ) -> None:
        self.settings = settings
        _single_inference_thread()
        self.index = index or KnowledgeIndex(settings)
        self.retriever = HybridRetriever(self.index, cache_dir=settings.data_dir / "answering")
        self.llm = LlmComposer(LlmOptions.from_settings(settings), model=chat_model)

    def warm_up(self) -> None:
        """Load the model and prepare the current index version (BM25, passage vectors)."""
        self.index.embed_query("warm up")
        self.retriever.corpus().passage_vectors  # noqa: B018 - computed and cached on access

    def retrieve(
        self, query: str, *, k: int = RETRIEVED_CHUNKS, mode: RetrievalMode = RetrievalMode.hybrid
    ) -> list[RankedChunk]:
        """The chunks a question retrieves, best first (what `eval` measures)."""
        return self.retriever.retrieve(
            query=query, vector=self.index.embed_query(query), k=k, mode=mode
        )

    def answer(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        """Answer `question`, reading `history` (earlier turns) to understand follow-ups."""
        clock = _Clock()
        query = contextualize(question, history)
        corpus = self.retriever.corpus()
        clock.lap("prepare")
        vector = self.index.embed_query(query)
        clock.lap("embed")
        ranked = self.retriever.retrieve(query=query, vector=vector, k=RETRIEVED_CHUNKS)
        clock.lap("retrieve")
        scored = score_passages(corpus, ranked, query=query, vector=vector)
        support = assess_support(scored)
        clock.lap("score")
        retrieved = [item.chunk.id for item in ranked]
        if not support.grounded:
            return Answer(
                question=question,
                text=messages.not_covered(),
                grounded=False,
                timings=clock.timings(),
                retrieved=retrieved,
            )
        answer = self._compose(corpus, question=question, query=query, vector=vector, scored=scored)
        clock.lap("compose")
        # Comparisons and disagreements keep their structured, extractive form.
        if self.llm.enabled and not (answer.comparison or answer.disagreement):
            answer = self._compose_with_llm(corpus, answer, query=query, scored=scored)
            clock.lap("llm")
        return answer.model_copy(update={"timings": clock.timings(), "retrieved": retrieved})

    def _compose(
        self,
        corpus: Corpus,
        *,
        question: str,
        query: str,
        vector: Sequence[float],
        scored: list[ScoredPassage],
    ) -> Answer:
        """A comparison (with any disagreement below it), a disagreement, or plain sentences."""
        sources = Sources(corpus)
        sides = self._disagreement(corpus, query, scored)
        disagreement = [] if sides is None else self._render_sides(corpus, sides, scored, sources)
        if is_comparison(query):
            aspects = aspects_of(query)
            vectors = (
                np.asarray(self.index.embeddings.embed_documents(aspects), dtype=np.float32)
                if aspects
                else np.zeros((0, corpus.passage_vectors.shape[1]), dtype=np.float32)
            )
            rows = build_comparison(
                corpus,
                aspects=aspects,
                aspect_vectors=vectors,
                query_vector=vector,
                scored=scored,
                sources=sources,
            )
            if rows:
                return Answer(
                    question=question,
                    text="\n".join([render_comparison(rows), *disagreement]),
                    citations=sources.citations(),
                    grounded=True,
                    disagreement=bool(disagreement),
                    comparison=rows,
                )
        if disagreement:
            return Answer(
                question=question,
                text="\n".join(disagreement),
                citations=sources.citations(),
                grounded=True,
                disagreement=True,
            )
        chosen = select(corpus, scored)
        return Answer(
            question=question,
            text=" ".join(render_sentences(corpus, chosen, sources)),
            citations=sources.citations(),
            grounded=True,
        )

    @staticmethod
    def _render_sides(
        corpus: Corpus, sides: tuple[Side, Side], scored: list[ScoredPassage], sources: Sources
    ) -> list[str]:
        """The lines of a disagreement: the lead, then each side with its best statements."""
        by_index = {item.index: item for item in scored}
        lines = [messages.sources_disagree()]
        for side in sides:
            chosen = [by_index[index] for index in side.passages][:SIDE_SENTENCES]
            sentences = render_sentences(corpus, chosen, sources)
            lines.append(f"- **{messages.side_heading(side.approach)}** {' '.join(sentences)}")
        return lines

    def _disagreement(
        self, corpus: Corpus, query: str, scored: list[ScoredPassage]
    ) -> tuple[Side, Side] | None:
        """Opposite positions of different documents on the point an evaluative question asks."""
        evaluative = (
            _EVALUATIVE & set(words(query))
            or len(approaches_in(query)) == 2
            or is_comparison(query)
        )
        if not scored or not evaluative:
            return None
        aspect = aspect_family(question_terms(query))
        best = scored[0].relevance
        candidates = []
        for item in scored:
            if item.relevance < best - DISAGREEMENT_BAND:
                break
            if item.passage.kind == "row":  # terse cells: their direction depends on the label
                continue
            stance = stance_of(
                item.passage.text, aspect=aspect, subject=corpus.subjects[item.index]
            )
            document = corpus.chunks[item.passage.chunk].doc
            candidates.append((item.index, document, stance))
        return find_disagreement(candidates)

    def _compose_with_llm(
        self, corpus: Corpus, extractive: Answer, *, query: str, scored: list[ScoredPassage]
    ) -> Answer:
        """The LLM's answer from a brief of the extractive one, or the extractive answer with a
        note saying why not."""
        try:
            result = self.llm.compose(_brief(corpus, extractive, query=query, scored=scored))
        except LlmError as error:
            note = {
                LlmTimeout: messages.llm_timed_out(self.llm.timeout_seconds),
                LlmUncited: messages.llm_uncited(),
                LlmUnavailable: messages.llm_unavailable(),
            }[type(error)]
            log.warning(
                messages.log_llm_fallback(),
                extra={"reason": type(error).__name__, "detail": str(error)},
            )
            return extractive.model_copy(update={"note": note})
        return extractive.model_copy(update={"text": result.text, "citations": result.citations})


def _brief(
    corpus: Corpus, extractive: Answer, *, query: str, scored: list[ScoredPassage]
) -> Brief:
    """What the LLM is told: the extractive answer as a draft, its citations as the first
    sources (so the draft's markers hold), then the other best chunks."""
    sources = list(extractive.citations)
    cited = {citation.text for citation in sources}
    for item in scored:
        if len(sources) >= LLM_SOURCES:
            break
        citation = citation_for(corpus, item.passage.chunk, len(sources) + 1)
        if citation.text not in cited:
            cited.add(citation.text)
            sources.append(citation)
    return Brief(question=query, sources=sources, draft=extractive.text)


def _single_inference_thread() -> None:
    """Run torch with one intra-op thread.

    An answer embeds one short query (~15 ms on one core). With the default of one thread per
    core, OpenMP's threads stall whenever the cores are shared with the bot's other workers or
    other processes: measured on the 2-core machine under load, query embedding took 700 ms at
    p50 with 2 threads and 20 ms with 1. The setting is process-wide, so an ingest run inside
    the bot process embeds on one core too (slower when idle, steadier when busy).
    """
    import torch

    if torch.get_num_threads() > 1:
        torch.set_num_threads(1)


class _Clock:
    """Milliseconds spent in each stage of one answer."""

    def __init__(self) -> None:
        self._start = self._last = time.perf_counter()
        self._laps: dict[str, float] = {}

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self._laps[stage] = round((now - self._last) * 1000, 2)
        self._last = now

    def timings(self) -> dict[str, float]:
        return {**self._laps, "total": round((time.perf_counter() - self._start) * 1000, 2)}
