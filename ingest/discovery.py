"""Which files of the knowledge folder become documents, and why the others are skipped.

The folder is walked without following links to folders. A file is skipped, with a warning
naming it, when its name is not valid UTF-8 (it could not be stored or shown), it is a broken
link, a link resolving outside the knowledge folder (`passwd.txt -> /etc/passwd` must not
become searchable), a folder named like a document, or larger than the per-file size cap.
Hidden files and READMEs are not knowledge and are passed over silently.
"""

import os
from dataclasses import dataclass, field
from pathlib import Path

from ingest.parsing import IGNORED_NAMES, SUPPORTED_SUFFIXES


@dataclass
class Discovery:
    """The documents to read, and the files skipped with the reason for each."""

    documents: list[Path] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (shown name, reason)


def shown(path: Path) -> str:
    """A path as a warning can print it, whatever bytes its name holds."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def discover(knowledge_dir: Path, *, max_bytes: int) -> Discovery:
    """Walk `knowledge_dir` (sorted, links to folders not followed)."""
    found = Discovery()
    root = knowledge_dir.resolve()
    for folder, subfolders, files in os.walk(knowledge_dir, followlinks=False):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        base = Path(folder)
        for name in subfolders:
            path = base / name
            if path.suffix.lower() in SUPPORTED_SUFFIXES:
                found.skipped.append((shown(path), "a folder named like a document"))
            elif path.is_symlink():
                found.skipped.append((shown(path), "a link to a folder (not followed)"))
        for name in sorted(files):
            if name.startswith(".") or name.lower() in IGNORED_NAMES:
                continue
            path = base / name
            reason = _reason_to_skip(path, root, max_bytes)
            if reason:
                found.skipped.append((shown(path), reason))
            else:
                found.documents.append(path)
    return found


def _reason_to_skip(path: Path, root: Path, max_bytes: int) -> str | None:
    try:
        os.fsencode(path).decode("utf-8")
    except UnicodeDecodeError:
        return "the file name is not valid UTF-8; rename it"
    if path.is_symlink():
        if not path.exists():
            return "a broken link"
        if not path.resolve().is_relative_to(root):
            return f"a link to {path.resolve()}, outside the knowledge folder"
    if not path.is_file():
        return "not a regular file"
    size = path.stat().st_size
    if size > max_bytes:
        return (
            f"{size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB per-file limit "
            "(AI_STRATEGY_MAX_DOCUMENT_BYTES)"
        )
    return None
