"""The read API of the knowledge index: what the bot and `ai-strategy search` use.

A `KnowledgeIndex` follows the published version: before each search it reads the `CURRENT`
pointer (a few microseconds) and, when an ingest has published a new version, opens it and
releases the old one. A long-running bot therefore serves the new index without a restart, and
never reads a version that is still being written.
"""

import threading
from pathlib import Path

import chromadb
from chromadb.config import Settings as ChromaSettings

from ingest.embedding import load_embeddings
from ingest.records import ChunkRecord, SearchHit
from ingest.settings import IndexSettings
from ingest.store import COLLECTION, VersionStore


def chroma_client(folder: Path) -> chromadb.ClientAPI:
    """An embedded Chroma client for one version folder, with telemetry off (no network)."""
    return chromadb.PersistentClient(
        path=str(folder), settings=ChromaSettings(anonymized_telemetry=False)
    )


class _OpenVersion:
    """One version held open: its Chroma collection, its chunks, and the reader lock."""

    def __init__(self, store: VersionStore) -> None:
        self.lock_handle, self.name, folder = store.acquire_current()
        try:
            self.client = chroma_client(folder / "chroma")
            self.collection = self.client.get_collection(COLLECTION, embedding_function=None)
            self.manifest = store.read_manifest(self.name)
            self._folder = folder
            self._records: list[ChunkRecord] | None = None
        except BaseException:
            self.lock_handle.close()
            raise

    def records(self) -> list[ChunkRecord]:
        if self._records is None:
            with (self._folder / "chunks.jsonl").open(encoding="utf-8") as lines:
                self._records = [ChunkRecord.model_validate_json(line) for line in lines]
        return self._records

    def close(self) -> None:
        self.client.close()
        self.lock_handle.close()


class KnowledgeIndex:
    """Search the current index version; thread-safe, and switches versions by itself."""

    def __init__(self, settings: IndexSettings) -> None:
        self.settings = settings
        self._store = VersionStore(settings.index_dir)
        self._lock = threading.Lock()
        self._open: _OpenVersion | None = None

    @property
    def embeddings(self):
        """The embedding model (loaded on first use and shared within the process)."""
        return load_embeddings(self.settings.embedding_model, self.settings.embed_batch_size)

    def _current(self) -> _OpenVersion:
        with self._lock:
            name = self._store.current_name()
            if self._open is None or self._open.name != name:
                fresh = _OpenVersion(self._store)
                if self._open is not None:
                    self._open.close()
                self._open = fresh
            return self._open

    @property
    def version(self) -> str:
        """Name of the version searches currently read."""
        return self._current().name

    def chunks(self) -> list[ChunkRecord]:
        """Every chunk of the current version, in document order (e.g. to build a BM25 index)."""
        return self._current().records()

    def embed_query(self, text: str) -> list[float]:
        return self.embeddings.embed_query(text)

    def search(self, query: str, k: int = 5) -> list[SearchHit]:
        """The `k` chunks closest in meaning to `query`, best first (score: cosine similarity)."""
        return self.search_vector(self.embed_query(query), k)

    def search_vector(self, vector: list[float], k: int = 5) -> list[SearchHit]:
        version = self._current()
        count = version.collection.count()
        if count == 0 or k <= 0:
            return []
        result = version.collection.query(
            query_embeddings=[vector],
            n_results=min(k, count),
            include=["documents", "metadatas", "distances"],
        )
        return [
            SearchHit(id=chunk_id, text=text, score=1.0 - distance, **metadata)
            for chunk_id, text, metadata, distance in zip(
                result["ids"][0],
                result["documents"][0],
                result["metadatas"][0],
                result["distances"][0],
                strict=True,
            )
        ]

    def close(self) -> None:
        with self._lock:
            if self._open is not None:
                self._open.close()
                self._open = None
