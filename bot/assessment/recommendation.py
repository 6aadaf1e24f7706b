"""The recommendation: one model that the terminal, JSON and the Slack modal all render."""

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.assessment import messages
from bot.assessment.evidence import Citation
from bot.assessment.intake import IntakeAnswers
from bot.assessment.weights import Direction


class Outcome(StrEnum):
    """What the assessment recommends."""

    prompt_engineering = "prompt_engineering"
    fine_tuning = "fine_tuning"
    hybrid = "hybrid"

    @property
    def label(self) -> str:
        return messages.outcome_label(self.value)


class Scores(BaseModel):
    """The two sums behind the outcome (see weights.yaml for how they are read)."""

    model_config = ConfigDict(frozen=True)

    need: int = Field(description="How much the task calls for fine-tuning (task answers).")
    readiness: int = Field(description="How ready the team is to fine-tune (resource answers).")
    pull_to_prompts: int = Field(
        description="The task answers' pulls toward prompt engineering alone (e.g. frequent "
        "change): a task with strong ones keeps prompts in the mix."
    )
    missing: tuple[str, ...] = Field(
        description="Fields whose answer rules fine-tuning out for now (e.g. labeled_data)."
    )


class Factor(BaseModel):
    """One answer that matters: which way it pushes, how strongly, why, and the source."""

    model_config = ConfigDict(frozen=True)

    field: str
    label: str = Field(description="The question's label, e.g. `Labeled data`.")
    value: str
    value_label: str = Field(description="The answer's name, e.g. `Specialized`.")
    direction: Direction
    strength: int = Field(ge=1, le=3, description="1 weak, 2 moderate, 3 strong.")
    explanation: str
    citation: Citation | None = Field(
        description="The passage backing the line; None only if the knowledge base has none."
    )


class Change(BaseModel):
    """One answer changed, in a counterfactual."""

    model_config = ConfigDict(frozen=True)

    field: str
    current: str
    suggested: str


class Counterfactual(BaseModel):
    """The smallest change of answers that gives another outcome."""

    model_config = ConfigDict(frozen=True)

    changes: list[Change]
    outcome: Outcome
    summary: str


class Recommendation(BaseModel):
    """The outcome of an assessment, explained factor by factor and cited."""

    model_config = ConfigDict(frozen=True)

    answers: IntakeAnswers
    outcome: Outcome
    summary: str = Field(description="One line: the outcome and the main reason.")
    confidence: float = Field(
        ge=0,
        le=1,
        description="How robust the outcome is: grows with the share of answer sets one step "
        "away from these (one answer moved to a neighbouring option) that keep it.",
    )
    scores: Scores
    factors: list[Factor] = Field(description="Strongest first.")
    counterfactual: Counterfactual | None = Field(
        description="None when no change of up to three answers changes the outcome."
    )
    next_steps: list[str] = Field(min_length=3, max_length=5)
    citations: list[Citation] = Field(
        description="Every passage cited (by the factors, then by the next steps), once each."
    )

    def citation_number(self, citation: Citation) -> int:
        """The 1-based number of a cited passage in `citations`."""
        return next(
            number
            for number, cited in enumerate(self.citations, 1)
            if cited.chunk_id == citation.chunk_id and cited.text == citation.text
        )

    def report(self) -> dict[str, Any]:
        """The JSON object `ai-strategy assess --json` prints."""
        data = self.model_dump(mode="json")
        return {
            "recommendation": data["outcome"],
            "confidence": data["confidence"],
            "factors": data["factors"],
            "counterfactual": data["counterfactual"],
            "next_steps": data["next_steps"],
            "citations": data["citations"],
        }
