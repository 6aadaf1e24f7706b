"""The guided assessment: an intake of a team's answers and an explained, cited recommendation."""

from bot.assessment.evidence import Citation
from bot.assessment.intake import (
    STEPS,
    IntakeAnswers,
    InvalidAnswersError,
    Question,
    parse_answers,
    parse_answers_json,
)
from bot.assessment.recommend import recommend
from bot.assessment.recommendation import (
    Change,
    Counterfactual,
    Factor,
    Outcome,
    Recommendation,
)
from bot.assessment.weights import Direction

__all__ = [
    "STEPS",
    "Change",
    "Citation",
    "Counterfactual",
    "Direction",
    "Factor",
    "IntakeAnswers",
    "InvalidAnswersError",
    "Outcome",
    "Question",
    "Recommendation",
    "parse_answers",
    "parse_answers_json",
    "recommend",
]
