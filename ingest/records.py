"""The records the index stores and returns: one source of truth for every reader and writer."""

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

KNOWLEDGE_METADATA = "knowledge"  # the Chroma metadata key holding sentences and claims as JSON


class Sentence(BaseModel):
    """One citable line of a chunk: a sentence, a list item or a table row, reading alone."""

    model_config = ConfigDict(frozen=True)

    text: str
    kind: Literal["sentence", "item", "row"]
    heading: str = Field(
        "", description="Its context: the chunk's innermost heading, and the label it was led by."
    )
    subject: str | None = Field(
        None, description="The approach its leading label named ('Fine-tuning: Retrains…')."
    )
    promotional: bool = Field(False, description="Advertising or a call to action.")
    instruction: bool = Field(False, description="Addressed to an AI (a planted injection).")
    quoted: bool = Field(False, description="A quotation, e.g. an example prompt: not a claim.")

    @property
    def usable(self) -> bool:
        """Whether an answer may state it: not advertising, an instruction or a quotation."""
        return not (self.promotional or self.instruction or self.quoted)

    @property
    def embedding_text(self) -> str:
        """The text the model embeds: the heading gives a sentence its context."""
        return sentence_embedding_text(self.heading, self.text)


def sentence_embedding_text(heading: str, text: str) -> str:
    return f"{heading}: {text}" if heading else text


class Claim(BaseModel):
    """A structured statement of a chunk about one approach.

    A comparison-table cell is (aspect, approach, statement); a list item under a pros, cons,
    limitations or "when to use" heading is (approach, polarity or scenario, statement).
    """

    model_config = ConfigDict(frozen=True)

    kind: Literal["cell", "item"]
    approach: str = Field(description="An approach id of ingest/approaches.yaml.")
    statement: str
    aspect: str | None = Field(None, description="A table cell's row label, e.g. `Cost`.")
    polarity: Literal["pro", "con"] | None = None
    scenario: bool = Field(False, description="A case where the approach fits best.")
    sentence: int | None = Field(
        None, description="Index in the chunk's `sentences` of the line that states it."
    )


class ChunkRecord(BaseModel):
    """One retrievable piece of a document, with the metadata a citation needs."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Deterministic: `{doc}:{position}:{hash[:12]}`.")
    doc: str = Field(description="Document id: the file stem in knowledge/.")
    title: str
    section: str = Field(description="Heading path inside the document, `A > B`; '' at the top.")
    position: int = Field(description="Order of the chunk inside its document, from 0.")
    kind: str = Field(description="`text`, `list` or `table`: what the chunk is made of.")
    text: str
    url: str | None = None
    trust: Literal["normal", "low"] = Field(
        "normal",
        description="An admin's `trust: low` in the front matter: shown beside the citation "
        "and weighted down in retrieval.",
    )
    hash: str = Field(description="sha256 of `text`.")
    sentences: tuple[Sentence, ...] = Field(
        (), description="The chunk's citable lines, in reading order (the knowledge model)."
    )
    claims: tuple[Claim, ...] = Field((), description="The structured claims the chunk holds.")

    @model_validator(mode="before")
    @classmethod
    def _knowledge_from_metadata(cls, data: Any) -> Any:
        """Chroma metadata holds sentences and claims as one JSON string (scalars only)."""
        if isinstance(data, dict) and isinstance(data.get(KNOWLEDGE_METADATA), str):
            data = dict(data)
            data.update(json.loads(data.pop(KNOWLEDGE_METADATA)))
        return data

    def embedding_text(self) -> str:
        """The text the model embeds: the section path gives a chunk its context."""
        return f"{self.section}\n{self.text}" if self.section else self.text

    def chroma_metadata(self) -> dict[str, str | int]:
        """Chroma metadata values must be scalars; `None` is not allowed."""
        fields = self.model_dump(exclude={"id", "text", "sentences", "claims"})
        metadata = {key: value for key, value in fields.items() if value is not None}
        knowledge = self.model_dump(mode="json", include={"sentences", "claims"})
        metadata[KNOWLEDGE_METADATA] = json.dumps(knowledge, ensure_ascii=False)
        return metadata


class SearchHit(ChunkRecord):
    """A chunk found by a search, with its cosine similarity to the query (higher is closer)."""

    score: float
