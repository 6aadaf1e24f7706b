"""The ingest job: compare knowledge/ with the current index and publish a new version.

Only new and changed documents are parsed, cleaned, chunked and embedded; the chunks and vectors
of unchanged documents are copied from the current version's files. A run that finds nothing to
change writes nothing. A change of embedding model or chunking settings (the build fingerprint)
re-embeds everything by itself. See `ingest.store` for why each run builds a new version.
"""

import hashlib
import logging
import time
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from ingest.chunking import ChunkingLimits, chunk_document
from ingest.cleaning import remove_boilerplate
from ingest.discovery import discover
from ingest.embedding import EmbedderSpec, load_ingest_embedder
from ingest.index import KnowledgeIndex
from ingest.outcomes import DocumentChange, IngestSummary, SkippedFile
from ingest.parsing import (
    SUPPORTED_SUFFIXES,
    ParsedDocument,
    UnreadableDocumentError,
    parse_document,
    redact_document,
)
from ingest.quality_gate import CheckRunner, GateVerdict, ResultCache, judge
from ingest.records import ChunkRecord
from ingest.settings import IndexSettings
from ingest.store import BuildProgress, DocumentEntry, Manifest, Store, now_iso
from ingest.stores import open_store
from ingest.vectors import IngestVectors, ingest_threads

log = logging.getLogger("ingest")

# Bump when parsing, cleaning or chunking changes what chunks a document gives: the index is
# then rebuilt by itself, as for a change of model or chunk size.
# 3, 4: chunks carry their sentences and claims; 5: secrets redacted; 6: trust; 7: cleaning
# reads headings and completes the last section; 8: a sentence framed as the article's point
# keeps only its claim; 9: cleaning reads blocks as sentence vectors, "set up" is one word;
# 10: an oversized paragraph is not cut after an abbreviation ("et al.")
PIPELINE_VERSION = 10
# Documents read (and their sentences embedded) together: enough for full batches on every
# thread, few enough that a large knowledge base is never held in memory at once.
READ_AHEAD_DOCUMENTS = 16


@dataclass
class _Plan:
    """Which documents of knowledge/ are new, changed, gone, unchanged or unreadable."""

    to_embed: dict[str, Path] = field(default_factory=dict)  # doc id -> file
    hashes: dict[str, str] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    embedded: int = 0

    def skip(self, doc_id: str, path: Path, reason: str, *, had_chunks: bool) -> None:
        """An unreadable new or changed file: it counts as skipped, its old chunks stay."""
        self.skipped.append(SkippedFile(file=str(path), reason=reason))
        for bucket in (self.added, self.updated):
            if doc_id in bucket:
                bucket.remove(doc_id)
        if had_chunks:
            self.unchanged.append(doc_id)


class _NoProgress:
    def start(self, description: str, total: int) -> None:
        pass

    def advance(self, amount: int = 1) -> None:
        pass


def fingerprint(settings: IndexSettings) -> dict[str, str | int]:
    """Everything that changes the chunks or their vectors; a change forces a rebuild.

    The vector space, not the backend: torch and the unquantized ONNX export give the same
    vectors, so switching between them keeps the index; int8 vectors force a rebuild.
    """
    return {
        "embedding_model": settings.embedding_model,
        "embedding_vectors": EmbedderSpec.of(settings).vector_space,
        "chunk_tokens": settings.chunk_tokens,
        "chunk_overlap_tokens": settings.chunk_overlap_tokens,
        "pipeline": PIPELINE_VERSION,
    }


def run_ingest(
    settings: IndexSettings,
    *,
    rebuild: bool = False,
    dry_run: bool = False,
    progress: BuildProgress | None = None,
    checks: CheckRunner | None = None,
    force: bool = False,
) -> IngestSummary:
    """Bring the index up to date with knowledge/; raises IndexBusyError if an ingest runs.

    With `checks`, a new version becomes current only if it passes the quality gate (see
    `ingest.quality_gate`), or if `force` is set; a refused version is kept aside.
    """
    started = time.perf_counter()
    progress = progress or _NoProgress()
    store = open_store(settings)
    if not settings.knowledge_dir.is_dir():
        raise FileNotFoundError(
            f"knowledge folder {settings.knowledge_dir} does not exist; "
            "create it or set AI_STRATEGY_KNOWLEDGE_DIR / --knowledge-dir"
        )
    with store.ingest_lock():
        if not dry_run:
            store.collect_garbage()  # unfinished builds of killed runs, versions no one reads
        current = store.current_name()
        manifest = store.read_manifest(current) if current else None
        rebuilt = rebuild or (
            manifest is not None and manifest.fingerprint != fingerprint(settings)
        )
        if rebuilt and manifest is not None and not rebuild:
            log.warning("embedding model or chunking settings changed: rebuilding the whole index")
        plan = _plan(
            settings.knowledge_dir,
            None if rebuilt else manifest,
            max_bytes=settings.max_document_bytes,
        )
        if rebuilt and manifest is not None:
            plan.updated += [doc for doc in plan.added if doc in manifest.documents]
            plan.added = [doc for doc in plan.added if doc not in manifest.documents]
        entries: dict[str, DocumentEntry] = {}
        version, verdict = current, None
        if not dry_run and (plan.to_embed or plan.deleted or rebuilt or manifest is None):
            version, verdict, entries = _build(
                settings, store, plan, None if rebuilt else manifest, progress, checks, force
            )
        for skipped in plan.skipped:
            log.warning("skipped %s: %s", skipped.file, skipped.reason)
        total = store.read_manifest(version).chunk_count if version else 0
        return IngestSummary(
            added=len(plan.added),
            updated=len(plan.updated),
            deleted=len(plan.deleted),
            unchanged=len(plan.unchanged),
            skipped=len(plan.skipped),
            chunks=total,
            seconds=round(time.perf_counter() - started, 3),
            embedded=plan.embedded,
            rebuilt=rebuilt,
            dry_run=dry_run,
            version=version,
            skipped_files=plan.skipped,
            changes={"added": plan.added, "updated": plan.updated, "deleted": plan.deleted},
            documents=_document_changes(plan, entries, manifest),
            gate=verdict,
            published=verdict is None or verdict.published,
        )


def _document_changes(
    plan: _Plan, entries: dict[str, DocumentEntry], manifest: Manifest | None
) -> list[DocumentChange]:
    known = manifest.documents if manifest else {}
    changes = []
    for change, docs in (
        ("added", plan.added),
        ("updated", plan.updated),
        ("deleted", plan.deleted),
    ):
        for doc in docs:
            entry = entries.get(doc) if change != "deleted" else known.get(doc)
            changes.append(
                DocumentChange(
                    change=change,
                    doc=doc,
                    title=entry.title if entry else doc,
                    chunks=entry.chunks if entry and change != "deleted" else 0,
                )
            )
    return changes


def _plan(knowledge_dir: Path, manifest: Manifest | None, *, max_bytes: int) -> _Plan:
    plan = _Plan()
    known = manifest.documents if manifest else {}
    seen: dict[str, Path] = {}
    found = discover(knowledge_dir, max_bytes=max_bytes)
    plan.skipped += [SkippedFile(file=name, reason=reason) for name, reason in found.skipped]
    for path in found.documents:
        doc_id = path.stem
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            reason = (
                f"unsupported file type {path.suffix or '(none)'!r}; "
                f"supported: {', '.join(SUPPORTED_SUFFIXES)}"
            )
            plan.skipped.append(SkippedFile(file=str(path), reason=reason))
            continue
        if doc_id in seen:
            plan.skipped.append(
                SkippedFile(
                    file=str(path),
                    reason=f"same document id {doc_id!r} as {seen[doc_id]}; rename one of them",
                )
            )
            continue
        seen[doc_id] = path
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        plan.hashes[doc_id] = digest
        if doc_id in known and known[doc_id].hash == digest:
            plan.unchanged.append(doc_id)
        else:
            plan.to_embed[doc_id] = path
            (plan.updated if doc_id in known else plan.added).append(doc_id)
    plan.deleted = sorted(set(known) - set(seen))
    return plan


def _build(
    settings: IndexSettings,
    store: Store[Any],
    plan: _Plan,
    manifest: Manifest | None,
    progress: BuildProgress,
    checks: CheckRunner | None,
    force: bool,
) -> tuple[str | None, GateVerdict | None, dict[str, DocumentEntry]]:
    """Write a new version and publish it unless the quality gate refuses it.

    Returns the version searches read afterwards, the gate's verdict, and the new documents.
    """
    embedder = IngestVectors(load_ingest_embedder(settings), threads=ingest_threads(settings))
    new_chunks, entries = _chunk_changed(settings, plan, manifest, embedder, progress)
    current = store.current_name()
    if manifest is not None and not new_chunks and not plan.deleted:
        return current, None, {}  # every change was an unreadable file: the current version stands
    changed = dict(entries)

    build = store.begin_build()
    try:
        candidate = _write_version(
            settings, store, build, plan, manifest, new_chunks, entries, embedder, progress
        )
    except BaseException:
        store.collect_garbage()  # no half-built version is left; the current one stands
        raise
    verdict = None
    if checks is not None:
        progress.start("Running the quality checks", 1)
        documents = set(store.read_manifest(candidate).documents)
        verdict = judge(
            checks,
            index_for=lambda name: KnowledgeIndex(settings, version=name),
            candidate=candidate,
            current=current,
            documents=documents,
            floor=settings.gate_floor,
            force=force,
            cache=_check_cache(settings, documents),
        )
        progress.advance()
    version: str | None = candidate
    if verdict is None or verdict.published:
        store.point_to(candidate)
    else:
        store.set_aside(candidate)
        version = current
        log.warning(
            "quality gate: version %s kept aside (%s)", candidate, "; ".join(verdict.reasons())
        )
    store.collect_garbage()
    return version, verdict, changed


def _check_cache(settings: IndexSettings, documents: set[str]) -> ResultCache | None:
    try:
        checks = settings.resolved_checks_file.read_bytes()
    except OSError:
        return None
    return ResultCache(settings.data_dir / "gate", checks=checks, documents=documents)


def _write_version(
    settings: IndexSettings,
    store: Store[Any],
    build: object,
    plan: _Plan,
    manifest: Manifest | None,
    new_chunks: dict[str, list[ChunkRecord]],
    entries: dict[str, DocumentEntry],
    embedder: IngestVectors,
    progress: BuildProgress,
) -> str:
    """Write a complete version and seal it (openable by name, not yet current)."""
    current = store.current_name()
    records: list[ChunkRecord] = []
    vectors: list[np.ndarray] = []
    sentences: list[np.ndarray | None] = []  # per record: its sentences' vectors, if known
    known = manifest.documents if manifest else {}
    kept_old = [doc for doc in known if doc not in plan.deleted and doc not in new_chunks]
    if manifest is not None and current is not None and kept_old:
        old_records, old_vectors = store.read_records(current)
        old_sentences = _sentences_by_record(old_records, store.read_sentence_vectors(current))
        keep = set(kept_old)
        rows = [row for row, record in enumerate(old_records) if record.doc in keep]
        records += [old_records[row] for row in rows]
        vectors.append(old_vectors[rows])
        sentences += [old_sentences[row] for row in rows]
        entries.update({doc: manifest.documents[doc] for doc in kept_old})

    fresh = [chunk for doc in sorted(new_chunks) for chunk in new_chunks[doc]]
    progress.start("Embedding chunks", len(fresh))
    step = max(settings.embed_batch_size * 8, 256)  # several batches per step: threads share them
    for start in range(0, len(fresh), step):
        batch = fresh[start : start + step]
        vectors.append(embedder.chunks(batch))
        progress.advance(len(batch))
    records += fresh
    sentences += [None] * len(fresh)
    plan.embedded = len(fresh)
    dimension = embedder.dimension
    matrix = np.concatenate(vectors) if vectors else np.zeros((0, dimension), np.float32)
    order = sorted(range(len(records)), key=lambda row: (records[row].doc, records[row].position))
    records, matrix = [records[row] for row in order], matrix[order]
    sentence_matrix = _sentence_vectors(
        records, [sentences[row] for row in order], embedder, progress
    )

    progress.start("Writing index", len(records))
    manifest = Manifest(
        fingerprint=fingerprint(settings),
        embedder=embedder.describe(),
        documents=dict(sorted(entries.items())),
        created=now_iso(),
        chunk_count=len(records),
    )
    store.write(build, records, matrix, manifest, progress, sentence_matrix)
    return store.seal(build)


def _sentences_by_record(
    records: list[ChunkRecord], matrix: np.ndarray | None
) -> list[np.ndarray | None]:
    """A version's sentence vectors cut per chunk (all None for a version without them)."""
    counts = [len(record.sentences) for record in records]
    if matrix is None or matrix.shape[0] != sum(counts):
        return [None] * len(records)
    bounds = np.cumsum([0, *counts])
    return [matrix[start:end] for start, end in pairwise(bounds)]


def _sentence_vectors(
    records: list[ChunkRecord],
    known: list[np.ndarray | None],
    embedder: IngestVectors,
    progress: BuildProgress,
) -> np.ndarray:
    """The vectors of every chunk's sentences, in order: copied where known, else embedded.

    Computed here, once per version, so that no reader embeds them when it opens the version.
    """
    missing = [
        sentence.embedding_text
        for record, vectors in zip(records, known, strict=True)
        if vectors is None
        for sentence in record.sentences
    ]
    progress.start("Embedding sentences", len(missing))
    fresh = iter(embedder.embed(missing))
    progress.advance(len(missing))
    blocks = [
        vectors if vectors is not None else np.array([next(fresh) for _ in record.sentences])
        for record, vectors in zip(records, known, strict=True)
    ]
    rows = [block.reshape(-1, embedder.dimension) for block in blocks]
    return np.concatenate(rows) if rows else np.zeros((0, embedder.dimension), np.float32)


def _chunk_changed(
    settings: IndexSettings,
    plan: _Plan,
    manifest: Manifest | None,
    embedder: IngestVectors,
    progress: BuildProgress,
) -> tuple[dict[str, list[ChunkRecord]], dict[str, DocumentEntry]]:
    """Parse, clean and chunk the new and changed documents.

    Documents are read a group at a time and their sentences embedded in one call, so that
    batches fill (one short document alone would keep all but one thread idle). An unreadable
    document is skipped; if the index had it, its previous chunks stay, so that a bad edit
    never loses knowledge.
    """
    limits = ChunkingLimits(
        settings.chunk_tokens, embedder.max_input_tokens, settings.chunk_overlap_tokens
    )
    new_chunks: dict[str, list[ChunkRecord]] = {}
    entries: dict[str, DocumentEntry] = {}
    progress.start("Reading documents", len(plan.to_embed))
    pending = list(plan.to_embed.items())
    for first in range(0, len(pending), READ_AHEAD_DOCUMENTS):
        group = pending[first : first + READ_AHEAD_DOCUMENTS]
        documents = {doc_id: _parse(doc_id, path, plan, manifest) for doc_id, path in group}
        embedder.read_ahead([document for document in documents.values() if document])
        for doc_id, document in documents.items():
            try:
                if document is None:
                    continue
                cleaned = remove_boilerplate(
                    document.blocks,
                    embedder.topics(document),
                    title=document.title,
                    keep=document.keep,
                )
                chunks = chunk_document(document, cleaned.kept, embedder.count_tokens, limits)
                if not chunks:
                    raise UnreadableDocumentError("nothing left after removing boilerplate")
            except UnreadableDocumentError as error:
                _skip(doc_id, plan.to_embed[doc_id], error, plan, manifest)
            else:
                new_chunks[doc_id] = chunks
                entries[doc_id] = DocumentEntry(
                    hash=plan.hashes[doc_id],
                    path=str(plan.to_embed[doc_id]),
                    title=document.title,
                    chunks=len(chunks),
                )
            finally:
                progress.advance()
    return new_chunks, entries


def _parse(
    doc_id: str, path: Path, plan: _Plan, manifest: Manifest | None
) -> ParsedDocument | None:
    """The document with its secrets redacted, or None when it cannot be read (skipped)."""
    try:
        document = parse_document(path)
    except UnreadableDocumentError as error:
        _skip(doc_id, path, error, plan, manifest)
        return None
    redacted = redact_document(document)
    if redacted:
        log.warning(
            "redacted %d secret(s) in %s: credentials do not belong in knowledge/", redacted, path
        )
    return document


def _skip(
    doc_id: str, path: Path, error: Exception, plan: _Plan, manifest: Manifest | None
) -> None:
    plan.skip(
        doc_id, path, str(error), had_chunks=manifest is not None and doc_id in manifest.documents
    )
