"""Markdown ↔ Slack mrkdwn: the engine's Markdown into what Slack renders, and Slack's text back.

Slack's mrkdwn is not Markdown: bold is `*x*`, italics `_x_`, strike `~x~`, links `<url|text>`,
no headings, and `&`, `<`, `>` must be escaped or Slack reads them as markup (a `<!channel>` in
an answer would notify everyone). The engine's Markdown is parsed with markdown-it (no raw HTML)
and rendered node by node, so nesting, code and lists come out right.
"""

import re
import unicodedata

from markdown_it import MarkdownIt
from markdown_it.token import Token

_markdown = MarkdownIt("commonmark", {"html": False}).enable(["strikethrough", "table"])

_INLINE_MARKERS = {
    "strong_open": "*",
    "strong_close": "*",
    "em_open": "_",
    "em_close": "_",
    "s_open": "~",
    "s_close": "~",
}
BULLETS = ("•", "◦", "▪")


def escape(text: str) -> str:
    """Escape the three characters Slack treats as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# Characters that end or split a `<url|text>` link, and whitespace: percent-encoded in a target.
_LINK_UNSAFE = re.compile(r"[<>|\s\x00-\x1f\x7f]")
_WEB_SCHEME = re.compile(r"(?i)^https?://[^/?#\s]")


def link_target(url: str | None) -> str | None:
    """`url` as the target of a Slack link, or None when it must not be one: only http(s)
    URLs with a host (no `javascript:`, `slack://`, `mailto:` or relative links), with `<`,
    `>`, `|`, whitespace and control characters percent-encoded so that text from a document
    cannot close the link and start markup of its own (a `<!channel>` or a spoofed link)."""
    if not url or not _WEB_SCHEME.match(url.strip()):
        return None
    return _LINK_UNSAFE.sub(lambda match: f"%{ord(match.group()):02X}", url.strip())


def _inline(tokens: list[Token], *, styled: bool = True) -> str:
    out: list[str] = []
    link_stack: list[tuple[str, int]] = []
    for token in tokens:
        kind = token.type
        if kind == "text":
            out.append(escape(token.content))
        elif kind in _INLINE_MARKERS:
            if styled:
                out.append(_INLINE_MARKERS[kind])
        elif kind == "code_inline":
            out.append(f"`{escape(token.content)}`")
        elif kind == "softbreak":
            out.append(" ")
        elif kind == "hardbreak":
            out.append("\n")
        elif kind == "link_open":
            link_stack.append((str(token.attrs.get("href", "")), len(out)))
        elif kind == "link_close" and link_stack:
            href, start = link_stack.pop()
            label = "".join(out[start:]).replace("|", "¦")
            del out[start:]
            target = link_target(href)
            if target is None:
                out.append(label or escape(href))
            else:
                out.append(f"<{target}>" if label in ("", escape(href)) else f"<{target}|{label}>")
        elif kind == "image":
            alt = escape(token.content or "image").replace("|", "¦")
            target = link_target(str(token.attrs.get("src", "")))
            out.append(f"<{target}|{alt}>" if target else alt)
        else:
            out.append(escape(token.content))
    return "".join(out)


class _Renderer:
    """Block-level rendering: one string per paragraph, list, code block, table or quote."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.position = 0

    def render(self) -> list[str]:
        return self._blocks(closing=None, depth=0)

    def _next(self) -> Token:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def _blocks(self, *, closing: str | None, depth: int) -> list[str]:
        blocks: list[str] = []
        while self.position < len(self.tokens):
            token = self._next()
            kind = token.type
            if kind == closing:
                break
            if kind == "paragraph_open":
                blocks.append(_inline(self._next().children or []))
                self._next()  # paragraph_close
            elif kind == "heading_open":
                text = _inline(self._next().children or [], styled=False)
                self._next()  # heading_close
                blocks.append(f"*{text}*" if text else "")
            elif kind in ("bullet_list_open", "ordered_list_open"):
                blocks.append(self._list(ordered=kind == "ordered_list_open", depth=depth))
            elif kind in ("fence", "code_block"):
                code = escape(token.content.rstrip("\n"))
                blocks.append(f"```\n{code}\n```")
            elif kind == "blockquote_open":
                inner = self._blocks(closing="blockquote_close", depth=depth)
                blocks.append(
                    "\n".join("> " + line for block in inner for line in block.split("\n"))
                )
            elif kind == "table_open":
                blocks.append(self._table())
            elif kind == "hr":
                blocks.append("──────────")
        return [block for block in blocks if block]

    def _list(self, *, ordered: bool, depth: int) -> str:
        closing = "ordered_list_close" if ordered else "bullet_list_close"
        lines: list[str] = []
        indent = "    " * depth
        while self.position < len(self.tokens):
            token = self._next()
            if token.type == closing:
                break
            if token.type != "list_item_open":
                continue
            marker = (
                f"{token.info or len(lines) + 1}." if ordered else BULLETS[depth % len(BULLETS)]
            )
            parts = self._blocks(closing="list_item_close", depth=depth + 1)
            first, *rest = parts or [""]
            lines.append(f"{indent}{marker} {first}")
            for part in rest:
                nested = part.startswith(("    ", *BULLETS)) or re.match(r"\s*\d+\. ", part)
                lines.append(part if nested else f"{indent}    {part}")
        return "\n".join(lines)

    def _table(self) -> str:
        rows: list[list[str]] = []
        header_rows = 0
        in_header = False
        while self.position < len(self.tokens):
            token = self._next()
            if token.type == "table_close":
                break
            if token.type == "thead_open":
                in_header = True
            elif token.type == "thead_close":
                in_header = False
            elif token.type == "tr_open":
                rows.append([])
                header_rows += in_header
            elif token.type == "inline":
                rows[-1].append(_inline(token.children or []))
        lines = []
        for number, cells in enumerate(rows):
            if number < header_rows:
                lines.append(" | ".join(f"*{cell}*" if cell else "" for cell in cells))
            else:
                lines.append(" | ".join(cells))
        return "\n".join(lines)


def to_mrkdwn(markdown: str) -> str:
    """Slack mrkdwn for Markdown text (paragraphs separated by blank lines)."""
    return "\n\n".join(_Renderer(_markdown.parse(markdown)).render())


_BREAKS = ("\n\n", "\n", ". ", "; ", ", ", " ")


def _safe_cut(text: str, limit: int) -> int:
    """Where to cut `text` at or before `limit`: the most natural break in the last half of the
    piece (paragraph, line, sentence, clause, word), never inside a `<link|label>`."""
    for separator in _BREAKS:
        position = text.rfind(separator, 0, limit)
        while position >= limit // 2:
            cut = position + len(separator)
            if not _inside_link(text, cut):
                return cut
            position = text.rfind(separator, 0, position)
    return limit


def _inside_link(text: str, cut: int) -> bool:
    opened = text.rfind("<", 0, cut)
    return opened != -1 and text.find(">", opened) >= cut


def split_mrkdwn(text: str, limit: int) -> list[str]:
    """Cut mrkdwn into pieces of at most `limit` characters at natural breaks.

    Pieces end at paragraph, line, sentence or word boundaries (in that preference), never
    inside a `<link|label>`; a code block cut in two is closed and reopened, so each piece
    renders on its own.
    """
    pieces: list[str] = []
    rest = text.strip()
    reserve = len("```\n") + len("\n```")
    while len(rest) > limit:
        cut = _safe_cut(rest, limit - reserve)
        piece, rest = rest[:cut].rstrip(), rest[cut:].lstrip()
        if piece.count("```") % 2:
            piece += "\n```"
            rest = "```\n" + rest
        pieces.append(piece)
    if rest:
        pieces.append(rest)
    return pieces


def shorten(text: str, limit: int) -> str:
    """mrkdwn cut to at most `limit` characters at a natural break, marked with an ellipsis."""
    if len(text) <= limit:
        return text
    return split_mrkdwn(text, limit - 1)[0] + "…"


_SLACK_MARKUP = re.compile(r"<([^<>]+)>")
# What nobody sees in a message: control characters (but line breaks and tabs), zero-width
# characters and direction marks. Left in, they split words ("fine\u200btuning") or make a
# mention of nothing but them look like a question.
_INVISIBLE = ("Cc", "Cf")


def _visible(text: str) -> str:
    return "".join(
        char for char in text if char in "\n\t" or unicodedata.category(char) not in _INVISIBLE
    )


def from_slack(text: str, *, bot_user_id: str | None = None) -> str:
    """A person's Slack message as plain text: the bot's mention removed, markup made readable,
    invisible characters dropped."""

    def readable(match: re.Match) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            return "" if target[1:] == bot_user_id else "@" + (label or target[1:])
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            return "@" + (label or target[1:].split("^")[0])
        return f"{label} ({target})" if label and label != target else target

    plain = _SLACK_MARKUP.sub(readable, _visible(text))
    plain = plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return re.sub(r"[ \t]+", " ", plain).strip()
