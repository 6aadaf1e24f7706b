"""The answer engine's results: one pydantic model per concept, rendered by every front end.

The Slack views, the CLI and the JSON output are renderings of `Answer`; the engine knows
nothing of how it is displayed.
"""

from pydantic import BaseModel, Field


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


class ComparisonRow(BaseModel):
    """One aspect of a side-by-side comparison; `citations` are the markers behind its cells."""

    aspect: str
    prompt_engineering: str
    fine_tuning: str
    citations: list[int] = Field(default_factory=list)


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
