"""Read a source document into a title, metadata and a sequence of structural blocks.

Every format ends up as the same blocks (heading, paragraph, list item, table, code), so cleaning
and chunking work on structure, whatever the file type. Markdown is parsed by markdown-it-py,
HTML by trafilatura (which keeps the page's main content as Markdown), PDF by pypdf; plain text
and PDF text have no markup, so their headings, bullets and pipe tables are recognised by layout.
"""

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from textwrap import dedent

import frontmatter
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markdown_it.tree import SyntaxTreeNode

from common.redaction import redact_secrets

SUPPORTED_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf")
# knowledge/README.md is for admins, checks.jsonl is the quality gate's questions: not knowledge
IGNORED_NAMES = {"readme.md", "checks.jsonl"}


class UnreadableDocumentError(ValueError):
    """The file cannot become knowledge; the message says why, for the admin's warning."""


@dataclass(frozen=True)
class Block:
    kind: str  # heading | paragraph | list_item | table | code
    text: str
    level: int = 0  # heading level, 1 for the page title


@dataclass
class ParsedDocument:
    doc_id: str
    title: str
    blocks: list[Block]
    url: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    keep: str | list[str] | None = None  # front matter `keep`: "all" or headings (see cleaning)


def redact_document(document: ParsedDocument) -> int:
    """Replace credentials in the document's title and blocks (`common.redaction`), in place;
    returns how many were found."""
    document.title, count = redact_secrets(document.title)
    blocks = []
    for block in document.blocks:
        text, found = redact_secrets(block.text)
        count += found
        blocks.append(replace(block, text=text) if found else block)
    document.blocks = blocks
    return count


def parse_document(path: Path) -> ParsedDocument:
    """Parse one file; raises UnreadableDocumentError with a reason an admin can act on."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableDocumentError(
            f"unsupported file type {suffix or '(none)'!r}; "
            f"supported: {', '.join(SUPPORTED_SUFFIXES)}"
        )
    data = path.read_bytes()
    if not data.strip():
        raise UnreadableDocumentError("empty file")
    if suffix == ".pdf":
        document = _parse_pdf(path.stem, data)
    else:
        text = _decode_text(data)
        if suffix in (".html", ".htm"):
            document = _parse_html(path.stem, text)
        elif suffix == ".txt":
            document = ParsedDocument(path.stem, "", text_blocks(text))
        else:
            document = _parse_markdown_file(path.stem, text)
    if not any(block.kind != "heading" for block in document.blocks):
        raise UnreadableDocumentError("no text found in the document")
    if not document.title:
        document.title = _title_from_blocks(document.blocks) or path.stem.replace("-", " ")
    return document


def _decode_text(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise UnreadableDocumentError("binary content, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableDocumentError(
            f"not valid UTF-8 text (byte {error.start}); save the file as UTF-8"
        ) from None


def _title_from_blocks(blocks: list[Block]) -> str:
    headings = [block for block in blocks if block.kind == "heading"]
    if not headings:
        return ""
    return min(headings, key=lambda block: block.level).text


# --- Markdown -------------------------------------------------------------------------------

_MARKDOWN = MarkdownIt("commonmark").enable("table")


def _parse_markdown_file(doc_id: str, text: str) -> ParsedDocument:
    try:
        post = frontmatter.loads(text)
    except Exception as error:  # YAML errors come in several types; any means bad front matter
        raise UnreadableDocumentError(f"invalid YAML front matter: {error}") from None
    metadata = {key: str(value) for key, value in post.metadata.items() if value is not None}
    return ParsedDocument(
        doc_id=doc_id,
        title=metadata.get("title", ""),
        blocks=markdown_blocks(post.content),
        url=metadata.get("url"),
        metadata=metadata,
        keep=_keep_setting(post.metadata.get("keep")),
    )


def _keep_setting(value: object) -> str | list[str] | None:
    """Front matter `keep`: `all`, one heading, or a list of headings."""
    if value is None:
        return None
    if isinstance(value, str):
        return "all" if value.strip().lower() == "all" else [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    raise UnreadableDocumentError(
        f"front matter `keep` must be `all` or a list of headings, not {value!r}"
    )


def markdown_blocks(text: str) -> list[Block]:
    """Top-level structure of a Markdown text; list items and tables keep their source lines."""
    lines = text.splitlines()
    tokens = _MARKDOWN.parse(text)
    blocks: list[Block] = []
    for index, token in enumerate(tokens):
        if token.level != 0 and token.type != "list_item_open":
            continue
        if token.type == "heading_open":
            blocks.append(Block("heading", _inline_text(tokens[index + 1]), int(token.tag[1])))
        elif token.type == "paragraph_open":
            blocks.append(Block("paragraph", _inline_text(tokens[index + 1])))
        elif token.type == "list_item_open" and token.level == 1 and token.map:
            blocks.append(Block("list_item", _source(lines, token.map)))
        elif token.type == "table_open" and token.map:
            blocks.append(Block("table", _source(lines, token.map)))
        elif token.type in ("fence", "code_block"):
            blocks.append(Block("code", token.content.rstrip()))
        elif token.type == "blockquote_open" and token.map:
            quoted = _source(lines, token.map)
            blocks.append(Block("paragraph", re.sub(r"(?m)^\s*>\s?", "", quoted)))
    return [block for block in blocks if block.text.strip()]


def markdown_tree(text: str) -> SyntaxTreeNode:
    """The block tree of a Markdown text, for readers that need nesting (`ingest.knowledge`)."""
    return SyntaxTreeNode(_MARKDOWN.parse(text))


def _source(lines: list[str], line_map: list[int]) -> str:
    return dedent("\n".join(lines[line_map[0] : line_map[1]])).strip()


def _inline_text(token: Token) -> str:
    """Plain text of an inline token: markup dropped, line breaks become spaces."""
    parts = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts).strip()


# --- HTML and PDF ---------------------------------------------------------------------------


def _parse_html(doc_id: str, html: str) -> ParsedDocument:
    from ingest.extraction import NoMainText, extract_page

    try:
        page = extract_page(html)
    except NoMainText as error:
        raise UnreadableDocumentError(str(error)) from None
    metadata = page.metadata
    return ParsedDocument(
        doc_id,
        metadata.get("title", ""),
        markdown_blocks(page.markdown),
        metadata.get("url"),
        metadata,
    )


def _parse_pdf(doc_id: str, data: bytes) -> ParsedDocument:
    from io import BytesIO

    from pypdf import PdfReader

    try:
        reader = PdfReader(BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
        title = (reader.metadata.title if reader.metadata else None) or ""
    except Exception as error:  # pypdf raises many error types for damaged files
        raise UnreadableDocumentError(f"unreadable PDF ({type(error).__name__}: {error})") from None
    text = "\n\n".join(pages)
    if not text.strip():
        raise UnreadableDocumentError("the PDF has no text layer (scanned image?)")
    return ParsedDocument(doc_id, title.strip(), text_blocks(text))


# --- Plain text -----------------------------------------------------------------------------

_BULLET = re.compile(r"^\s*(?:[•●▪◦‣∙*+\-–]|\d{1,2}[.)])\s+")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_SENTENCE_END = re.compile(r"[.!?…\"”')\]]$")


def text_blocks(text: str) -> list[Block]:
    """Blocks of a text without markup, recognised by layout.

    A short line without closing punctuation followed by more text is a heading; bullet and
    numbered lines start list items (indented lines continue them); lines with two or more `|`
    form a table; a line ending mid-sentence continues on the next line (hard-wrapped text).
    """
    raw_lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    next_nonblank = _next_nonblank_lines(raw_lines)
    blocks: list[Block] = []
    table: list[str] = []
    item: list[str] = []
    paragraph: list[str] = []

    def flush() -> None:
        if table:
            blocks.append(Block("table", _normalise_table(table)))
            table.clear()
        if item:
            blocks.append(Block("list_item", "\n".join(item)))
            item.clear()
        if paragraph:
            blocks.append(Block("paragraph", " ".join(paragraph)))
            paragraph.clear()

    for number, line in enumerate(raw_lines):
        stripped = line.strip()
        if not stripped:
            flush()
            continue
        if stripped.count("|") >= 2 or (table and _TABLE_SEPARATOR.match(stripped)):
            if not table:
                flush()
            table.append(stripped)
            continue
        if table:
            flush()
        if _BULLET.match(line):
            flush()
            item.append(_BULLET.sub("- ", line.lstrip(), count=1))
            continue
        if item and (line.startswith((" ", "\t"))):
            item.append("  " + stripped)
            continue
        following = next_nonblank[number]
        first = not blocks and not paragraph
        if not paragraph and (
            _looks_like_heading(stripped, following) or (first and _short_title(stripped))
        ):
            flush()
            blocks.append(Block("heading", stripped.rstrip(":"), 2))
            continue
        if paragraph and _SENTENCE_END.search(paragraph[-1]) is None and stripped[:1].islower():
            paragraph.append(stripped)  # hard-wrapped continuation of the same paragraph
            continue
        flush()
        paragraph.append(stripped)
    flush()
    if blocks and blocks[0].kind == "heading":
        blocks[0] = Block("heading", blocks[0].text, 1)
    return blocks


def _next_nonblank_lines(lines: list[str]) -> list[str | None]:
    """For each line, the next non-blank line after it (stripped), in one backward pass: the
    parse stays linear in the file's length (a per-line look-ahead made it quadratic)."""
    following: list[str | None] = [None] * len(lines)
    upcoming: str | None = None
    for number in range(len(lines) - 1, -1, -1):
        following[number] = upcoming
        if lines[number].strip():
            upcoming = lines[number].strip()
    return following


def _looks_like_heading(line: str, following: str | None) -> bool:
    if following is None or len(line) > 100 or len(line.split()) > 14:
        return False
    if _BULLET.match(line) or re.search(r"[.!,;…]$", line):
        return False
    return len(following) > len(line) or _BULLET.match(following) is not None


def _short_title(line: str) -> bool:
    return len(line.split()) <= 14 and re.search(r"[.!,;…]$", line) is None


def _normalise_table(rows: list[str]) -> str:
    """Pipe rows as a Markdown table: outer pipes present, a separator after the header."""
    cells = [
        [cell.strip() for cell in row.strip().strip("|").split("|")]
        for row in rows
        if not _TABLE_SEPARATOR.match(row)
    ]
    width = max(len(row) for row in cells)
    lines = ["| " + " | ".join(row + [""] * (width - len(row))) + " |" for row in cells]
    lines.insert(1, "|" + " --- |" * width)
    return "\n".join(lines)
