"""The weights of the assessment, read from `weights.yaml` and checked against the intake."""

from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.assessment.intake import IntakeAnswers

WEIGHTS_FILE = Path(__file__).with_name("weights.yaml")
# libyaml's parser when PyYAML was built with it: a tenth of the pure-Python parser's time, which
# a cold `ask` would otherwise spend reading these files.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Direction(StrEnum):
    """Which way an answer pushes the recommendation."""

    prompt_engineering = "prompt_engineering"
    fine_tuning = "fine_tuning"
    neutral = "neutral"


class EvidenceQuery(BaseModel):
    """What to look for in the knowledge index to back one line of the recommendation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    query: str
    key_terms: tuple[tuple[str, ...], ...] = Field(
        min_length=1,
        description="Groups of alternative terms (prefixes of words, any case); a passage is "
        "cited only if it holds a term of every group.",
    )


class Weight(BaseModel):
    """How one answer pushes the recommendation, why, and where the sources say so."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    direction: Direction
    strength: int = Field(ge=0, le=3)
    explanation: str
    evidence: EvidenceQuery | None = None

    @property
    def signed(self) -> int:
        """The strength as a score: positive toward fine-tuning, negative toward prompts."""
        if self.direction is Direction.fine_tuning:
            return self.strength
        if self.direction is Direction.prompt_engineering:
            return -self.strength
        return 0

    @model_validator(mode="after")
    def _pushing_answers_cite(self) -> "Weight":
        if (self.direction is Direction.neutral) != (self.strength == 0):
            raise ValueError("a neutral answer has strength 0, and only a neutral one")
        if self.strength and self.evidence is None:
            raise ValueError("an answer that pushes the recommendation needs evidence")
        return self


class FieldWeights(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    group: Literal["task", "resources"]
    values: dict[str, Weight]


class Decision(BaseModel):
    """The thresholds that turn the two scores into an outcome (see weights.yaml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    need_for_fine_tuning: float
    need_for_fine_tuning_alone: float
    readiness_for_fine_tuning: float
    mixed_needs: float
    fine_tuning_requires: dict[str, tuple[str, ...]]

    @model_validator(mode="after")
    def _no_ties(self) -> "Decision":
        thresholds = (
            self.need_for_fine_tuning,
            self.need_for_fine_tuning_alone,
            self.readiness_for_fine_tuning,
            self.mixed_needs,
        )
        if any(float(threshold).is_integer() for threshold in thresholds):
            raise ValueError("thresholds must lie between whole scores, so that nothing ties")
        return self


class Weights(BaseModel):
    """The whole of weights.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    decision: Decision
    factors: dict[str, FieldWeights]

    @model_validator(mode="after")
    def _covers_the_intake(self) -> "Weights":
        for question in IntakeAnswers.questions():
            if not question.options:
                continue
            weighted = self.factors.get(question.field)
            if weighted is None or set(weighted.values) != set(question.values):
                raise ValueError(f"{question.field}: weigh exactly the values {question.values}")
        for field, values in self.decision.fine_tuning_requires.items():
            if not set(values) <= set(self.factors[field].values):
                raise ValueError(f"fine_tuning_requires: unknown values of {field}")
        return self

    def weight(self, field: str, value: str) -> Weight:
        """The weight of one answer."""
        return self.factors[field].values[value]


@cache
def load_weights(path: Path = WEIGHTS_FILE) -> Weights:
    """The weights file, validated (a mistake in it fails loudly, naming the entry)."""
    return Weights.model_validate(yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER))
