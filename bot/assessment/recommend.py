"""`recommend`: answers in, an explained and cited recommendation out."""

from collections.abc import Mapping
from typing import TYPE_CHECKING

from bot.assessment import messages
from bot.assessment.evidence import Citation, find_evidence
from bot.assessment.intake import IntakeAnswers, parse_answers
from bot.assessment.next_steps import load_plans
from bot.assessment.recommendation import Counterfactual, Factor, Outcome, Recommendation, Scores
from bot.assessment.scoring import (
    confidence,
    counterfactual,
    decide,
    held_back_by,
    is_ready,
    score,
)
from bot.assessment.weights import Weights, load_weights

if TYPE_CHECKING:  # importing the index loads torch and Chroma: only when searching
    from ingest.index import KnowledgeIndex


def recommend(
    answers: IntakeAnswers | Mapping[str, object], index: "KnowledgeIndex"
) -> Recommendation:
    """Recommend prompt engineering, fine-tuning or a hybrid for a team's answers.

    `answers` is validated first (`InvalidAnswersError` names every problem). Each factor and the
    next steps are backed by passages searched in `index` now, so the evidence follows the
    knowledge base; the caller opens it from the settings it was given.
    """
    answers = parse_answers(answers)
    weights = load_weights()
    scores = score(answers, weights)
    outcome = decide(scores, weights)
    factors = _factors(answers, weights, index)
    plan = load_plans()[outcome]
    plan_citation = find_evidence(index, plan.evidence)
    return Recommendation(
        answers=answers,
        outcome=outcome,
        summary=_summary(answers, outcome, scores, weights),
        confidence=confidence(answers, weights),
        scores=scores,
        factors=factors,
        counterfactual=_counterfactual(answers, weights),
        next_steps=plan.fitted(answers),
        citations=_unique([factor.citation for factor in factors] + [plan_citation]),
    )


def _factors(answers: IntakeAnswers, weights: Weights, index: "KnowledgeIndex") -> list[Factor]:
    """The answers that push the outcome, strongest first, each with its passage."""
    pushing = [
        (question, answers.value_of(question.field))
        for question in IntakeAnswers.questions()
        if question.field in weights.factors
        and weights.weight(question.field, answers.value_of(question.field)).strength
    ]
    pushing.sort(key=lambda pair: -weights.weight(pair[0].field, pair[1]).strength)
    factors: list[Factor] = []
    cited: set[str] = set()
    for question, value in pushing:
        weight = weights.weight(question.field, value)
        # Among equally good passages, one not cited yet: each line gets its own evidence.
        citation = (
            find_evidence(index, weight.evidence, avoid=frozenset(cited))
            if weight.evidence is not None  # always, for an answer that pushes (`Weight`)
            else None
        )
        if citation is not None:
            cited.add(citation.text)
        factors.append(
            Factor(
                field=question.field,
                label=question.label,
                value=value,
                value_label=question.option_name(value),
                direction=weight.direction,
                strength=weight.strength,
                explanation=weight.explanation,
                citation=citation,
            )
        )
    return factors


def _summary(answers: IntakeAnswers, outcome: Outcome, scores: Scores, weights: Weights) -> str:
    if outcome is Outcome.hybrid and not is_ready(scores, weights):
        return messages.staged_summary(held_back_by(answers, weights))
    return messages.summary(outcome.value)


def _counterfactual(answers: IntakeAnswers, weights: Weights) -> Counterfactual | None:
    found = counterfactual(answers, weights)
    if found is None:
        return None
    changes, outcome = found
    described = []
    for change in changes:
        question = IntakeAnswers.question(change.field)
        described.append(
            (
                question.label,
                question.option_name(change.current),
                question.option_name(change.suggested),
            )
        )
    return Counterfactual(
        changes=changes,
        outcome=outcome,
        summary=messages.counterfactual_summary(described, outcome.label),
    )


def _unique(citations: list[Citation | None]) -> list[Citation]:
    """Each cited passage once, in order of first use."""
    seen: dict[tuple[str, str], Citation] = {}
    for citation in citations:
        if citation is not None:
            seen.setdefault((citation.chunk_id, citation.text), citation)
    return list(seen.values())
