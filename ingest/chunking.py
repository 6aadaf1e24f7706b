"""Cut a cleaned document into chunks along its structure, each small enough for the model.

Chunks never cross a heading. Whole paragraphs, list items and table rows are packed together
up to the token budget; a list item or table row is never cut in half, and a table's header row
is repeated at the top of each of its chunks so that every row stays readable. Only a single
paragraph or list item longer than the budget is split, at sentence boundaries, by LangChain's
token-aware splitter. The budget is counted with the embedding model's own tokenizer and covers
the section path that is embedded with the text, so the model never truncates a chunk.
"""

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from ingest.knowledge import read_chunk
from ingest.parsing import Block, ParsedDocument
from ingest.records import ChunkRecord
from ingest.text import full_stop_pattern

TokenCounter = Callable[[str], int]
# Where an oversized paragraph may be cut, best first (regular expressions).
_SEPARATORS = [
    "\n\n",
    "\n",
    full_stop_pattern(),
    *(re.escape(stop) for stop in ("? ", "! ", "; ", ", ", " ")),
    "",
]


@dataclass(frozen=True)
class ChunkingLimits:
    max_tokens: int  # of document text in one chunk
    model_tokens: int  # what the model reads, for section path + text together
    overlap_tokens: int = 0


def document_trust(metadata: dict[str, str]) -> str:
    """`low` when the front matter says `trust: low` (any case); `normal` otherwise."""
    return "low" if metadata.get("trust", "").strip().lower() == "low" else "normal"


def chunk_document(
    document: ParsedDocument,
    blocks: list[Block],
    count_tokens: TokenCounter,
    limits: ChunkingLimits,
) -> list[ChunkRecord]:
    """The chunks of one document, in reading order, with deterministic ids and each one's
    knowledge model (sentences and claims, `ingest.knowledge`)."""
    chunks: list[ChunkRecord] = []
    for section, kind, text in _pieces(document, blocks, count_tokens, limits):
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        position = len(chunks)
        sentences, claims = read_chunk(section, text)
        chunks.append(
            ChunkRecord(
                id=f"{document.doc_id}:{position}:{digest[:12]}",
                doc=document.doc_id,
                title=document.title,
                section=section,
                position=position,
                kind=kind,
                text=text,
                url=document.url,
                trust=document_trust(document.metadata),
                hash=digest,
                sentences=tuple(sentences),
                claims=tuple(claims),
            )
        )
    return chunks


def section_paths(document: ParsedDocument) -> dict[int, str]:
    """The section path of each content block of a document, by the block's `id()`."""
    return {id(block): path for path, run in _sections(document, document.blocks) for block in run}


def _sections(document: ParsedDocument, blocks: list[Block]) -> Iterator[tuple[str, list[Block]]]:
    """Runs of content blocks with the heading path above them (the page title left out)."""
    path: list[tuple[int, str]] = []
    run: list[Block] = []
    for block in blocks:
        if block.kind != "heading":
            run.append(block)
            continue
        if run:
            yield _path_text(path), run
            run = []
        if block.level == 1 and block.text == document.title:
            continue
        path = [(level, text) for level, text in path if level < block.level]
        path.append((block.level, block.text))
    if run:
        yield _path_text(path), run


def _path_text(path: list[tuple[int, str]]) -> str:
    return " > ".join(text.rstrip(":") for _, text in path)


def _pieces(
    document: ParsedDocument,
    blocks: list[Block],
    count_tokens: TokenCounter,
    limits: ChunkingLimits,
) -> Iterator[tuple[str, str, str]]:
    for section, run in _sections(document, blocks):
        budget = min(limits.max_tokens, limits.model_tokens - count_tokens(section) - 1)
        splitter = _splitter(count_tokens, budget, limits.overlap_tokens)
        pack = _Pack()
        for block in run:
            if block.kind == "table":
                yield from pack.flush(section)
                for rows in _table_chunks(block.text, count_tokens, budget, splitter):
                    yield section, "table", rows
                continue
            for part in _fit(block.text, count_tokens, budget, splitter):
                # +2 for the blank line that joins packed pieces
                cost = count_tokens(part) + (2 if pack.parts else 0)
                if pack.used + cost > budget:
                    yield from pack.flush(section)
                    cost = count_tokens(part)
                pack.add(part, block.kind, cost)
        yield from pack.flush(section)


class _Pack:
    """The pieces of one chunk being filled, up to the budget."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.kinds: set[str] = set()
        self.used = 0

    def add(self, part: str, kind: str, cost: int) -> None:
        self.parts.append(part)
        self.kinds.add(kind)
        self.used += cost

    def flush(self, section: str) -> Iterator[tuple[str, str, str]]:
        if self.parts:
            kind = "list" if self.kinds == {"list_item"} else "text"
            yield section, kind, "\n\n".join(self.parts)
            self.parts, self.kinds, self.used = [], set(), 0


def _splitter(count_tokens: TokenCounter, budget: int, overlap: int):
    return RecursiveCharacterTextSplitter(
        chunk_size=budget,
        chunk_overlap=min(overlap, budget // 4),
        length_function=count_tokens,
        separators=_SEPARATORS,
        is_separator_regex=True,
        keep_separator="end",
    )


def _fit(text: str, count_tokens: TokenCounter, budget: int, splitter) -> list[str]:
    """The text whole when it fits, else its sentence-aligned pieces."""
    if count_tokens(text) <= budget:
        return [text]
    return [piece.strip() for piece in splitter.split_text(text) if piece.strip()]


def _table_chunks(table: str, count_tokens: TokenCounter, budget: int, splitter) -> Iterator[str]:
    """Groups of whole rows, each group under the table's header and separator rows."""
    lines = [line for line in table.splitlines() if line.strip()]
    header = "\n".join(lines[:2]) if len(lines) > 2 else ""
    rows = lines[2:] if header else lines
    room = budget - count_tokens(header) - 1
    group: list[str] = []
    used = 0
    for row in rows:
        cost = count_tokens(row) + 1
        if group and used + cost > room:
            yield _with_header(header, group)
            group, used = [], 0
        if cost > room:  # a single row longer than a chunk: split its text, rows stay whole
            yield from (
                _with_header(header, [piece]) for piece in _fit(row, count_tokens, room, splitter)
            )
            continue
        group.append(row)
        used += cost
    if group:
        yield _with_header(header, group)


def _with_header(header: str, rows: list[str]) -> str:
    return "\n".join([header, *rows]) if header else "\n".join(rows)
