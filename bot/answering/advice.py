"""Advice for a situation: the assessment's recommendation from what a question states.

The partial intake (`bot.answering.situation`) is scored with the assessment's own weights and
decision rules (`bot/assessment/weights.yaml`); an answer not given pushes neither way. The
advice says which outcome that gives, the two or three answers that decided it (strongest
first), and which answers were not given although one of their values would change the outcome.
A question that asks how to sequence or combine the approaches ("prototype now, precision
later: in what order?") asks for the staged path itself: the hybrid.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.assessment.intake import IntakeAnswers
from bot.assessment.recommendation import Outcome
from bot.assessment.scoring import decide, score_known
from bot.assessment.weights import Weight, load_weights

DECIDING_FACTORS = 3
_STAGING = re.compile(
    r"\b(?:sequence|sequencing|in what order|which order|what order|phase|phases|phased|stage|"
    r"staged|stages|roadmap|combine|combined|combining|combination|hybrid)\b|"
    r"\b(?:do|use|using|try|have|need|want)\s+both\b|"
    r"\b(?:both|them|the two|approaches)\s+together\b|\bmix(?:ing)?\s+(?:them|both|the two)\b|"
    r"\b(?:now|first|initially|today|start)\b.{0,80}\b(?:later|then|eventually|next|afterwards|"
    r"down the road|long term|long-term|once|as soon as)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Deciding:
    """One stated answer that pushes the outcome."""

    field: str
    value: str
    weight: Weight


@dataclass(frozen=True)
class Advice:
    outcome: Outcome
    deciding: tuple[Deciding, ...]  # stated answers pushing towards the outcome, strongest first
    open_fields: tuple[str, ...]  # not stated, and some value of each would change the outcome
    staged: bool  # the question asks how to sequence or combine the approaches


def asks_for_staging(question: str) -> bool:
    """Whether a question asks in what order, or how, to combine the approaches."""
    return bool(_STAGING.search(question))


def advise(known: Mapping[str, str], *, question: str = "") -> Advice:
    """The outcome the stated answers give, what decided it and what is still open."""
    weights = load_weights()
    staged = asks_for_staging(question)
    outcome = Outcome.hybrid if staged else decide(score_known(known, weights), weights)
    deciding = sorted(
        (
            Deciding(field, value, weights.weight(field, value))
            for field, value in known.items()
            if field in weights.factors and weights.weight(field, value).strength
        ),
        key=lambda item: -item.weight.strength,
    )
    # Answers that agree with the outcome decide it; a hybrid takes both directions.
    agreeing = [
        item
        for item in deciding
        if outcome is Outcome.hybrid or item.weight.direction.value == outcome.value
    ]
    open_fields = tuple(
        question.field
        for question in IntakeAnswers.questions()
        if question.field in weights.factors
        and question.field not in known
        and not staged
        and any(
            decide(score_known({**known, question.field: value}, weights), weights) is not outcome
            for value in question.values
        )
    )
    return Advice(
        outcome=outcome,
        deciding=tuple(agreeing[:DECIDING_FACTORS]),
        open_fields=open_fields,
        staged=staged,
    )
