"""The vectors of one ingest run: each distinct text embedded once, sentences first.

The answer engine needs a vector for every sentence of every chunk (it scores sentences
against the question), so those are embedded as documents are read, once per distinct text,
and cleaning is given each block's topic as the word-weighted mean of its sentences' vectors
(a sentence is embedded with its heading, so a block keeps the context of its section).
Cleaning used to embed block openings of its own: with them, ingest read knowledge/ ~2.6
times (28k tokens against the plain recipe's 11k); now it reads it ~2 times (21k), chunks
and sentences, and embeds nothing else.

Chunks are still embedded whole. A chunk's vector made of its sentences' (tried: the
word-weighted mean) would make ingest read the text once, but search loses what makes a
chunk specific: on the dev questions dense recall@5 fell from 0.714 to 0.643, and the
assessment lost the citations found by chunk search (a table row's "days to weeks" among
them), so the index keeps the model's own chunk vectors.

A block with no citable line (too short, a code block) is embedded whole instead.
"""

import os
from collections.abc import Callable, Sequence

import numpy as np

from ingest.chunking import section_paths
from ingest.embedding import Embedder
from ingest.knowledge import innermost_heading, read_chunk
from ingest.parsing import Block, ParsedDocument
from ingest.records import ChunkRecord, Sentence, sentence_embedding_text
from ingest.settings import IndexSettings


def ingest_threads(settings: IndexSettings) -> int:
    """Threads one ingest embeds with: the setting, or one per core."""
    return settings.ingest_threads or os.cpu_count() or 1


class IngestVectors:
    """The embedder of one ingest run: each distinct text embedded once; block topics composed."""

    def __init__(self, embedder: Embedder, *, threads: int) -> None:
        self._embedder = embedder
        self._threads = threads
        self._vectors: dict[str, np.ndarray] = {}
        self._sentences: dict[tuple[str, str], tuple[Sentence, ...]] = {}  # by (section, text)
        self.dimension = embedder.dimension
        self.max_input_tokens = embedder.max_input_tokens
        self.count_tokens = embedder.count_tokens

    def describe(self) -> dict[str, str]:
        """What an index's manifest records about the vectors this run writes."""
        spec = self._embedder.spec
        return {"backend": spec.backend, "model": spec.model, "variant": self._embedder.variant}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of `texts`, in order; a text seen before in this run is not embedded."""
        missing = list(dict.fromkeys(text for text in texts if text not in self._vectors))
        if missing:
            fresh = self._embedder.embed(missing, threads=self._threads)
            self._vectors.update(zip(missing, fresh, strict=True))
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._vectors[text] for text in texts])

    def _compose(self, groups: Sequence[Sequence[Sentence]], wholes: Sequence[str]) -> np.ndarray:
        """One unit vector per group: the word-weighted mean of its sentences' vectors, or the
        vector of the group's `wholes` text where it has no sentence.

        All the texts are embedded in one call, so that batches of similar length form across
        groups.
        """
        self.embed(_texts(groups, wholes))
        rows = []
        for group, whole in zip(groups, wholes, strict=True):
            if not group:
                rows.append(self._vectors[whole])
                continue
            weights = np.array([len(sentence.text.split()) for sentence in group], np.float32)
            mean = weights @ np.stack([self._vectors[s.embedding_text] for s in group])
            rows.append(mean / max(float(np.linalg.norm(mean)), 1e-12))
        if not rows:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack(rows).astype(np.float32)

    def chunks(self, records: Sequence[ChunkRecord]) -> np.ndarray:
        """The vectors of chunks, one row per record: each chunk embedded whole."""
        return self.embed([record.embedding_text() for record in records])

    def topics(self, document: ParsedDocument) -> Callable[[Sequence[Block]], np.ndarray]:
        """What cleaning asks of a document: the topic vector of each of its blocks."""
        paths = section_paths(document)

        def vectors(blocks: Sequence[Block]) -> np.ndarray:
            sections = [paths.get(id(block), "") for block in blocks]
            return self._compose(*self._block_texts(sections, blocks))

        return vectors

    def read_ahead(self, documents: Sequence[ParsedDocument]) -> None:
        """Embed the sentences of these documents' blocks in one call, before cleaning them."""
        texts: list[str] = []
        for document in documents:
            paths = section_paths(document)
            blocks = [block for block in document.blocks if id(block) in paths]
            texts += _texts(*self._block_texts([paths[id(block)] for block in blocks], blocks))
        self.embed(texts)

    def _block_texts(
        self, sections: Sequence[str], blocks: Sequence[Block]
    ) -> tuple[list[tuple[Sentence, ...]], list[str]]:
        """Each block's sentences, read as the chunker will read them (under the same section
        path, so that the chunks' sentences are found embedded), and its whole text."""
        groups, wholes = [], []
        for section, block in zip(sections, blocks, strict=True):
            key = (section, block.text)
            if key not in self._sentences:
                self._sentences[key] = tuple(read_chunk(section, block.text)[0])
            groups.append(self._sentences[key])
            wholes.append(sentence_embedding_text(innermost_heading(section), block.text))
        return groups, wholes


def _texts(groups: Sequence[Sequence[Sentence]], wholes: Sequence[str]) -> list[str]:
    """What `_compose` embeds: every sentence, and the whole text of a group without one."""
    return [
        *(sentence.embedding_text for group in groups for sentence in group),
        *(whole for group, whole in zip(groups, wholes, strict=True) if not group),
    ]
