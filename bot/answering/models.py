"""The answer engine's results: one pydantic model per concept, rendered by every front end.

The Slack views, the CLI and the JSON output are renderings of `Answer`; the engine knows
nothing of how it is displayed.
"""

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from bot.assessment.recommendation import Outcome
from ingest.records import Claim


class Intent(StrEnum):
    """What kind of answer a question asks for; it decides which passages qualify and the shape."""

    definition = "definition"  # "in short, what is fine-tuning?"
    which = "which"  # which is better on an aspect: "which is cheaper per request?"
    situation = "situation"  # a team describes itself: "we are … should we …"
    pros = "pros"  # advantages, benefits, strengths
    cons = "cons"  # downsides, risks, limitations, challenges
    howto = "howto"  # steps, phases, process, how to sequence
    examples = "examples"  # use cases, applications, where it fits best
    comparison = "comparison"  # side by side, a comparison table
    fact = "fact"  # anything else: a plain question of fact


class Turn(BaseModel):
    """An earlier exchange in the conversation, used to understand follow-up questions."""

    question: str
    answer: str


class Citation(BaseModel):
    """The source behind a marker `[n]` in an answer's text."""

    n: int
    doc: str
    title: str
    section: str
    url: str | None = None
    text: str = Field(description="The cited chunk's text.")
    trust: Literal["normal", "low"] = Field(
        "normal", description="`low` when an admin marked the document so (front matter)."
    )


class ComparisonRow(BaseModel):
    """One aspect of a side-by-side comparison; `citations` are the markers behind its cells."""

    aspect: str
    prompt_engineering: str
    fine_tuning: str
    citations: list[int] = Field(default_factory=list)


class CitedClaim(BaseModel):
    """A knowledge-model claim an answer rests on, with the marker of its chunk."""

    n: int
    claim: Claim


class Answer(BaseModel):
    """A grounded, cited answer to one question, or a plain decline."""

    question: str
    text: str = Field(
        description="Markdown-ish: sentences each followed by [n]; may use **bold** and '- ' lists."
    )
    citations: list[Citation] = Field(default_factory=list)
    grounded: bool = Field(
        description="False: declined, nothing in the knowledge base supports an answer."
    )
    intent: Intent = Intent.fact
    verdict: Outcome | None = Field(
        None, description="What the answer recommends or finds favoured, for decision questions."
    )
    claims: list[CitedClaim] = Field(
        default_factory=list, description="The knowledge-model claims the answer draws on."
    )
    disagreement: bool = False
    comparison: list[ComparisonRow] = Field(default_factory=list)
    intake: dict[str, str | bool] = Field(
        default_factory=dict,
        description="For a team describing its situation: the intake answers it stated "
        "(intake field -> option value), so a front end can offer the full assessment prefilled.",
    )
    note: str | None = Field(
        None,
        description="e.g. 'The language model was unavailable; showing the extractive answer.'",
    )
    timings: dict[str, float] = Field(default_factory=dict, description="Milliseconds per stage.")
    retrieved: list[str] = Field(
        default_factory=list,
        description="Chunk ids retrieved for the question, best first (for evaluation).",
    )
