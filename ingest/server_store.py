"""Index versions as collections on a Chroma server, for several bot replicas and big indexes.

The same protocol as the local folders (`ingest.store`): each ingest writes a new collection
`<prefix>__<version>`, then replaces the pointer record in `<prefix>__meta` (a single upsert,
atomic on the server). Readers re-read the pointer before each search. A reader on another
machine cannot take a file lock here, so the previous version is kept one ingest longer than
needed and a reader that still loses its collection re-opens the current one.
"""

from contextlib import AbstractContextManager
from typing import Any, cast

import chromadb
import httpx
import numpy as np
from chromadb.api.types import Include
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import NotFoundError

from ingest.errors import IndexNotBuiltError, IndexServerError
from ingest.records import ChunkRecord
from ingest.settings import StoreSettings
from ingest.store import (
    BuildProgress,
    Manifest,
    VersionStore,
    add_in_batches,
    new_version_name,
)

POINTER_ID = "pointer"
REJECTED_ID = "rejected"
PAGE = 1000
# The pointer, rejection and manifest records of the meta collection carry no vector of use.
_NO_VECTOR = np.zeros((1, 1), dtype=np.float32)


def _unreachable(settings: StoreSettings, reason: str) -> IndexServerError:
    return IndexServerError(
        f"The Chroma server at {settings.chroma_host}:{settings.chroma_port} {reason}. Is it "
        "running, and are CHROMA_HOST / CHROMA_PORT (and CHROMA_SSL) right? "
        "Requests give up after "
        f"AI_STRATEGY_CHROMA_TIMEOUT_SECONDS={settings.chroma_timeout_seconds:g}."
    )


def _probe(settings: StoreSettings) -> None:
    """One heartbeat within the timeout: the client's own first calls have none, and would
    hang forever on a server that accepts connections but never answers."""
    scheme = "https" if settings.chroma_ssl else "http"
    url = f"{scheme}://{settings.chroma_host}:{settings.chroma_port}/api/v2/heartbeat"
    try:
        httpx.get(url, timeout=settings.chroma_timeout_seconds)
    except httpx.TimeoutException:
        raise _unreachable(settings, "did not answer in time") from None
    except httpx.HTTPError as error:
        raise _unreachable(settings, f"cannot be reached ({type(error).__name__})") from None


def http_client(settings: StoreSettings) -> chromadb.ClientAPI:
    host = settings.chroma_host
    if not host:
        raise IndexServerError("no Chroma server is configured: set CHROMA_HOST")
    headers = {}
    if settings.chroma_auth_token is not None:
        token = settings.chroma_auth_token.get_secret_value()
        is_bearer = settings.chroma_auth_header.lower() == "authorization"
        headers[settings.chroma_auth_header] = f"Bearer {token}" if is_bearer else token
    _probe(settings)
    try:
        client = chromadb.HttpClient(
            host=host,
            port=settings.chroma_port,
            ssl=settings.chroma_ssl,
            headers=headers,
            settings=ChromaSettings(anonymized_telemetry=False),
        )
    except (ValueError, httpx.HTTPError) as error:  # chromadb's "Could not connect" is a ValueError
        raise _unreachable(settings, f"cannot be reached ({type(error).__name__})") from None
    # chromadb 1.x builds its httpx session with no timeout and has no setting for one.
    cast(Any, client)._server._session.timeout = httpx.Timeout(settings.chroma_timeout_seconds)
    return client


class ServerStore:
    """Index versions on a Chroma server (see the module docstring)."""

    def __init__(self, settings: StoreSettings) -> None:
        self.client = http_client(settings)
        self.prefix = settings.chroma_collection_prefix
        # One ingest at a time per machine; run ingest from one place (the compose ingest job).
        self._local = VersionStore(settings.index_dir)

    def _meta(self) -> chromadb.Collection:
        return self.client.get_or_create_collection(f"{self.prefix}__meta", embedding_function=None)

    def _collection_name(self, version: str) -> str:
        return f"{self.prefix}__{version}"

    def current_name(self) -> str | None:
        documents = self._meta().get(ids=[POINTER_ID], include=["documents"])["documents"]
        return documents[0] if documents else None

    def read_manifest(self, name: str) -> Manifest:
        found = self._meta().get(ids=[f"manifest:{name}"], include=["documents"])["documents"]
        if not found:
            raise IndexNotBuiltError(f"index version {name} has no manifest on the Chroma server")
        return Manifest.model_validate_json(found[0])

    def read_records(self, name: str) -> tuple[list[ChunkRecord], np.ndarray]:
        return _read_collection(
            self.client.get_collection(self._collection_name(name), embedding_function=None),
            with_vectors=True,
        )

    def read_sentence_vectors(self, name: str) -> None:
        return None

    def ingest_lock(self) -> AbstractContextManager[None]:
        return self._local.ingest_lock()

    def begin_build(self) -> str:
        return new_version_name()

    def write(
        self,
        build: str,
        records: list[ChunkRecord],
        vectors: np.ndarray,
        manifest: Manifest,
        progress: BuildProgress,
        sentence_vectors: np.ndarray,
    ) -> None:
        # Sentence vectors stay with the local versions only: readers of a server version
        # embed the sentences once per process (`bot.answering.retrieval` caches them on disk).
        collection = self.client.create_collection(
            self._collection_name(build),
            configuration={"hnsw": {"space": "cosine"}},
            embedding_function=None,
        )
        add_in_batches(self.client, collection, records, vectors, progress)
        self._meta().upsert(
            ids=[f"manifest:{build}"], documents=[manifest.model_dump_json()], embeddings=_NO_VECTOR
        )

    def seal(self, build: str) -> str:
        return build  # the collection and its manifest are complete once written

    def point_to(self, name: str) -> None:
        self._meta().upsert(ids=[POINTER_ID], documents=[name], embeddings=_NO_VECTOR)
        self._meta().delete(ids=[REJECTED_ID])

    def publish(self, build: str) -> str:
        self.point_to(self.seal(build))
        return build

    def set_aside(self, name: str) -> None:
        self._meta().upsert(ids=[REJECTED_ID], documents=[name], embeddings=_NO_VECTOR)

    def rejected_name(self) -> str | None:
        documents = self._meta().get(ids=[REJECTED_ID], include=["documents"])["documents"]
        return documents[0] if documents else None

    def collect_garbage(self) -> list[str]:
        """Delete versions older than the previous one, and builds never published (except the
        version the quality gate set aside last)."""
        current = self.current_name()
        rejected = self.rejected_name()
        marker = f"{self.prefix}__v"
        versions = sorted(
            name.removeprefix(f"{self.prefix}__")
            for name in (collection.name for collection in self.client.list_collections())
            if name.startswith(marker)
        )
        if current is None:
            return []
        older = [version for version in versions if version < current and version != rejected]
        keep = {current, rejected, *older[-1:]}
        removed = []
        for version in versions:
            if version not in keep and version <= current:
                self.client.delete_collection(self._collection_name(version))
                self._meta().delete(ids=[f"manifest:{version}"])
                removed.append(version)
        return removed

    def open_current(self) -> "ServerVersion":
        for _ in range(3):
            name = self.current_name()
            if name is None:
                raise IndexNotBuiltError(
                    f"no index with prefix {self.prefix!r} on the Chroma server: "
                    "run `ai-strategy ingest` first"
                )
            try:
                return self.open_version(name)
            except NotFoundError:
                continue  # collected between reading the pointer and opening it
        raise IndexNotBuiltError("the index on the Chroma server keeps changing; try again")

    def open_version(self, name: str) -> "ServerVersion":
        collection = self.client.get_collection(
            self._collection_name(name), embedding_function=None
        )
        return ServerVersion(name, collection)


class ServerVersion:
    """A version collection on the server; holding it open costs nothing."""

    def __init__(self, name: str, collection: chromadb.Collection) -> None:
        self.name = name
        self.collection = collection
        self._records: list[ChunkRecord] | None = None

    def records(self) -> list[ChunkRecord]:
        if self._records is None:
            self._records, _ = _read_collection(self.collection, with_vectors=False)
        return self._records

    def sentence_vectors(self) -> None:
        return None

    def close(self) -> None:
        pass


def _read_collection(
    collection: chromadb.Collection, *, with_vectors: bool
) -> tuple[list[ChunkRecord], np.ndarray]:
    """Every record of a collection, page by page, in document order."""
    include: Include = ["documents", "metadatas"]
    if with_vectors:
        include.append("embeddings")
    rows: list[tuple[ChunkRecord, Any]] = []
    offset = 0
    while True:
        page = collection.get(include=include, limit=PAGE, offset=offset)
        if not page["ids"]:
            break
        # What `include` names is there; Chroma's types leave every field optional.
        texts = cast(list[str], page["documents"])
        metadatas = cast(list[dict[str, Any]], page["metadatas"])
        vectors = page["embeddings"] if with_vectors else [None] * len(page["ids"])
        for chunk_id, text, metadata, vector in zip(
            page["ids"], texts, metadatas, cast(list[Any], vectors), strict=True
        ):
            rows.append((ChunkRecord(id=chunk_id, text=text, **metadata), vector))
        offset += len(page["ids"])
    rows.sort(key=lambda row: (row[0].doc, row[0].position))
    records = [record for record, _ in rows]
    matrix = (
        np.asarray([vector for _, vector in rows], dtype=np.float32)
        if with_vectors
        else np.zeros((0, 0))
    )
    return records, matrix
