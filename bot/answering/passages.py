"""Cut chunks into passages: the readable, citable sentences an extractive answer is made of.

A chunk's Markdown is read block by block. Paragraphs give their sentences; a list item gives
its sentences (a short list under a lead-in line "...:" becomes one sentence, "lead-in: a; b;
c."); a table row becomes one line that reads like a sentence. Rows of a table whose columns
are the two approaches keep their cells per approach, for side-by-side comparisons.
"""

import re
from dataclasses import dataclass, field

from bot.answering.text import (
    APPROACH_NAMES,
    approaches_in,
    lower_first,
    sentence_case,
    split_sentences,
    strip_inline_markdown,
    words,
)
from ingest.records import ChunkRecord

_LIST_ITEM = re.compile(r"^(\s*)(?:[-*+]|\d+[.)])\s+(.*)$")
_HEADING_NUMBER = re.compile(r"^(?:[IVXLC]+|\d+)\.\s+")
_TABLE_SEPARATOR = re.compile(r"^\|?\s*:?-{3,}")
# Self-promotion and calls to action: the writer speaking for a company ("we", "our", "us"),
# hiring and contact offers, contact details. Such sentences are never used in an answer.
_PROMOTIONAL = re.compile(
    r"\b(?:we|we're|we'll|we've|our|ours|us|hire|hiring|consultation|subscribe|newsletter|"
    r"contact|clients?)\b|[\w.+-]+@[\w-]+\.\w+|https?://|www\.",
    re.IGNORECASE,
)
# Calls to action open with one of these verbs ("Explore…", "Find out…", "Hire…").
_CALL_TO_ACTION = re.compile(
    r"^(?:explore|discover|learn|find out|get|download|sign up|click|join|visit|call|book|"
    r"subscribe|follow|contact|hire|talk|scale|check out|read more|register)\b",
    re.IGNORECASE,
)
# Text addressed to an AI system rather than to readers: a prompt injection planted in a
# document. Such a sentence is data at most; it never becomes part of an answer.
_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.]{0,40}\b(?:instructions?|prompts?|rules|guidelines)\b|"
    r"\byou are now\b|\bsystem prompt\b|\bnew instructions\b|\bas an ai\b",
    re.IGNORECASE,
)
# "Fine-tuning: Retrains the model…" — a list item led by a short label
_LABEL = re.compile(r"^([^:.]{2,40}):\s")
_PRONOUN = re.compile(r"^(?:it|its|it's|this|they)\b", re.IGNORECASE)
MERGED_LIST_MAX_CHARS = 420
MIN_WORDS = 4


@dataclass(frozen=True)
class TableRow:
    """One row of a table: its label (first cell) and the other cells under their headers."""

    label: str
    cells: tuple[tuple[str, str], ...]
    by_approach: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Passage:
    """One citable line of a chunk: a sentence, a list item or a table row, reading well alone."""

    chunk: int  # position of the chunk in the corpus
    text: str  # what the answer shows
    heading: str  # the chunk's innermost heading, its context
    kind: str  # "sentence", "item" or "row"
    order: int  # position inside the chunk
    row: TableRow | None = None
    promotional: bool = False
    instruction: bool = False  # reads like an instruction to an AI (a planted prompt injection)

    @property
    def usable(self) -> bool:
        """Whether an answer may use the passage: neither advertising nor an instruction."""
        return not (self.promotional or self.instruction)

    @property
    def embedding_text(self) -> str:
        return f"{self.heading}: {self.text}" if self.heading else self.text


@dataclass
class _Item:
    indent: int
    lines: list[str]
    children: list["_Item"] = field(default_factory=list)

    @property
    def text(self) -> str:
        head, *rest = [strip_inline_markdown(line) for line in self.lines]
        if rest and head[-1:] not in ".!?:":
            return f"{head}: {lower_first(' '.join(rest))}"
        return " ".join([head, *rest])


def passages_of(chunk: ChunkRecord, chunk_position: int) -> list[Passage]:
    """The passages of one chunk, in reading order; fragments and promotion flagged or dropped."""
    heading = (
        _HEADING_NUMBER.sub("", chunk.section.split(" > ")[-1]).strip() if chunk.section else ""
    )
    texts: list[tuple[str, str, TableRow | None]] = []
    lead_in: str | None = None
    for kind, block in _blocks(chunk.text):
        if kind == "paragraph":
            sentences = split_sentences(strip_inline_markdown(" ".join(block)))
            lead_in = sentences.pop() if sentences and sentences[-1].endswith(":") else None
            texts += [(sentence, "sentence", None) for sentence in sentences]
        elif kind == "list":
            texts += [(text, "item", None) for text in _list_texts(block, lead_in, heading)]
            lead_in = None
        else:
            texts += [(text, "row", row) for text, row in _table_texts(block, heading)]
            lead_in = None
    passages = []
    for text, kind, row in texts:
        if not _readable(text) or (kind == "sentence" and text[-1] not in '.!?"”)'):
            continue
        passages.append(
            Passage(
                chunk=chunk_position,
                text=text,
                heading=heading,
                kind=kind,
                order=len(passages),
                row=row,
                promotional=bool(_PROMOTIONAL.search(text) or _CALL_TO_ACTION.match(text)),
                instruction=bool(_INSTRUCTION.search(text)),
            )
        )
    return passages


def _readable(text: str) -> bool:
    """A passage must stand alone: a sentence start and a few words (chunk cuts leave stubs)."""
    return bool(text) and (text[0].isupper() or text[0] in '"“') and len(words(text)) >= MIN_WORDS


def _blocks(text: str):
    """("paragraph", lines), ("list", items) and ("table", lines) blocks of a chunk's Markdown."""
    kind, block = None, []
    for line in text.splitlines():
        stripped = line.strip()
        item = _LIST_ITEM.match(line)
        if not stripped:
            if kind == "paragraph":
                yield kind, block
                kind, block = None, []
            continue
        if stripped.startswith("|"):
            if kind != "table":
                if block:
                    yield kind, block
                kind, block = "table", []
            block.append(stripped)
        elif item:
            if kind != "list":
                if block:
                    yield kind, block
                kind, block = "list", []
            block.append(_Item(len(item.group(1)), [item.group(2).strip()]))
        elif kind == "list" and line[:1].isspace():
            block[-1].lines.append(stripped)
        else:
            if kind not in (None, "paragraph"):
                yield kind, block
                kind, block = None, []
            kind = "paragraph"
            block.append(stripped)
    if block:
        yield kind, block


def _nest(items: list[_Item]) -> list[_Item]:
    """Attach each more-indented item to the item above it."""
    roots: list[_Item] = []
    stack: list[_Item] = []
    for item in items:
        while stack and stack[-1].indent >= item.indent:
            stack.pop()
        (stack[-1].children if stack else roots).append(item)
        stack.append(item)
    return roots


def _list_texts(items: list[_Item], lead_in: str | None, heading: str) -> list[str]:
    roots = _nest(items)
    if lead_in and all(
        not root.children and len(split_sentences(root.text)) == 1 for root in roots
    ):
        merged = f"{lead_in} {'; '.join(lower_first(root.text).rstrip('.') for root in roots)}."
        if len(merged) <= MERGED_LIST_MAX_CHARS:
            return [merged]
    texts: list[str] = []
    for root in roots:
        text = root.text
        if root.children:
            joined = "; ".join(lower_first(child.text).rstrip(".") for child in root.children)
            text = f"{text.rstrip(':')}: {joined}"
        sentences = split_sentences(text)
        label = _LABEL.match(sentences[0]) if sentences else None
        for position, sentence in enumerate(sentences):
            if position and label and not approaches_in(sentence) and not _PRONOUN.match(sentence):
                sentence = f"{label.group(1)} — {lower_first(sentence)}"
            texts.append(_with_context(sentence_case(sentence), heading))
    return texts


def _with_context(text: str, heading: str) -> str:
    """A list item that names no approach under a heading that names one gets the heading."""
    if heading and not approaches_in(text) and approaches_in(heading):
        return f"{heading.rstrip(':')} — {lower_first(text)}"
    return text


def _cells(line: str) -> list[str]:
    return [strip_inline_markdown(cell.strip()) for cell in line.strip().strip("|").split("|")]


def _table_texts(lines: list[str], heading: str) -> list[tuple[str, TableRow]]:
    """Each data row as a sentence-like line.

    "Cost: prompt engineering — low…; fine-tuning — high…" for a table comparing the approaches,
    "Label — header: cell; header: cell" for any other.
    """
    if len(lines) < 3 or not _TABLE_SEPARATOR.match(lines[1]):
        return []
    header = _cells(lines[0])
    columns: dict[str, int] = {}
    for index, name in enumerate(header[1:], start=1):
        found = approaches_in(name)
        if len(found) == 1:
            columns.setdefault(found.pop(), index)
    comparing = len(columns) == 2
    rows = []
    for line in lines[2:]:
        cells = _cells(line)
        if len(cells) < 2 or not cells[0]:
            continue
        cells += [""] * (len(header) - len(cells))
        label = cells[0]
        pairs = tuple(
            (header[index], cells[index]) for index in range(1, len(header)) if cells[index]
        )
        if comparing:
            by_approach = {approach: cells[index] for approach, index in columns.items()}
            body = "; ".join(
                f"{APPROACH_NAMES[approach]} — {lower_first(cell).rstrip('.')}"
                for approach, cell in sorted(
                    by_approach.items(), key=lambda pair: pair[0] != "prompt_engineering"
                )
                if cell
            )
            text = f"{label}: {body}."
        else:
            by_approach = {}
            body = "; ".join(
                f"{lower_first(name)}: {lower_first(cell).rstrip('.')}" for name, cell in pairs
            )
            prefix = (
                f"{heading.rstrip(':')} — {label}" if heading and approaches_in(heading) else label
            )
            text = f"{prefix} — {body}."
        rows.append((text, TableRow(label=label, cells=pairs, by_approach=by_approach)))
    return rows
