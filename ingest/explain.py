"""`ingest --explain DOC`: every block of a document, kept or removed by cleaning, and why.

The decisions are the ones ingest makes (the same parser, embedder and cleaning call), so what
an admin reads here is what the index holds. To overrule them for one document, set front
matter `keep: all`, or `keep:` with a list of headings whose sections must stay.
"""

from pathlib import Path

from pydantic import BaseModel

from ingest.cleaning import remove_boilerplate
from ingest.embedding import load_ingest_embedder
from ingest.parsing import parse_document, redact_document
from ingest.settings import IndexSettings
from ingest.vectors import IngestVectors, ingest_threads

PREVIEW_CHARS = 90


class ExplainedBlock(BaseModel):
    position: int
    kind: str
    kept: bool
    reason: str
    similarity: float | None = None
    threshold: float | None = None
    text: str


class DocumentExplanation(BaseModel):
    doc: str
    title: str
    path: str
    keep: str | list[str] | None = None
    blocks: list[ExplainedBlock]

    @property
    def kept(self) -> int:
        return sum(block.kept for block in self.blocks)


def explain_document(path: Path, settings: IndexSettings) -> DocumentExplanation:
    """Parse and clean one document as ingest does, keeping every decision."""
    document = parse_document(path)
    redact_document(document)  # as ingest does: no credential is shown, nor embedded
    vectors = IngestVectors(load_ingest_embedder(settings), threads=ingest_threads(settings))
    result = remove_boilerplate(
        document.blocks,
        vectors.topics(document),
        title=document.title,
        keep=document.keep,
    )
    return DocumentExplanation(
        doc=document.doc_id,
        title=document.title,
        path=str(path),
        keep=document.keep,
        blocks=[
            ExplainedBlock(
                position=position,
                kind=decision.block.kind,
                kept=decision.kept,
                reason=decision.reason,
                similarity=None if decision.similarity is None else round(decision.similarity, 3),
                threshold=None if decision.threshold is None else round(decision.threshold, 3),
                text=decision.block.text,
            )
            for position, decision in enumerate(result.decisions)
        ],
    )


def explanation_lines(explanation: DocumentExplanation) -> list[str]:
    """One line per block: position, KEPT/REMOVED, score against the threshold, reason, text."""
    total = len(explanation.blocks)
    lines = [
        f"{explanation.title} ({explanation.doc}): {explanation.kept} of {total} blocks kept"
        + (f"; front matter keep: {explanation.keep}" if explanation.keep else ""),
        "score = similarity to the page's topic, kept in the main run when >= threshold",
        "",
    ]
    for block in explanation.blocks:
        mark = "KEPT   " if block.kept else "REMOVED"
        score = (
            f"{block.similarity:5.2f} {'>=' if block.similarity >= block.threshold else '< '} "
            f"{block.threshold:.2f}"
            if block.similarity is not None and block.threshold is not None
            else " " * 12
        )
        text = " ".join(block.text.split())
        preview = text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"
        where = f"{block.position + 1:>4}/{total}"
        lines.append(f"{where} {mark} {score}  {block.kind:<9} {preview}")
        lines.append(" " * (len(where) + len(mark) + len(score) + 4) + f"→ {block.reason}")
    return lines
