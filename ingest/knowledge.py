"""The knowledge model of a chunk: its citable sentences and the structured claims it holds.

Built once at ingest, stored with each chunk (`ChunkRecord.sentences`, `.claims`) and read by
the answer engine, which never parses text at query time. The chunk's Markdown is read with the
same parser as the documents (markdown-it-py, `ingest.parsing`):

- a paragraph gives its sentences; a short list under a lead-in line "...:" gives one sentence
  ("lead-in: a; b; c."), other list items give their own sentences, nested items joined to
  their parent ("Data preparation: relevant to the task; properly formatted");
- a table row gives one line; a table with one column per approach gives a cell claim
  (aspect = the row label, approach, statement) for each cell;
- a list item, a table row or a sentence under a heading of pros, cons (limitations,
  challenges, risks) or "when to use" (use cases, best-fit examples), or led by such a label
  ("Limitations: …"), gives an item claim: (approach, polarity or scenario, statement). The
  approach is the one the heading, the label, the item or the column names.

Advertising (the writer speaking for a company, calls to action, contact details) and text
addressed to an AI (a planted prompt injection) are flagged, never dropped: the index keeps
the document whole, the engine never quotes them.
"""

import re
from collections.abc import Iterator

from markdown_it.tree import SyntaxTreeNode

from ingest.parsing import markdown_tree
from ingest.records import Claim, Sentence
from ingest.text import (
    approach_mentions,
    approach_names,
    approaches_in,
    lower_first,
    sentence_case,
    split_sentences,
)

_HEADING_NUMBER = re.compile(r"^(?:[IVXLC]+|\d+)\.\s+")
# Self-promotion and calls to action: the writer speaking for a company ("we", "our", "us"),
# hiring and contact offers, contact details.
_PROMOTIONAL = re.compile(
    r"\b(?:we|we're|we'll|we've|our|ours|us|hire|hiring|consultation|subscribe|newsletter|"
    r"contact|clients?)\b|[\w.+-]+@[\w-]+\.\w+|https?://|www\.",
    re.IGNORECASE,
)
_CALL_TO_ACTION = re.compile(
    r"^(?:explore|discover|learn|find out|get|download|sign up|click|join|visit|call|book|"
    r"subscribe|follow|contact|hire|talk|scale|check out|read more|register)\b",
    re.IGNORECASE,
)
# "Platforms like Latitude", "Latitude's platform": a product pitch.
_PRODUCT_PITCH = re.compile(
    r"\b(?i:platforms?|tools?|services?)\s+(?i:like|such as)\s+[A-Z]"
    r"|\b[A-Z][\w-]+'s\s+(?:platform|tool|product|service|solution)s?\b"
)
_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.]{0,40}\b(?:instructions?|prompts?|rules|guidelines)\b|"
    r"\byou are now\b|\bsystem prompt\b|\bnew instructions\b|\bas an ai\b",
    re.IGNORECASE,
)
# "Limitations: The effectiveness…", "Definition: Prompt engineering…": a short leading label.
_LABEL = re.compile(r"^([^:.]{2,40}):\s+(?=\S)")
_PROS = re.compile(r"\b(?:pros|advantages?|benefits?|strengths?|upsides?)\b", re.IGNORECASE)
_CONS = re.compile(
    r"\b(?:cons|disadvantages?|drawbacks?|downsides?|limitations?|challenges?|risks?|"
    r"weaknesses?|trade-?offs?)\b",
    re.IGNORECASE,
)
_SCENARIO = re.compile(
    r"\b(?:when to use|use cases?|best[- ]fit|best suited|examples|applications?|scenarios?|"
    r"when should)\b",
    re.IGNORECASE,
)
# A narrative addressed to the reader ("Imagine you're…", "you might decide…") illustrates;
# it states no claim.
_ADDRESSES_READER = re.compile(
    r"\b(?:imagine|let's|you're|you might|you could|you would)\b", re.IGNORECASE
)
# "The main point of this article is that X": the article speaking of itself; the claim is X.
_SELF_REFERENCE = re.compile(
    r"^(?:the|our|my) (?:main|key|central|whole|core) (?:point|idea|argument|takeaway|message|"
    r"thesis) of (?:this|the) (?:article|post|blog|guide|piece|paper|page) is that\s+(?=\w)",
    re.IGNORECASE,
)
MERGED_LIST_MAX_CHARS = 420
MIN_WORDS = 4


def innermost_heading(section: str) -> str:
    """The last heading of a section path, without its numbering ("II. Exploring X")."""
    return _HEADING_NUMBER.sub("", section.split(" > ")[-1]).strip() if section else ""


def read_chunk(section: str, text: str) -> tuple[list[Sentence], list[Claim]]:
    """The sentences and claims of one chunk's Markdown `text` under its `section` path."""
    heading = innermost_heading(section)
    context = _Context.of(heading)
    sentences: list[Sentence] = []
    claims: list[Claim] = []
    for kind, line, line_claims, own_context, label in _lines(
        markdown_tree(text), heading, context
    ):
        if not _readable(line) or (kind == "sentence" and line[-1] not in '.!?"”)'):
            continue
        line = _without_self_reference(line)
        position = len(sentences)
        named = approaches_in(label)
        sentences.append(
            Sentence(
                text=line,
                kind=kind,
                heading=f"{heading} — {label}" if heading and label else heading or label,
                subject=named.pop() if len(named) == 1 else None,
                quoted=line[:1] in '"“',
                promotional=bool(
                    _PROMOTIONAL.search(line)
                    or _CALL_TO_ACTION.match(line)
                    or _PRODUCT_PITCH.search(line)
                ),
                instruction=bool(_INSTRUCTION.search(line)),
            )
        )
        if sentences[-1].usable and not _ADDRESSES_READER.search(line):
            for claim in [*line_claims, *own_context.claims_for(line, kind)]:
                claims.append(claim.model_copy(update={"sentence": position}))
    return sentences, claims


def _without_self_reference(line: str) -> str:
    """The claim of a sentence that frames it as the article's point."""
    framed = _SELF_REFERENCE.match(line)
    if framed is None:
        return line
    claim = line[framed.end() :]
    return claim[:1].upper() + claim[1:]


class _Context:
    """What a heading or label says of the lines under it: approach, polarity, scenario."""

    def __init__(self, approach: str | None, polarity: str | None, scenario: bool) -> None:
        self.approach, self.polarity, self.scenario = approach, polarity, scenario

    @classmethod
    def of(cls, heading: str, outer: "_Context | None" = None) -> "_Context":
        named = approaches_in(heading)
        approach = named.pop() if len(named) == 1 else None
        cons, pros = bool(_CONS.search(heading)), bool(_PROS.search(heading))
        polarity = None if cons == pros else "con" if cons else "pro"  # "Pros and Cons": neither
        scenario = bool(_SCENARIO.search(heading)) and not (cons or pros)
        if outer is not None:
            approach = approach or outer.approach
            polarity = polarity or outer.polarity
            scenario = scenario or outer.scenario
        return cls(approach, polarity, scenario)

    @property
    def marks(self) -> bool:
        return self.polarity is not None or self.scenario

    def claims_for(self, line: str, kind: str) -> list[Claim]:
        """An item claim for a line under a pros/cons/"when to use" heading or label."""
        if not self.marks or (kind == "row" and self.approach is None):
            return []
        approach = self.approach or _subject(line)
        if approach is None:
            return []
        return [
            Claim(
                kind="item",
                approach=approach,
                statement=line,
                polarity=self.polarity,
                scenario=self.scenario,
            )
        ]


def _subject(line: str) -> str | None:
    mentions = approach_mentions(line)
    return mentions[0][1] if mentions else None


def _lines(
    root: SyntaxTreeNode, heading: str, context: _Context
) -> Iterator[tuple[str, str, list[Claim], _Context, str]]:
    """(kind, line, cell claims, context, leading label) for every line of the chunk."""
    lead_in: str | None = None
    for node in root.children:
        if node.type == "paragraph":
            sentences = split_sentences(_inline(node))
            lead_in = sentences.pop() if sentences and sentences[-1].endswith(":") else None
            label = _LABEL.match(sentences[0]) if sentences else None
            own = _Context.of(label.group(1), context) if label else context
            if label:
                sentences[0] = sentences[0][label.end() :]
            for sentence in sentences:
                yield "sentence", sentence_case(sentence), [], own, label.group(1) if label else ""
        elif node.type in ("bullet_list", "ordered_list"):
            for line, own, lead in _list_lines(node, lead_in, context):
                yield "item", line, [], own, lead
            lead_in = None
        elif node.type == "table":
            for line, claims in _table_lines(node):
                yield "row", line, claims, context, ""
            lead_in = None


def _inline(node: SyntaxTreeNode, *, line_break: str = " ") -> str:
    """Plain text of a block's inline content: markup dropped, line breaks as `line_break`."""
    parts: list[str] = []
    for child in node.walk():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(line_break)
    return re.sub(r"[ \t]+", " ", "".join(parts)).strip()


def _item_text(item: SyntaxTreeNode) -> tuple[str, list[SyntaxTreeNode], str]:
    """An item's own text, its nested lists and its title. A first line without end
    punctuation is a title: over a list of its own it leads the text ("Data Preparation: the
    data…: relevant…; labeled"), over a sentence it is only the sentence's context."""
    paragraphs = [
        _inline(child, line_break="\n") for child in item.children if child.type == "paragraph"
    ]
    nested = [child for child in item.children if child.type in ("bullet_list", "ordered_list")]
    lines = [line.strip() for text in paragraphs for line in text.split("\n") if line.strip()]
    if len(lines) > 1 and lines[0][-1:] not in ".!?:;":
        if not nested and lines[1][:1].isupper():
            return " ".join(lines[1:]), nested, lines[0]
        return f"{lines[0]}: {lower_first(' '.join(lines[1:]))}", nested, ""
    return " ".join(lines), nested, ""


def _list_lines(
    node: SyntaxTreeNode, lead_in: str | None, context: _Context
) -> Iterator[tuple[str, _Context, str]]:
    items = [_item_text(item) for item in node.children]
    if lead_in and all(
        not nested and not title and len(split_sentences(text)) == 1
        for text, nested, title in items
    ):
        merged = f"{lead_in} {'; '.join(lower_first(text).rstrip('.') for text, _, _ in items)}."
        if len(merged) <= MERGED_LIST_MAX_CHARS:
            # The lead-in says what the items are; each also stands as a claim of the heading.
            yield merged, context, ""
            return
    for text, nested, title in items:
        children = [_item_text(child)[0] for lists in nested for child in lists.children]
        if children:
            joined = "; ".join(lower_first(child).rstrip(".") for child in children if child)
            text = f"{text.rstrip(':')}: {joined}" if text else joined
        if title:
            own = _Context.of(title, context)
            for sentence in split_sentences(text):
                yield sentence_case(sentence), own, title
            continue
        label = _LABEL.match(text)
        own = _Context.of(label.group(1), context) if label else context
        # A label is cut off when the rest is a sentence of its own ("Definition: Fine tuning
        # refers to…") or the label says whose item it is ("Fine-tuning: Retrains…").
        stripped = ""
        if label and (
            approaches_in(label.group(1)) or own.marks or text[label.end() :][:1].isupper()
        ):
            text, stripped = text[label.end() :], label.group(1)
        for sentence in split_sentences(text):
            yield sentence_case(sentence), own, stripped


def _table_lines(node: SyntaxTreeNode) -> Iterator[tuple[str, list[Claim]]]:
    """Each data row as one line; a table comparing the approaches gives a claim per cell."""
    rows = [
        [_inline(cell) for cell in row.children]
        for section in node.children
        for row in section.children
    ]
    if len(rows) < 2:
        return
    header, *body = rows
    columns: dict[str, int] = {}
    for index, name in enumerate(header[1:], start=1):
        found = approaches_in(name)
        if len(found) == 1:
            columns.setdefault(found.pop(), index)
    order = list(approach_names())
    columns = dict(sorted(columns.items(), key=lambda pair: order.index(pair[0])))
    comparing = len(columns) >= 2
    for cells in body:
        cells += [""] * (len(header) - len(cells))
        label = cells[0]
        if not label:
            continue
        pairs = [(header[index], cells[index]) for index in range(1, len(header)) if cells[index]]
        if not pairs:
            continue
        if comparing:
            body_text = "; ".join(
                f"{approach_names()[approach]} — {lower_first(cells[index]).rstrip('.')}"
                for approach, index in columns.items()
                if cells[index]
            )
            line = f"{label}: {body_text}."
        else:
            line = f"{label} — {'; '.join(lower_first(cell).rstrip('.') for _, cell in pairs)}."
        claims = (
            [
                Claim(
                    kind="cell",
                    approach=approach,
                    aspect=label,
                    statement=sentence_case(cells[index]),
                )
                for approach, index in columns.items()
                if cells[index]
            ]
            if comparing
            else []
        )
        yield line, claims


def _readable(text: str) -> bool:
    """A line must stand alone: a sentence start and a few words (chunk cuts leave stubs)."""
    return bool(text) and (text[0].isupper() or text[0] in '"“') and len(text.split()) >= MIN_WORDS
