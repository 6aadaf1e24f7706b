"""The records the index stores and returns: one source of truth for every reader and writer."""

from pydantic import BaseModel, ConfigDict, Field


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
    hash: str = Field(description="sha256 of `text`.")

    def embedding_text(self) -> str:
        """The text the model embeds: the section path gives a chunk its context."""
        return f"{self.section}\n{self.text}" if self.section else self.text

    def chroma_metadata(self) -> dict[str, str | int]:
        """Chroma metadata values must be scalars; `None` is not allowed."""
        fields = self.model_dump(exclude={"id", "text"})
        return {key: value for key, value in fields.items() if value is not None}


class SearchHit(ChunkRecord):
    """A chunk found by a search, with its cosine similarity to the query (higher is closer)."""

    score: float
