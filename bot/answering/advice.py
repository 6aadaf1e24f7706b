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
    r"staged|stages|roadmap|combine|combined|combining|combination|hybrid|middle ground|"
    r"in between|best of both)\b|"
    r"\b(?:do|use|using|try|have|need|want)\s+both\b|"
    r"\b(?:both|them|the two|approaches)\s+together\b|\bmix(?:ing)?\s+(?:them|both|the two)\b|"
    r"\b(?:now|first|initially|today|start)\b.{0,80}\b(?:later|then|eventually|next|afterwards|"
    r"down the road|long term|long-term|once|as soon as)\b|"
    # "can we fine-tune later if prompting doesn't work?": the second stage, asked ahead
    r"\bfine[- ]?tun\w*\s+(?:it\s+|them\s+|the model\s+)?later\b",
    re.IGNORECASE,
)

# "We tried prompting and accuracy is stuck at 80%": the first stage of the staged path is done
# and fell short; what comes next is its second, fine-tuning where prompts fall short.
_PROMPTING = r"\b(?:prompt(?:s|ing)?|prompt engineering|few-shot|system prompt)\b"
_TRIED = (
    r"\b(?:tried|trying|tested|using|used|been|already|iterated|spent|have|rely|relying|went|got|"
    r"gets|our)\b"
)
_FELL_SHORT = re.compile(
    r"\b(?:stuck|plateau\w*|ceiling|hit a wall|falls? short|fell short|not (?:good|accurate|"
    r"reliable|consistent) enough|(?:isn't|aren't|wasn't|doesn't|don't|didn't) (?:cut it|work|"
    r"get|reach|help)|not (?:working|cutting it|enough)|still (?:makes?|gets?|hallucinat\w*|"
    r"wrong|fails?|misses|breaks)|keeps? (?:making|getting|failing|hallucinating|missing)|"
    r"can't (?:get|reach|push)|maxed out|topped out)\b",
    re.IGNORECASE,
)
_TRIED_PROMPTING = re.compile(
    rf"{_TRIED}[^.?!]{{0,40}}{_PROMPTING}|{_PROMPTING}[^.?!]{{0,30}}{_TRIED}", re.IGNORECASE
)


def prompting_fell_short(question: str) -> bool:
    """Whether a team says it has tried prompting and it is not enough."""
    return bool(_TRIED_PROMPTING.search(question) and _FELL_SHORT.search(question))


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
    # With prompt engineering the outcome: stated resources that would let the team fine-tune
    # ("50k labeled tickets", "two ML engineers"); they make it possible, the task makes it needed
    enabling: tuple[Deciding, ...] = ()
    # Stated needs of the task that lean the other way and did not carry the outcome ("our data
    # is confidential" leans to fine-tuning, not enough on its own): said, not passed over
    outweighed: tuple[Deciding, ...] = ()


def asks_for_staging(question: str) -> bool:
    """Whether a question asks in what order, or how, to combine the approaches."""
    return bool(_STAGING.search(question))


def advise(known: Mapping[str, str], *, question: str = "") -> Advice:
    """The outcome the stated answers give, what decided it and what is still open."""
    weights = load_weights()
    staged = asks_for_staging(question)
    outcome = Outcome.hybrid if staged else decide(score_known(known, weights), weights)
    if outcome is Outcome.prompt_engineering and prompting_fell_short(question):
        staged, outcome = True, Outcome.hybrid  # the prompts are the baseline: fine-tune next
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
    resources = [item for item in deciding if weights.factors[item.field].group == "resources"]
    blocked = any(item.weight.direction.value == Outcome.prompt_engineering for item in resources)
    enabling = tuple(
        item
        for item in resources
        if outcome is Outcome.prompt_engineering
        and not blocked  # "no ML folks": fine-tuning is not possible, whatever else they have
        and item.weight.direction.value == Outcome.fine_tuning
    )
    outweighed = tuple(
        item
        for item in deciding
        if outcome is not Outcome.hybrid
        and weights.factors[item.field].group == "task"
        and item.weight.direction.value != outcome.value  # never neutral: it has a strength
    )
    return Advice(
        outcome=outcome,
        deciding=tuple(agreeing[:DECIDING_FACTORS]),
        open_fields=open_fields,
        staged=staged,
        enabling=enabling,
        outweighed=outweighed[:DECIDING_FACTORS],
    )
