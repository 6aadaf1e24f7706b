"""What an ingest reports: the records the bot shows and the command prints.

Kept free of the pipeline's imports (Chroma, the model, the parsers), so that the Slack layer
and the database can use them without loading any of it.
"""

from pydantic import BaseModel, Field

from ingest.quality_gate import GateVerdict


class SkippedFile(BaseModel):
    file: str
    reason: str


class DocumentChange(BaseModel):
    """One document added, updated or deleted by a run, as an admin recognises it."""

    change: str  # added | updated | deleted
    doc: str
    title: str
    chunks: int = Field(description="Chunks of the document in the new version (0 if deleted).")


class IngestSummary(BaseModel):
    """What a run did; `--json` prints exactly this."""

    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    skipped: int = 0
    chunks: int = 0
    seconds: float = 0.0
    embedded: int = 0
    rebuilt: bool = False
    dry_run: bool = False
    version: str | None = None
    skipped_files: list[SkippedFile] = []
    changes: dict[str, list[str]] = {}
    documents: list[DocumentChange] = []
    gate: GateVerdict | None = Field(
        None, description="The quality gate's verdict on the new version (None: no checks ran)."
    )
    published: bool = Field(
        True, description="False when the gate kept the new version aside: nothing changed."
    )
