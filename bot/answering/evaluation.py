"""Measure the engine on a question set in the format of `dev_questions.jsonl`.

A chunk is relevant to a question when it belongs to one of the question's listed documents and
contains one of its evidence phrases (case and typography ignored). From that:

- recall@k: the share of in-scope questions with a relevant chunk among the first k retrieved;
- MRR: the mean reciprocal rank of the first relevant chunk within the first 20 (0 if none);
- citation hit rate: the share of in-scope answers that cite a relevant chunk;
- decline accuracy: the share of out-of-scope questions the engine declines (and, reported
  beside it, the in-scope questions it wrongly declined);
- key point: the share of questions with `key` phrases whose answer text holds one of them;
- verdict first: the share of questions with an accepted `verdict` whose first sentence names
  one (the first approach it names; a `hybrid` first sentence names both or says "combine");
- false declines: questions expected to be answered that were declined; off-topic declines:
  the share of off-topic questions declined. A question is off-topic when it says so
  (`out_of_scope`, or `kind: offtopic`) or when it expects nothing at all (no docs, evidence,
  key or verdict), as in `dev_offtopic.jsonl`;
- latency: percentiles of warm `answer()` calls (model loaded, index prepared), in ms.

`history` (earlier questions of the same thread, oldest first) is passed as the conversation,
so follow-ups are answered as in a Slack thread.
"""

import json
import re
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from bot.answering.engine import AnswerEngine
from bot.answering.models import Turn
from bot.answering.retrieval import RetrievalMode
from bot.answering.text import normalize
from bot.answering.verdict import names_verdict

MRR_DEPTH = 20
_MARKUP = re.compile(r"\*\*|(?<!\w)_|_(?!\w)|`")


class EvalQuestion(BaseModel):
    """One line of a question set."""

    model_config = ConfigDict(extra="ignore")

    id: str
    question: str
    kind: str | None = None
    history: list[str] = Field(default_factory=list)
    docs: list[str] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)
    key: list[str] = Field(default_factory=list)
    verdict: list[str] = Field(default_factory=list)
    out_of_scope: bool = False

    @property
    def off_topic(self) -> bool:
        """Expected to be declined: said so, or expecting nothing of an answer."""
        expects = self.docs or self.evidence or self.key or self.verdict
        return self.out_of_scope or self.kind == "offtopic" or not expects

    @property
    def turns(self) -> list[Turn]:
        return [Turn(question=question, answer="") for question in self.history]


class RetrievalScore(BaseModel):
    mode: RetrievalMode
    k: int
    recall: float
    mrr: float


class EvalReport(BaseModel):
    """Everything `ai-strategy eval` prints."""

    questions: int
    in_scope: int
    out_of_scope: int
    retrieval: list[RetrievalScore]
    citation_hit_rate: float
    decline_accuracy: float
    wrongly_declined: list[str] = Field(description="Ids of in-scope questions declined.")
    missed_citations: list[str] = Field(description="Ids of in-scope answers without a hit.")
    answered_out_of_scope: list[str] = Field(description="Ids of out-of-scope questions answered.")
    key_point: tuple[int, int] = Field(
        (0, 0), description="(answers holding a key phrase, questions with key phrases)."
    )
    missed_key_points: list[str] = Field(default_factory=list)
    verdict_first: tuple[int, int] = Field(
        (0, 0), description="(first sentences naming an accepted verdict, decision questions)."
    )
    missed_verdicts: list[str] = Field(default_factory=list)
    latency_ms: dict[str, float]


def load_questions(path: Path) -> list[EvalQuestion]:
    """The questions of a JSON-lines file; blank lines are skipped."""
    with path.open(encoding="utf-8") as lines:
        return [EvalQuestion.model_validate_json(line) for line in lines if line.strip()]


def is_relevant(doc: str, text: str, question: EvalQuestion) -> bool:
    """Whether a chunk (its document and text) holds evidence for the question."""
    body = normalize(text)
    return doc in question.docs and any(normalize(phrase) in body for phrase in question.evidence)


def retrieval_score(
    engine: AnswerEngine,
    questions: Sequence[EvalQuestion],
    *,
    mode: RetrievalMode,
    k: int,
    vectors: Sequence[Sequence[float]] | None = None,
) -> RetrievalScore:
    """recall@k and MRR of one retriever over the in-scope questions (`vectors`: their
    embeddings, when already computed)."""
    hits, reciprocal = 0, 0.0
    for position, question in enumerate(questions):
        vector = (
            vectors[position]
            if vectors is not None
            else engine.index.embed_query(question.question)
        )
        ranked = engine.retriever.retrieve(
            query=question.question, vector=vector, k=max(k, MRR_DEPTH), mode=mode
        )
        ranks = [
            rank
            for rank, item in enumerate(ranked, 1)
            if is_relevant(item.chunk.doc, item.chunk.text, question)
        ]
        hits += bool(ranks and ranks[0] <= k)
        reciprocal += 1.0 / ranks[0] if ranks else 0.0
    count = max(len(questions), 1)
    return RetrievalScore(
        mode=mode, k=k, recall=round(hits / count, 3), mrr=round(reciprocal / count, 3)
    )


def evaluate(
    engine: AnswerEngine,
    questions: Sequence[EvalQuestion],
    *,
    k: int = 5,
    modes: Iterable[RetrievalMode] = tuple(RetrievalMode),
) -> EvalReport:
    """Run every question through retrieval (each mode) and through `answer()` (warm)."""
    engine.warm_up()
    in_scope = [question for question in questions if not question.off_topic]
    out_of_scope = [question for question in questions if question.off_topic]
    with_evidence = [question for question in in_scope if question.docs and question.evidence]
    vectors = [engine.index.embed_query(question.question) for question in with_evidence]
    retrieval = (
        [retrieval_score(engine, with_evidence, mode=mode, k=k, vectors=vectors) for mode in modes]
        if with_evidence
        else []
    )
    latencies: list[float] = []
    missed, wrongly_declined, answered = [], [], []
    missed_keys, missed_verdicts = [], []
    for question in questions:
        started = time.perf_counter()
        answer = engine.answer(question.question, question.turns)
        latencies.append((time.perf_counter() - started) * 1000)
        if question.off_topic:
            if answer.grounded:
                answered.append(question.id)
            continue
        if not answer.grounded:
            wrongly_declined.append(question.id)
        if question.key and not has_key_point(answer.text, question.key):
            missed_keys.append(question.id)
        if question.verdict and not names_verdict(answer.text, question.verdict):
            missed_verdicts.append(question.id)
        if question in with_evidence and not any(
            is_relevant(citation.doc, citation.text, question) for citation in answer.citations
        ):
            missed.append(question.id)
    keyed = sum(bool(question.key) for question in in_scope)
    decisions = sum(bool(question.verdict) for question in in_scope)
    return EvalReport(
        questions=len(questions),
        in_scope=len(in_scope),
        out_of_scope=len(out_of_scope),
        retrieval=retrieval,
        citation_hit_rate=round(1 - len(missed) / max(len(with_evidence), 1), 3),
        decline_accuracy=round(1 - len(answered) / max(len(out_of_scope), 1), 3),
        wrongly_declined=wrongly_declined,
        missed_citations=missed,
        answered_out_of_scope=answered,
        key_point=(keyed - len(missed_keys), keyed),
        missed_key_points=missed_keys,
        verdict_first=(decisions - len(missed_verdicts), decisions),
        missed_verdicts=missed_verdicts,
        latency_ms=percentiles(latencies),
    )


def has_key_point(text: str, keys: Sequence[str]) -> bool:
    """Whether the answer text holds one of the key phrases (case and typography ignored)."""
    body = normalize(_MARKUP.sub("", text))
    return any(normalize(key) in body for key in keys)


def percentiles(values: Sequence[float]) -> dict[str, float]:
    """p50, p95 and max of a list of milliseconds."""
    if not values:
        return {"p50": 0.0, "p95": 0.0, "max": 0.0}
    array = np.asarray(values)
    return {
        "p50": round(float(np.percentile(array, 50)), 1),
        "p95": round(float(np.percentile(array, 95)), 1),
        "max": round(float(array.max()), 1),
    }


def report_lines(report: EvalReport) -> list[str]:
    """The report as readable lines."""
    recall = f"recall@{report.retrieval[0].k}" if report.retrieval else "recall"
    lines = [
        f"{report.questions} questions: {report.in_scope} in scope, "
        f"{report.out_of_scope} out of scope",
        "",
        f"{'retriever':<10} {recall:>9} {'MRR':>6}",
    ]
    lines += [
        f"{score.mode.value:<10} {score.recall:>9.3f} {score.mrr:>6.3f}"
        for score in report.retrieval
    ]
    lines += [
        "",
        f"citation hit rate   {report.citation_hit_rate:.3f}"
        + (f"  (missed: {', '.join(report.missed_citations)})" if report.missed_citations else ""),
        f"decline accuracy    {report.decline_accuracy:.3f}"
        + (
            f"  (answered: {', '.join(report.answered_out_of_scope)})"
            if report.answered_out_of_scope
            else ""
        ),
        f"wrongly declined    {len(report.wrongly_declined)}"
        + (f"  ({', '.join(report.wrongly_declined)})" if report.wrongly_declined else ""),
        f"key point in text   {report.key_point[0]}/{report.key_point[1]}"
        + (
            f"  (missed: {', '.join(report.missed_key_points)})" if report.missed_key_points else ""
        ),
        f"verdict first       {report.verdict_first[0]}/{report.verdict_first[1]}"
        + (f"  (missed: {', '.join(report.missed_verdicts)})" if report.missed_verdicts else ""),
        f"off-topic declined  {report.out_of_scope - len(report.answered_out_of_scope)}"
        f"/{report.out_of_scope}",
        "latency (warm)      "
        + ", ".join(f"{name} {value:.1f} ms" for name, value in report.latency_ms.items()),
    ]
    return lines


def report_json(report: EvalReport) -> str:
    return json.dumps(report.model_dump(mode="json"))
