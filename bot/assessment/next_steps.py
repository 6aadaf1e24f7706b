"""The next steps of each outcome, read from `next_steps.yaml` and fitted to the answers."""

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.assessment.intake import IntakeAnswers
from bot.assessment.recommendation import Outcome
from bot.assessment.weights import EvidenceQuery

NEXT_STEPS_FILE = Path(__file__).with_name("next_steps.yaml")


class Step(BaseModel):
    """One step; given only when the answers match `when` (and `lacking`, if it has one)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str
    when: dict[str, tuple[str, ...]] = {}
    lacking: dict[str, dict[str, str]] = Field(
        default={}, description="field -> value -> item named in the text's {lacking} slot."
    )

    @model_validator(mode="after")
    def _slot_iff_items(self) -> "Step":
        if ("{lacking}" in self.text) != bool(self.lacking):
            raise ValueError("a step has a {lacking} slot exactly when it lists lacking items")
        return self

    def fitted(self, answers: IntakeAnswers) -> str | None:
        """The step's text for these answers, or None when it does not apply to them."""
        if any(answers.value_of(field) not in values for field, values in self.when.items()):
            return None
        if not self.lacking:
            return self.text
        items = [
            items[answers.value_of(field)]
            for field, items in self.lacking.items()
            if answers.value_of(field) in items
        ]
        return self.text.format(lacking="; ".join(items)) if items else None


class Plan(BaseModel):
    """The steps of one outcome and the query for the passage that backs them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    evidence: EvidenceQuery
    steps: tuple[Step, ...]

    def fitted(self, answers: IntakeAnswers) -> list[str]:
        """The steps that apply to these answers, in order."""
        return [text for step in self.steps if (text := step.fitted(answers)) is not None]


@cache
def load_plans(path: Path = NEXT_STEPS_FILE) -> dict[Outcome, Plan]:
    """The plan of every outcome (a mistake in the file fails loudly)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    plans = {Outcome(name): Plan.model_validate(plan) for name, plan in raw.items()}
    if set(plans) != set(Outcome):
        raise ValueError(f"{path.name}: give a plan for each of {[o.value for o in Outcome]}")
    return plans
