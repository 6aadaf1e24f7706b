"""The read API of the knowledge index: what the bot and `ai-strategy search` use.

A `KnowledgeIndex` follows the published version: before each search it reads the `CURRENT`
pointer (a few microseconds) and, when an ingest has published a new version, opens it and
releases the old one. A long-running bot therefore serves the new index without a restart, and
never reads a version that is still being written. A `KnowledgeIndex` pinned to a `version`
reads that version only (the quality gate uses this to try a version before it is published).
"""

import threading
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from ingest.embedding import Embedder, EmbedderSpec, load_embedder
from ingest.records import KNOWLEDGE_METADATA, ChunkRecord, SearchHit
from ingest.settings import IndexSettings
from ingest.store import Manifest, OpenVersion
from ingest.stores import open_store


@dataclass(frozen=True)
class PublishedVersion:
    """The index version searches read, and its manifest."""

    name: str
    manifest: Manifest


class IndexMismatchError(RuntimeError):
    """The index holds vectors of another model or variant than this process embeds queries with."""


class KnowledgeIndex:
    """Search the current index version; thread-safe, and switches versions by itself."""

    def __init__(self, settings: IndexSettings, *, version: str | None = None) -> None:
        self.settings = settings
        self.pinned = version
        self._store = open_store(settings)
        self._lock = threading.Lock()
        self._open: OpenVersion | None = None

    @property
    def embedder(self) -> Embedder:
        """The embedding model (loaded on first use and shared within the process)."""
        return load_embedder(self.settings)

    def _current(self) -> OpenVersion:
        with self._lock:
            if self.pinned is not None:
                if self._open is None:
                    self._open = self._store.open_version(self.pinned)
                return self._open
            name = self._store.current_name()
            if self._open is None or self._open.name != name:
                fresh = self._store.open_current()
                try:
                    self._check_vectors(fresh.name)
                except BaseException:
                    fresh.close()
                    raise
                if self._open is not None:
                    self._open.close()
                self._open = fresh
            return self._open

    @property
    def version(self) -> str:
        """Name of the version searches currently read."""
        return self._current().name

    def published(self) -> "PublishedVersion":
        """The current version: its name, what it holds (documents, titles, chunk counts) and
        when it was built."""
        name = self.version
        return PublishedVersion(name=name, manifest=self._store.read_manifest(name))

    def chunks(self) -> list[ChunkRecord]:
        """Every chunk of the current version, in document order (e.g. to build a BM25 index)."""
        return self._current().records()

    def snapshot(self) -> tuple[str, list[ChunkRecord], np.ndarray | None]:
        """The current version's name, chunks and sentence vectors, all of one version."""
        version = self._current()
        return version.name, version.records(), version.sentence_vectors()

    def chunk_vectors(self, version: str, chunk_ids: list[str]) -> np.ndarray:
        """The stored vectors of these chunks of `version`, row for row: a reader that holds
        every chunk scores them all in memory instead of asking the vector store for all."""
        records, vectors = self._store.read_records(version)
        row_of = {record.id: row for row, record in enumerate(records)}
        return np.asarray(vectors, dtype=np.float32)[[row_of[chunk_id] for chunk_id in chunk_ids]]

    def _check_vectors(self, name: str) -> None:
        """Queries must be embedded in the space the index's vectors are in."""
        built = self._store.read_manifest(name).fingerprint.get("embedding_vectors")
        wanted = EmbedderSpec.of(self.settings).vector_space
        if built is not None and built != wanted:
            raise IndexMismatchError(
                f"the index holds vectors of {built!r}, but queries would be embedded as "
                f"{wanted!r}: run `ai-strategy ingest` to rebuild it, or change the embedding "
                "settings back"
            )

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_query(text)

    def search(self, query: str, k: int = 5) -> list[SearchHit]:
        """The `k` chunks closest in meaning to `query`, best first (score: cosine similarity)."""
        return self.search_vector(self.embed_query(query), k)

    def search_vector(self, vector: list[float], k: int = 5) -> list[SearchHit]:
        from chromadb.errors import NotFoundError  # Chroma is imported by what searches it

        try:
            return self._query(self._current(), vector, k)
        except NotFoundError:
            # On a Chroma server, an ingest elsewhere collected the version this process had
            # open (readers there hold no lock): re-open the current one.
            self.close()
            return self._query(self._current(), vector, k)

    @staticmethod
    def _query(version: OpenVersion, vector: list[float], k: int) -> list[SearchHit]:
        count = version.collection.count()
        if count == 0 or k <= 0:
            return []
        result = version.collection.query(
            query_embeddings=np.asarray([vector], dtype=np.float32),
            n_results=min(k, count),
            include=["documents", "metadatas", "distances"],
        )
        # What `include` names is there; Chroma's types leave every field optional.
        texts = cast(list[list[str]], result["documents"])[0]
        metadatas = cast(list[list[dict[str, Any]]], result["metadatas"])[0]
        distances = cast(list[list[float]], result["distances"])[0]
        # A hit carries the chunk's citation metadata; its knowledge model (sentences and
        # claims, `chunks()`) is left unparsed: decoding it for every hit of every search
        # would cost more than the search.
        return [
            SearchHit(
                id=chunk_id,
                text=text,
                score=1.0 - distance,
                **{key: value for key, value in metadata.items() if key != KNOWLEDGE_METADATA},
            )
            for chunk_id, text, metadata, distance in zip(
                result["ids"][0], texts, metadatas, distances, strict=True
            )
        ]

    def close(self) -> None:
        with self._lock:
            if self._open is not None:
                self._open.close()
                self._open = None
