"""From answers to an outcome, how robust it is, and what would change it (no index needed).

The answers of the task group add up to `need` (how much the task calls for fine-tuning), those
of the resources group to `readiness`; weights.yaml says why the two are kept apart and holds
the thresholds that turn them into an outcome.
"""

from collections.abc import Iterator, Mapping
from itertools import combinations, product

from bot.assessment.intake import IntakeAnswers, Question
from bot.assessment.recommendation import Change, Outcome, Scores
from bot.assessment.weights import Direction, Weights

CONFIDENCE_FLOOR = 0.35
CONFIDENCE_SPAN = 0.6


def score(answers: IntakeAnswers, weights: Weights) -> Scores:
    """The sums of the weights of the answers, by group, and what rules fine-tuning out."""
    return score_known({field: answers.value_of(field) for field in weights.factors}, weights)


def score_known(known: Mapping[str, str], weights: Weights) -> Scores:
    """The sums over the answers known so far (e.g. what a question states of a team's
    situation): an answer not given pushes neither way and rules nothing out."""
    need = readiness = pull_to_prompts = 0
    for field, value in known.items():
        weighted = weights.factors.get(field)
        if weighted is None:
            continue
        weight = weighted.values[value]
        if weighted.group == "task":
            need += weight.signed
            if weight.direction is Direction.prompt_engineering:
                pull_to_prompts += weight.strength
        else:
            readiness += weight.signed
    missing = tuple(
        field
        for field, allowed in weights.decision.fine_tuning_requires.items()
        if field in known and known[field] not in allowed
    )
    return Scores(need=need, readiness=readiness, pull_to_prompts=pull_to_prompts, missing=missing)


def is_ready(scores: Scores, weights: Weights) -> bool:
    """Whether the team can fine-tune now: nothing required is missing, and enough resources."""
    return not scores.missing and scores.readiness > weights.decision.readiness_for_fine_tuning


def decide(scores: Scores, weights: Weights) -> Outcome:
    """The outcome of the scores: the rules of weights.yaml, in order."""
    rules = weights.decision
    if scores.need < rules.need_for_fine_tuning:
        return Outcome.prompt_engineering
    if not is_ready(scores, weights):
        return Outcome.hybrid  # staged: prompts now, fine-tuning once the team is ready
    if scores.need < rules.need_for_fine_tuning_alone or scores.pull_to_prompts > rules.mixed_needs:
        return Outcome.hybrid  # fine-tune the stable core, keep prompts for the rest
    return Outcome.fine_tuning


def outcome_of(answers: IntakeAnswers, weights: Weights) -> Outcome:
    """The outcome the weights give these answers."""
    return decide(score(answers, weights), weights)


def held_back_by(answers: IntakeAnswers, weights: Weights) -> list[str]:
    """The resource fields whose answers pull away from fine-tuning (what a team would line up)."""
    return [
        field
        for field, weighted in weights.factors.items()
        if weighted.group == "resources"
        and weighted.values[answers.value_of(field)].direction is Direction.prompt_engineering
    ]


def confidence(answers: IntakeAnswers, weights: Weights) -> float:
    """How robust the outcome is: the share of one-step neighbours that keep it, mapped to
    [0.35, 0.95], since five articles are guidance, never certainty."""
    outcome = outcome_of(answers, weights)
    nearby = list(_neighbours(answers))
    same = sum(outcome_of(other, weights) is outcome for other in nearby)
    return round(CONFIDENCE_FLOOR + CONFIDENCE_SPAN * same / len(nearby), 2)


def counterfactual(answers: IntakeAnswers, weights: Weights) -> tuple[list[Change], Outcome] | None:
    """The smallest change of one, two or three answers that gives another outcome, or None.

    Smallest means fewest answers changed, then fewest steps along the options (none → thousands
    is two steps), then changes of resources before facts of the task (a team can act on those),
    then the order of the questions: a fixed order, so the same answers always get the same one.
    """
    outcome = outcome_of(answers, weights)
    questions = [question for question in IntakeAnswers.questions() if question.options]
    for size in (1, 2, 3):
        candidates = []
        for fields in combinations(questions, size):
            for values in product(*(_other_values(answers, question) for question in fields)):
                changes = dict(zip((question.field for question in fields), values, strict=True))
                candidates.append((_cost(answers, fields, changes, weights), changes))
        # A stable sort: equal costs keep the order of the questions and of their options.
        for _, changes in sorted(candidates, key=lambda candidate: candidate[0]):
            other = outcome_of(answers.with_values(changes), weights)
            if other is not outcome:
                return [
                    Change(field=field, current=answers.value_of(field), suggested=value)
                    for field, value in changes.items()
                ], other
    return None


def _other_values(answers: IntakeAnswers, question: Question) -> list[str]:
    return [value for value in question.values if value != answers.value_of(question.field)]


def _steps(question: Question, current: str, suggested: str) -> int:
    return abs(question.values.index(current) - question.values.index(suggested))


def _cost(
    answers: IntakeAnswers, fields: tuple[Question, ...], changes: dict[str, str], weights: Weights
) -> tuple[int, int]:
    steps = sum(
        _steps(question, answers.value_of(question.field), changes[question.field])
        for question in fields
    )
    task_facts = sum(weights.factors[question.field].group == "task" for question in fields)
    return steps, task_facts


def _neighbours(answers: IntakeAnswers) -> Iterator[IntakeAnswers]:
    """Every answer set that differs from these by one step of one answer."""
    for question in IntakeAnswers.questions():
        if not question.options:
            continue
        position = question.values.index(answers.value_of(question.field))
        for step in (-1, 1):
            if 0 <= position + step < len(question.values):
                yield answers.with_values({question.field: question.values[position + step]})
