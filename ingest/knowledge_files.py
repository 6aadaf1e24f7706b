"""The knowledge folder as admins change it: add a web page or a file, remove a document.

Whatever the source, an added document becomes one `knowledge/<slug>.md`: its text as Markdown
under YAML front matter (`title`, `url`, `publisher`, `date` when the source states them,
`fetched_at` for pages, `source_file` and `added_at` for files). One format in the folder means
one parser at ingest, and a file an admin can read and correct by hand. A page added again by
the same address replaces its file (same document id, so citations and feedback keep pointing
at it) instead of adding a second copy.
"""

import re
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import frontmatter
import yaml
from pydantic import BaseModel, Field

from ingest.discovery import discover
from ingest.extraction import NoMainText, extract_page
from ingest.fetching import FetchLimits, fetch_page, normalize_url
from ingest.parsing import (
    SUPPORTED_SUFFIXES,
    Block,
    UnreadableDocumentError,
    parse_document,
)

SLUG_MAX_CHARS = 60
# Front matter keys in the order they are written (the rest follow).
FRONT_MATTER_ORDER = ("title", "url", "publisher", "date", "fetched_at", "source_file", "added_at")


class DocumentNotFound(LookupError):
    """No document of the knowledge folder matches what was asked for."""


class CannotAdd(ValueError):
    """The source cannot become a document; the message names it and the reason."""


class KnowledgeChange(BaseModel):
    """One add or remove by an admin, as the history records it."""

    at: datetime
    who: str = Field(description="Slack user id, or `cli:<login>` on the command line.")
    action: str  # add | update | remove
    doc: str
    title: str
    source: str | None = Field(None, description="The url or file name it came from.")
    chunks: int | None = Field(None, description="Chunks in the index after the change.")
    published: bool = Field(True, description="False: the quality gate kept the index aside.")


@dataclass(frozen=True)
class AddedDocument:
    doc: str  # document id: the file stem
    path: Path
    title: str
    url: str | None
    replaced: bool  # an existing document (same url, or the same file added again) was updated


@dataclass(frozen=True)
class RemovedDocument:
    doc: str
    path: Path
    title: str


def add_url(url: str, knowledge_dir: Path, limits: FetchLimits) -> AddedDocument:
    """Fetch a page and write (or rewrite) its document; raises FetchRefused or CannotAdd."""
    page = fetch_page(url, limits)
    try:
        extracted = extract_page(_decoded(page.body, page.encoding), url=page.url)
    except NoMainText:
        raise CannotAdd(f"{page.url}: no article text found in the page") from None
    metadata = {key: value for key, value in extracted.metadata.items() if key != "url"}
    metadata["url"] = page.url
    metadata["fetched_at"] = _now()
    existing = find_by_url(knowledge_dir, {page.url, page.requested_url})
    return _write(
        knowledge_dir, metadata, extracted.markdown, existing, fallback=_url_name(page.url)
    )


def add_file(source: Path, knowledge_dir: Path) -> AddedDocument:
    """Convert a local .md/.txt/.html/.pdf file into a document; raises CannotAdd."""
    if not source.is_file():
        raise CannotAdd(f"{source}: no such file")
    suffix = source.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise CannotAdd(
            f"{source}: unsupported file type {suffix or '(none)'!r}; "
            f"supported: {', '.join(SUPPORTED_SUFFIXES)}"
        )
    try:
        document = parse_document(source)
    except UnreadableDocumentError as error:
        raise CannotAdd(f"{source}: {error}") from None
    except OSError as error:
        raise CannotAdd(f"{source}: cannot be read ({error.strerror or error})") from None
    if suffix in (".md", ".markdown"):
        post = frontmatter.loads(source.read_text(encoding="utf-8-sig"))
        body = post.content.strip()
        metadata = {key: value for key, value in post.metadata.items() if value is not None}
    else:
        body = blocks_markdown(document.blocks)
        metadata = dict(document.metadata)
    metadata.setdefault("title", document.title)
    metadata["source_file"] = source.name
    metadata["added_at"] = _now()
    url = metadata.get("url")
    existing = find_by_url(knowledge_dir, {normalize_url(str(url))}) if url else None
    if existing is None:
        same_name = knowledge_dir / f"{slugify(str(metadata['title']) or source.stem)}.md"
        if same_name.is_file() and _front_matter(same_name).get("source_file") == source.name:
            existing = same_name
    return _write(knowledge_dir, metadata, body, existing, fallback=source.stem)


def add_upload(name: str, content: bytes, knowledge_dir: Path) -> AddedDocument:
    """`add_file` for a file's bytes as uploaded (to Slack) under `name`; raises CannotAdd.
    Only the name's last part is used, so an uploaded name cannot point outside a folder."""
    safe_name = Path(name.replace("\\", "/")).name
    if safe_name in ("", ".", ".."):
        raise CannotAdd(f"{name!r} is not a file name")
    with tempfile.TemporaryDirectory(prefix="ai-strategy-upload-") as folder:
        source = Path(folder) / safe_name
        source.write_bytes(content)
        try:
            return add_file(source, knowledge_dir)
        except CannotAdd as error:  # named as the admin knows it, not by the temporary path
            raise CannotAdd(str(error).replace(str(source), safe_name)) from None


def remove_document(doc: str, knowledge_dir: Path) -> RemovedDocument:
    """Delete the file of a document given by id, file name or url; raises DocumentNotFound."""
    path = find_document(doc, knowledge_dir)
    title = _front_matter(path).get("title") if path.suffix == ".md" else None
    path.unlink()
    return RemovedDocument(doc=path.stem, path=path, title=str(title or path.stem))


def find_document(doc: str, knowledge_dir: Path) -> Path:
    """The file of a document: by id (file stem), file name or url."""
    wanted = doc.strip()
    files = _documents(knowledge_dir)
    for path in files:
        if wanted in (path.stem, path.name):
            return path
    if "://" in wanted:
        found = find_by_url(knowledge_dir, {normalize_url(wanted)})
        if found is not None:
            return found
    import difflib

    close = difflib.get_close_matches(wanted, [path.stem for path in files], n=3, cutoff=0.5)
    hint = (
        f"; did you mean {', '.join(close)}?"
        if close
        else "; `ai-strategy search` shows document ids"
    )
    raise DocumentNotFound(f"no document {wanted!r} in {knowledge_dir}{hint}")


def find_by_url(knowledge_dir: Path, urls: set[str]) -> Path | None:
    """The Markdown document whose front matter `url` is one of `urls`."""
    for path in _documents(knowledge_dir):
        if path.suffix.lower() in (".md", ".markdown"):
            url = _front_matter(path).get("url")
            if url and normalize_url(str(url)) in urls:
                return path
    return None


def slugify(text: str) -> str:
    """A file stem from a title: ASCII lower case words joined by hyphens, at most 60 chars."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = ""
    for word in words:
        if len(slug) + len(word) + 1 > SLUG_MAX_CHARS:
            break
        slug = f"{slug}-{word}" if slug else word
    return slug or "document"


def blocks_markdown(blocks: list[Block]) -> str:
    """Parsed blocks written back as Markdown (for sources that are not Markdown already)."""
    parts = []
    for block in blocks:
        if block.kind == "heading":
            parts.append(f"{'#' * max(block.level, 1)} {block.text}")
        elif block.kind == "list_item":
            text = block.text
            parts.append(text if re.match(r"^\s*(?:[-*+]|\d{1,2}[.)])\s", text) else f"- {text}")
        elif block.kind == "code":
            parts.append(f"```\n{block.text}\n```")
        else:
            parts.append(block.text)
    return "\n\n".join(parts)


def _write(
    knowledge_dir: Path, metadata: dict, body: str, existing: Path | None, *, fallback: str
) -> AddedDocument:
    title = str(metadata.get("title") or "").strip()
    if not body.strip():
        raise CannotAdd("no text to add")
    if title and not _starts_with_heading(body, title):
        body = f"# {title}\n\n{body}"
    knowledge_dir.mkdir(parents=True, exist_ok=True)
    path = existing or _free_path(knowledge_dir, slugify(title or fallback))
    ordered = {key: metadata[key] for key in FRONT_MATTER_ORDER if metadata.get(key)}
    ordered.update({key: value for key, value in metadata.items() if key not in ordered})
    header = yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True, width=1000)
    text = f"---\n{header}---\n{body.strip()}\n"
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)  # atomic: a watching ingest never reads half a file
    url = metadata.get("url")
    return AddedDocument(
        doc=path.stem,
        path=path,
        title=title or path.stem,
        url=str(url) if url else None,
        replaced=existing is not None,
    )


def _free_path(knowledge_dir: Path, slug: str) -> Path:
    taken = {path.stem for path in _documents(knowledge_dir)}
    candidate, number = slug, 2
    while candidate in taken:
        candidate, number = f"{slug}-{number}", number + 1
    return knowledge_dir / f"{candidate}.md"


def _documents(knowledge_dir: Path) -> list[Path]:
    if not knowledge_dir.is_dir():
        return []
    found = discover(knowledge_dir, max_bytes=2**63)  # the files ingest reads, whatever size
    return [path for path in found.documents if path.suffix.lower() in SUPPORTED_SUFFIXES]


def _front_matter(path: Path) -> dict:
    try:
        return frontmatter.loads(path.read_text(encoding="utf-8-sig")).metadata
    except Exception:  # an unreadable file has no url to match; ingest reports it
        return {}


def _starts_with_heading(body: str, title: str) -> bool:
    first = body.lstrip().split("\n", 1)[0]
    return first.startswith("#") and first.lstrip("#").strip().lower() == title.lower()


def _decoded(body: bytes, encoding: str | None) -> str | bytes:
    """The page as text when the server named its charset; else bytes for trafilatura to sniff."""
    if encoding:
        try:
            return body.decode(encoding, errors="replace")
        except LookupError:
            pass
    return body


def _url_name(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    last = [part for part in parts.path.split("/") if part]
    return f"{parts.hostname}-{last[-1]}" if last else parts.hostname or "page"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
