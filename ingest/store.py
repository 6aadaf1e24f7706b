"""Immutable, versioned index folders and the atomically replaced pointer to the current one.

Chroma's embedded `PersistentClient` is not safe for two processes writing one folder, and the bot
reads the index while an admin re-ingests. So an ingest never writes a folder anyone reads: it
builds a new version in `versions/<name>.building`, renames it when complete, then replaces the
`CURRENT` pointer with `os.replace` (atomic). Readers hold a shared `flock` on a version's
`reader.lock` while they use it; old versions are deleted only once an exclusive lock shows that
no reader is left. A killed ingest leaves at most a `.building` folder, which the next ingest
removes: the published index is never half-written.

Layout under `<data_dir>/index/`:

    CURRENT                 name of the published version
    REJECTED                name of the latest version the quality gate kept aside (if any)
    ingest.lock             held by the one running ingest
    versions/<name>/
        chroma/             Chroma PersistentClient folder, collection `chunks` (cosine)
        chunks.jsonl        one ChunkRecord per line, in the order of the rows of vectors.npy
        vectors.npy         float32 embeddings; the next ingest copies unchanged documents'
                            vectors from here instead of opening a Chroma folder a reader holds
        sentence_vectors.npy  float32 embeddings of every chunk's sentences, chunk by chunk in
                            the order of chunks.jsonl: the answer engine reads them, never
                            embeds them again
        manifest.json       build fingerprint and per-document hashes (see `Manifest`)
        reader.lock         shared-locked by every process reading this version
"""

import fcntl
import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol, TypeVar, cast

import numpy as np
from pydantic import BaseModel, Field

from ingest.errors import IndexBusyError, IndexNotBuiltError
from ingest.records import ChunkRecord

if TYPE_CHECKING:  # Chroma is imported where it is used: a second of a cold `ask` otherwise
    import chromadb
    from chromadb.api.client import Client

COLLECTION = "chunks"
SENTENCE_VECTORS = "sentence_vectors.npy"
BUILDING_SUFFIX = ".building"


class DocumentEntry(BaseModel):
    """What the index knows of one source document."""

    hash: str
    path: str
    title: str
    chunks: int


class Manifest(BaseModel):
    """The description of one index version: how it was built and from which documents."""

    fingerprint: dict[str, str | int]
    embedder: dict[str, str] = Field(
        default_factory=dict, description="Backend, model and variant that embedded the chunks."
    )
    documents: dict[str, DocumentEntry]
    created: str
    chunk_count: int


class BuildProgress(Protocol):
    def start(self, description: str, total: int) -> None: ...

    def advance(self, amount: int = 1) -> None: ...


class OpenVersion(Protocol):
    """A version held open by a reader: searchable until `close()`."""

    name: str

    @property
    def collection(self) -> "chromadb.Collection": ...

    def records(self) -> list[ChunkRecord]: ...

    def sentence_vectors(self) -> np.ndarray | None:
        """Vectors of the chunks' sentences, in order, or None where the version has none."""
        ...

    def close(self) -> None: ...


Build = TypeVar("Build")


class Store(Protocol[Build]):
    """Where index versions live: folders on this machine, or collections on a Chroma server."""

    def current_name(self) -> str | None: ...

    def read_manifest(self, name: str) -> Manifest: ...

    def read_records(self, name: str) -> tuple[list[ChunkRecord], np.ndarray]: ...

    def read_sentence_vectors(self, name: str) -> np.ndarray | None: ...

    def ingest_lock(self) -> AbstractContextManager[None]: ...

    def begin_build(self) -> Build: ...

    def write(
        self,
        build: Build,
        records: list[ChunkRecord],
        vectors: np.ndarray,
        manifest: Manifest,
        progress: BuildProgress,
        sentence_vectors: np.ndarray,
    ) -> None: ...

    def seal(self, build: Build) -> str:
        """Turn a written build into a complete version, openable by name but not current."""
        ...

    def point_to(self, name: str) -> None:
        """Make a sealed version the current one (atomically)."""
        ...

    def publish(self, build: Build) -> str: ...

    def set_aside(self, name: str) -> None:
        """Keep a sealed version that must not become current (the quality gate refused it)."""
        ...

    def rejected_name(self) -> str | None: ...

    def collect_garbage(self) -> list[str]: ...

    def open_current(self) -> OpenVersion: ...

    def open_version(self, name: str) -> OpenVersion: ...


def chroma_client(folder: Path) -> "Client":
    """An embedded Chroma client for one version folder, with telemetry off (no network)."""
    import chromadb
    from chromadb.api.client import Client
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.PersistentClient(
        path=str(folder), settings=ChromaSettings(anonymized_telemetry=False)
    )
    return cast(Client, client)  # declared as the API, which lacks the `close()` it has


def add_in_batches(
    client: "chromadb.ClientAPI",
    collection: "chromadb.Collection",
    records: list[ChunkRecord],
    vectors: np.ndarray,
    progress: BuildProgress,
) -> None:
    step = client.get_max_batch_size()
    for start in range(0, len(records), step):
        part = records[start : start + step]
        collection.add(
            ids=[record.id for record in part],
            embeddings=vectors[start : start + step],
            documents=[record.text for record in part],
            metadatas=[record.chroma_metadata() for record in part],
        )
        progress.advance(len(part))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class VersionStore:
    """The versions of one index folder: read the current one, build and publish new ones."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        self.versions_dir = index_dir / "versions"
        self.pointer = index_dir / "CURRENT"

    def current_name(self) -> str | None:
        """The published version's name, or None before the first ingest."""
        try:
            name = self.pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return name or None

    def version_path(self, name: str) -> Path:
        return self.versions_dir / name

    def read_manifest(self, name: str) -> Manifest:
        return Manifest.model_validate_json(
            (self.version_path(name) / "manifest.json").read_text(encoding="utf-8")
        )

    def read_records(self, name: str) -> tuple[list[ChunkRecord], np.ndarray]:
        """The chunks of a version and their vectors, row for row."""
        folder = self.version_path(name)
        with (folder / "chunks.jsonl").open(encoding="utf-8") as lines:
            records = [ChunkRecord.model_validate_json(line) for line in lines if line.strip()]
        vectors = np.load(folder / "vectors.npy")
        return records, vectors

    def read_sentence_vectors(self, name: str) -> np.ndarray | None:
        return _load_if_present(self.version_path(name) / SENTENCE_VECTORS)

    @contextmanager
    def ingest_lock(self) -> Iterator[None]:
        """Exclusive right to build a version; fails at once if another ingest runs."""
        self.versions_dir.mkdir(parents=True, exist_ok=True)
        with (self.index_dir / "ingest.lock").open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise IndexBusyError(
                    f"another ingest is running on {self.index_dir}; wait for it to finish"
                ) from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def begin_build(self) -> Path:
        """A fresh folder for a version under construction (call with the ingest lock held)."""
        folder = self.versions_dir / f"{new_version_name()}{BUILDING_SUFFIX}"
        folder.mkdir(parents=True)
        (folder / "reader.lock").touch()
        return folder

    def write(
        self,
        build: Path,
        records: list[ChunkRecord],
        vectors: np.ndarray,
        manifest: Manifest,
        progress: BuildProgress,
        sentence_vectors: np.ndarray,
    ) -> None:
        """Write a complete version into its build folder; nothing reads it yet."""
        client = chroma_client(build / "chroma")
        try:
            collection = client.create_collection(
                COLLECTION, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
            )
            add_in_batches(client, collection, records, vectors, progress)
        finally:
            client.close()
        with (build / "chunks.jsonl").open("w", encoding="utf-8") as out:
            for record in records:
                out.write(record.model_dump_json() + "\n")
        np.save(build / "vectors.npy", vectors.astype(np.float32, copy=False))
        np.save(build / SENTENCE_VECTORS, sentence_vectors.astype(np.float32, copy=False))
        (build / "manifest.json").write_text(manifest.model_dump_json(indent=2), encoding="utf-8")

    def seal(self, build: Path) -> str:
        """Rename a completed build to its version name; nothing reads it until `point_to`."""
        name = build.name.removesuffix(BUILDING_SUFFIX)
        build.rename(build.with_name(name))
        _fsync_dir(self.versions_dir)
        return name

    def point_to(self, name: str) -> None:
        """Make a sealed version current; readers switch on their next search."""
        self._write_pointer(self.pointer, name)
        self.rejected_pointer.unlink(missing_ok=True)

    def publish(self, build: Path) -> str:
        """Seal a completed build and make it the current version."""
        name = self.seal(build)
        self.point_to(name)
        return name

    def set_aside(self, name: str) -> None:
        """Remember a refused version (kept until the next one is published or refused)."""
        self._write_pointer(self.rejected_pointer, name)

    def rejected_name(self) -> str | None:
        try:
            return self.rejected_pointer.read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None

    @property
    def rejected_pointer(self) -> Path:
        return self.index_dir / "REJECTED"

    def _write_pointer(self, pointer: Path, name: str) -> None:
        tmp = pointer.with_name(f"{pointer.name}.{uuid.uuid4().hex}.tmp")
        with tmp.open("w", encoding="utf-8") as out:
            out.write(name)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, pointer)
        _fsync_dir(self.index_dir)

    def collect_garbage(self) -> list[str]:
        """Delete unfinished builds and old versions no reader holds (call with the ingest lock)."""
        if not self.versions_dir.is_dir():
            return []
        keep = {self.current_name(), self.rejected_name()}
        removed = []
        for folder in sorted(self.versions_dir.iterdir()):
            if folder.name in keep or not folder.is_dir():
                continue
            if folder.name.endswith(BUILDING_SUFFIX) or self._unused(folder):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder.name)
        return removed

    @staticmethod
    def _unused(folder: Path) -> bool:
        """True once no reader holds the version; it is then moved aside so none can open it."""
        lock = folder / "reader.lock"
        try:
            handle = lock.open("a")
        except FileNotFoundError:
            return True
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            # Renamed while locked: a reader that opened the lock file before now finds the
            # folder gone once it gets its shared lock, and re-reads the pointer.
            folder.rename(folder.with_name(f".trash-{folder.name}"))
            folder = folder.with_name(f".trash-{folder.name}")
            shutil.rmtree(folder, ignore_errors=True)
            return True

    def open_current(self) -> "LocalVersion":
        """Open the current version for reading, shared-locked against deletion until closed."""
        for _ in range(20):
            name = self.current_name()
            if name is None:
                raise IndexNotBuiltError(
                    f"no index in {self.index_dir}: run `ai-strategy ingest` first"
                )
            version = self._try_open(name)
            if version is not None:
                return version
        raise IndexNotBuiltError(f"the index in {self.index_dir} keeps changing; try again")

    def open_version(self, name: str) -> "LocalVersion":
        """Open one version by name (e.g. a candidate the quality gate checks)."""
        version = self._try_open(name)
        if version is None:
            raise IndexNotBuiltError(f"index version {name} does not exist in {self.index_dir}")
        return version

    def _try_open(self, name: str) -> "LocalVersion | None":
        folder = self.version_path(name)
        try:
            handle = (folder / "reader.lock").open("r")
        except FileNotFoundError:
            return None  # replaced and collected between reading the pointer and opening it
        fcntl.flock(handle, fcntl.LOCK_SH)
        if folder.is_dir():
            return LocalVersion(name, folder, handle)
        handle.close()
        return None


class LocalVersion:
    """One version folder held open: its chunks, its Chroma collection, and the reader lock.

    Chroma is opened on the first search: a reader that scores the chunks in memory (the answer
    engine) never imports it, which is most of a cold `ask`'s start.
    """

    def __init__(self, name: str, folder: Path, lock_handle: IO[str]) -> None:
        self.name = name
        self._folder = folder
        self._lock_handle = lock_handle
        self._records: list[ChunkRecord] | None = None
        self._client: Client | None = None
        self._collection: chromadb.Collection | None = None
        self._opening = threading.Lock()

    @property
    def collection(self) -> "chromadb.Collection":
        with self._opening:
            if self._collection is None:
                client = chroma_client(self._folder / "chroma")
                try:
                    self._collection = client.get_collection(COLLECTION, embedding_function=None)
                except BaseException:
                    client.close()
                    raise
                self._client = client
            return self._collection

    def records(self) -> list[ChunkRecord]:
        if self._records is None:
            with (self._folder / "chunks.jsonl").open(encoding="utf-8") as lines:
                self._records = [ChunkRecord.model_validate_json(line) for line in lines]
        return self._records

    def sentence_vectors(self) -> np.ndarray | None:
        return _load_if_present(self._folder / SENTENCE_VECTORS)

    def close(self) -> None:
        with self._opening:
            if self._client is not None:
                self._client.close()
        self._lock_handle.close()


def _load_if_present(path: Path) -> np.ndarray | None:
    """A vectors file of a version, or None for a version written before it existed."""
    try:
        return np.load(path)
    except FileNotFoundError:
        return None


def new_version_name() -> str:
    """Sortable by creation time: `v<UTC timestamp>-<random>`."""
    return f"v{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex[:6]}"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
