"""Hybrid retrieval: dense search in Chroma and BM25, fused by reciprocal rank, kept diverse.

Three rankings are fused: dense search of whole chunks in Chroma, dense search of the chunks'
passages (a chunk scores as its best sentence, so one on-point sentence in a long chunk is not
diluted by the rest), and BM25, which finds exact terms (names, numbers, "Brown et al.").
Reciprocal rank fusion with equal weights needs no score calibration between them. A
per-document cap on the first results keeps one long document from crowding out the others, so
answers can cite, and compare, several sources.

Everything derived from the chunks (the BM25 index, the passages and their embeddings) is built
once per index version and rebuilt by itself when an ingest publishes a new version. Passage
vectors are the sentence vectors the ingest stored with the version; for a version without them
(on a Chroma server) they are embedded once and kept on disk, named by a hash of the model and
the passages, so that a fresh process (a CLI call, a restarted bot) does not embed them again.
"""

import hashlib
import math
import os
import re
import tempfile
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import bm25s
import numpy as np

from bot.answering.passages import Passage, passages_of
from bot.answering.stance import subject_of
from bot.answering.text import approaches_in, content_terms, words
from ingest.embedding import EmbedderSpec
from ingest.index import KnowledgeIndex
from ingest.records import ChunkRecord

RRF_K = 60  # the usual constant of reciprocal rank fusion (Cormack et al., 2009)
DENSE_CANDIDATES = 200
PER_DOCUMENT_CAP = 2
DIVERSITY_WINDOW = 8  # the per-document cap applies to this many first results
CACHED_VECTOR_FILES = 3


class RetrievalMode(StrEnum):
    """Which retriever ranks the chunks; `hybrid` is what answers use."""

    dense = "dense"
    bm25 = "bm25"
    hybrid = "hybrid"


@dataclass(frozen=True)
class RankedChunk:
    """A retrieved chunk with the evidence for it: dense cosine, BM25 score, fused score."""

    position: int  # in `Corpus.chunks`
    chunk: ChunkRecord
    dense: float
    bm25: float
    fused: float


# "… can greatly minimize these inaccuracies": a sentence that names what came before it
_REFERS_BACK = re.compile(r"^(?:\S+\s+){0,10}?(?:these|those|such)\s+\w+", re.IGNORECASE)


class Corpus:
    """One index version prepared for answering: chunks, BM25, passages and their vectors."""

    def __init__(
        self,
        version: str,
        chunks: Sequence[ChunkRecord],
        embeddings,
        *,
        model_name: str = "",
        cache_dir: Path | None = None,
        sentence_vectors: np.ndarray | None = None,
    ) -> None:
        self.version = version
        self.chunks = list(chunks)
        self._embeddings = embeddings
        self._model_name = model_name
        self._cache_dir = cache_dir
        self.position_of = {chunk.id: position for position, chunk in enumerate(self.chunks)}
        tokenized = [content_terms(chunk.embedding_text()) or ["_"] for chunk in self.chunks]
        self._bm25 = bm25s.BM25()
        self._bm25.index(tokenized, show_progress=False)
        self._vocabulary = set(self._bm25.vocab_dict)
        self.passages: list[Passage] = [
            passage
            for position, chunk in enumerate(self.chunks)
            for passage in passages_of(chunk, position)
        ]
        self.subjects = _passage_subjects(self.passages)
        self._passage_chunk = np.array([passage.chunk for passage in self.passages], dtype=np.int64)
        self.passage_terms = [
            set(content_terms(passage.embedding_text)) for passage in self.passages
        ]
        self.passage_words = [set(words(passage.embedding_text)) for passage in self.passages]
        self.chunk_vectors: np.ndarray | None = None  # the index's own vectors, when given
        self.usable_passages = np.array(
            [index for index, passage in enumerate(self.passages) if passage.usable], dtype=np.int64
        )
        document_frequency = Counter(term for terms in self.passage_terms for term in terms)
        self._passage_count = max(len(self.passages), 1)
        self._idf = {
            term: math.log(1 + self._passage_count / count)
            for term, count in document_frequency.items()
        }
        self.search_terms, self.search_words = self._with_what_is_referred_to()
        # The index version's own sentence vectors (one per passage), computed at ingest
        self._vectors: np.ndarray | None = (
            sentence_vectors
            if sentence_vectors is not None and sentence_vectors.shape[0] == len(self.passages)
            else None
        )
        self._vectors_lock = threading.Lock()

    def _with_what_is_referred_to(self) -> tuple[list[set[str]], list[set[str]]]:
        """The stems and words a question is matched against, per passage: its own, and those
        of the sentence before it when it names what that one said ("… often called
        hallucinations." "Prompt engineering can greatly minimize these inaccuracies")."""
        terms = [set(own) for own in self.passage_terms]
        found = [set(own) for own in self.passage_words]
        for index in range(1, len(self.passages)):
            passage, before = self.passages[index], self.passages[index - 1]
            same_document = self.chunks[passage.chunk].doc == self.chunks[before.chunk].doc
            if same_document and _REFERS_BACK.match(passage.text):
                terms[index] |= self.passage_terms[index - 1]
                found[index] |= self.passage_words[index - 1]
        return terms, found

    def unknown_terms(self, text: str) -> list[str]:
        """The content stems of `text` that no chunk of this version uses."""
        return [term for term in content_terms(text) if term not in self._vocabulary]

    def idf(self, term: str) -> float:
        """Inverse passage frequency; a term the corpus never uses weighs most."""
        return self._idf.get(term, math.log(1 + self._passage_count))

    @property
    def passage_vectors(self) -> np.ndarray:
        """Unit vectors of every passage, computed once per version (a few seconds, then cached)."""
        if self._vectors is None:
            with self._vectors_lock:
                if self._vectors is None:
                    self._vectors = self._load_or_embed()
        return self._vectors

    def _load_or_embed(self) -> np.ndarray:
        texts = [passage.embedding_text for passage in self.passages]
        digest = hashlib.sha256("\x1e".join([self._model_name, *texts]).encode("utf-8")).hexdigest()
        path = self._cache_dir / f"passages-{digest[:24]}.npy" if self._cache_dir else None
        if path is not None and path.is_file():
            try:
                cached = np.load(path)
                if cached.shape[0] == len(texts):
                    return cached
            except (OSError, ValueError):
                pass  # unreadable: embed again and overwrite
        vectors = self._embeddings.embed(texts).reshape(len(texts), -1)
        if path is not None:
            _save_quietly(path, vectors)
        return vectors

    def passage_similarities(self, vector: Sequence[float] | np.ndarray) -> np.ndarray:
        """Cosine similarity of every passage to a (unit) query vector."""
        return self.passage_vectors @ np.asarray(vector, dtype=np.float32)

    def best_passage_similarity(self, vector: Sequence[float]) -> np.ndarray:
        """Per chunk, the similarity of its best passage (-1 for a chunk without passages)."""
        best = np.full(len(self.chunks), -1.0, dtype=np.float32)
        np.maximum.at(best, self._passage_chunk, self.passage_similarities(vector))
        return best

    def dense_scores(self, vector: Sequence[float]) -> np.ndarray | None:
        """Cosine similarity of every chunk to a (unit) query vector, from the index's stored
        vectors (the same ranking as the vector store's, without a round trip for every chunk);
        None when they are not loaded."""
        if self.chunk_vectors is None:
            return None
        return self.chunk_vectors @ np.asarray(vector, dtype=np.float32)

    def bm25_scores(self, query: str) -> np.ndarray:
        terms = [term for term in content_terms(query) if term in self._vocabulary]
        if not terms:
            return np.zeros(len(self.chunks), dtype=np.float32)
        return np.asarray(self._bm25.get_scores(terms), dtype=np.float32)


class HybridRetriever:
    """Rank the chunks of the current index version for a query; thread-safe."""

    def __init__(self, index: KnowledgeIndex, *, cache_dir: Path | None = None) -> None:
        self.index = index
        self.cache_dir = cache_dir
        self._corpus: Corpus | None = None
        self._lock = threading.Lock()

    def corpus(self) -> Corpus:
        """The prepared corpus of the current version, rebuilt when the version changes."""
        version = self.index.version
        corpus = self._corpus
        if corpus is None or corpus.version != version:
            with self._lock:
                if self._corpus is None or self._corpus.version != version:
                    version, chunks, sentence_vectors = self.index.snapshot()
                    corpus = Corpus(
                        version,
                        chunks,
                        self.index.embedder,
                        model_name=EmbedderSpec.of(self.index.settings).vector_space,
                        cache_dir=self.cache_dir,
                        sentence_vectors=sentence_vectors,
                    )
                    corpus.chunk_vectors = self.index.chunk_vectors(
                        version, [chunk.id for chunk in chunks]
                    )
                    self._corpus = corpus
                corpus = self._corpus
        return corpus

    def retrieve(
        self,
        *,
        query: str,
        vector: Sequence[float],
        k: int = 8,
        mode: RetrievalMode = RetrievalMode.hybrid,
    ) -> list[RankedChunk]:
        """The best `k` chunks for `query` (whose embedding is `vector`), best first."""
        corpus = self.corpus()
        scores = corpus.dense_scores(vector)
        if scores is not None:
            top = np.argsort(-scores, kind="stable")[:DENSE_CANDIDATES]
            dense = {int(position): float(scores[position]) for position in top}
        else:
            dense_hits = self.index.search_vector(
                list(vector), min(DENSE_CANDIDATES, len(corpus.chunks))
            )
            dense = {
                corpus.position_of[hit.id]: hit.score
                for hit in dense_hits
                if hit.id in corpus.position_of
            }
        bm25 = corpus.bm25_scores(query)
        dense_order = sorted(dense, key=lambda position: -dense[position])
        bm25_order = [
            int(position) for position in np.argsort(-bm25, kind="stable") if bm25[position] > 0
        ]
        if mode is RetrievalMode.dense:
            fused = reciprocal_rank_fusion([dense_order])
        elif mode is RetrievalMode.bm25:
            fused = reciprocal_rank_fusion([bm25_order])
        else:
            best_passage = corpus.best_passage_similarity(vector)
            passage_order = [int(position) for position in np.argsort(-best_passage, kind="stable")]
            fused = reciprocal_rank_fusion([dense_order, passage_order, bm25_order])
        ranked = [
            RankedChunk(
                position=position,
                chunk=corpus.chunks[position],
                dense=dense.get(position, 0.0),
                bm25=float(bm25[position]),
                fused=score,
            )
            for position, score in sorted(fused.items(), key=lambda item: -item[1])
        ]
        if mode is RetrievalMode.hybrid:
            ranked = diversify(ranked, k=DIVERSITY_WINDOW, per_document=PER_DOCUMENT_CAP)
        return ranked[:k]


def _save_quietly(path: Path, vectors: np.ndarray) -> None:
    """Write the cache atomically and keep only the newest few files; a failure only costs time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as handle:
            np.save(handle, vectors)
        os.replace(handle.name, path)
        older = sorted(path.parent.glob("passages-*.npy"), key=lambda file: file.stat().st_mtime)
        for stale in older[:-CACHED_VECTOR_FILES]:
            stale.unlink(missing_ok=True)
    except OSError:
        pass


def _passage_subjects(passages: Sequence[Passage]) -> list[str | None]:
    """The approach each passage is about; "it" continues the previous passage of its chunk."""
    subjects: list[str | None] = []
    previous_chunk, carried = None, None
    for passage in passages:
        if passage.chunk != previous_chunk:
            named = approaches_in(passage.heading)
            previous_chunk, carried = passage.chunk, named.pop() if len(named) == 1 else None
        carried = passage.subject or subject_of(passage.text, carried)
        subjects.append(carried)
    return subjects


def reciprocal_rank_fusion(rankings: Sequence[Sequence[int]], k: int = RRF_K) -> dict[int, float]:
    """Sum of 1 / (k + rank) over the rankings each item appears in."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return scores


def diversify(ranked: Sequence[RankedChunk], *, k: int, per_document: int) -> list[RankedChunk]:
    """At most `per_document` chunks of one document among the first `k`, order otherwise kept."""
    head: list[RankedChunk] = []
    rest: list[RankedChunk] = []
    taken: Counter[str] = Counter()
    for item in ranked:
        if len(head) < k and taken[item.chunk.doc] < per_document:
            head.append(item)
            taken[item.chunk.doc] += 1
        else:
            rest.append(item)
    return head + rest
