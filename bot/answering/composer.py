"""The extractive composer: an answer made only of cited sentences from the knowledge base.

It takes the most relevant passages within a band of the best one, skips near-duplicates,
stops at five sentences or about 900 characters, and keeps sentences of one chunk together in
reading order. Each sentence is followed by the marker of its chunk; the sources list maps the
markers to title, section and url.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from bot.answering.models import Citation
from bot.answering.retrieval import Corpus
from bot.answering.scoring import ScoredPassage
from bot.answering.wording import passage_text

MIN_SENTENCES = 2
MAX_SENTENCES = 5
MAX_CHARS = 900
RELEVANCE_BAND = 0.15  # sentences beyond the minimum must be this close to the best
WIDEST_BAND = 0.45  # no sentence further than this from the best (the second one included)
NEW_DOCUMENT_BONUS = 0.05  # a further source counts for something when choosing
DUPLICATE_SIMILARITY = 0.9
DUPLICATE_OVERLAP = 0.6


@dataclass
class Sources:
    """Markers handed out in order of first use: one per cited chunk."""

    corpus: Corpus
    numbers: dict[int, int] = field(default_factory=dict)  # chunk position -> n

    def marker(self, chunk_position: int) -> int:
        return self.numbers.setdefault(chunk_position, len(self.numbers) + 1)

    def citations(self) -> list[Citation]:
        return [
            citation_for(self.corpus, position, n)
            for position, n in sorted(self.numbers.items(), key=lambda item: item[1])
        ]


def citation_for(corpus: Corpus, chunk_position: int, n: int) -> Citation:
    chunk = corpus.chunks[chunk_position]
    return Citation(
        n=n, doc=chunk.doc, title=chunk.title, section=chunk.section, url=chunk.url,
        text=chunk.text, trust=chunk.trust,
    )  # fmt: skip


def select(
    corpus: Corpus, scored: Sequence[ScoredPassage], *, keep_first: bool = False
) -> list[ScoredPassage]:
    """The passages of the answer: relevant, distinct, 2 to 5 of them, about 900 characters;
    `keep_first`: the most relevant one opens the answer (a definition before the rest).

    Greedy: each step takes the most relevant remaining passage, a passage from a document
    not yet cited counting slightly more, until the next one falls out of the relevance band.
    """
    if not scored:
        return []
    best = scored[0].relevance
    pool = [item for item in scored if item.relevance >= best - WIDEST_BAND]
    chosen: list[ScoredPassage] = []
    documents: set[str] = set()
    length = 0
    while pool and len(chosen) < MAX_SENTENCES:

        def gain(item: ScoredPassage) -> float:
            document = corpus.chunks[item.passage.chunk].doc
            return item.relevance + (
                NEW_DOCUMENT_BONUS if chosen and document not in documents else 0.0
            )

        candidate = max(pool, key=gain)
        pool.remove(candidate)
        if len(chosen) >= MIN_SENTENCES and candidate.relevance < best - RELEVANCE_BAND:
            break
        text = passage_text(corpus, candidate.index)
        if chosen and length + len(text) > MAX_CHARS:
            continue
        if any(is_duplicate(corpus, candidate.index, other.index) for other in chosen):
            continue
        chosen.append(candidate)
        documents.add(corpus.chunks[candidate.passage.chunk].doc)
        length += len(text) + 5
    if keep_first and chosen:
        return [chosen[0], *[item for item in reading_order(chosen) if item is not chosen[0]]]
    return reading_order(chosen)


def reading_order(chosen: Sequence[ScoredPassage]) -> list[ScoredPassage]:
    """Best first, but passages of one chunk together and in the chunk's own order."""
    first_seen: dict[int, int] = {}
    for rank, item in enumerate(chosen):
        first_seen.setdefault(item.passage.chunk, rank)
    return sorted(chosen, key=lambda item: (first_seen[item.passage.chunk], item.passage.order))


def is_duplicate(corpus: Corpus, first: int, second: int) -> bool:
    """Near-duplicates: almost the same meaning, or mostly the same words."""
    vectors = corpus.passage_vectors
    if float(np.dot(vectors[first], vectors[second])) >= DUPLICATE_SIMILARITY:
        return True
    a, b = corpus.passage_terms[first], corpus.passage_terms[second]
    return bool(a and b) and len(a & b) / len(a | b) >= DUPLICATE_OVERLAP


def render_sentences(
    corpus: Corpus,
    chosen: Sequence[ScoredPassage],
    sources: Sources,
    *,
    first: str | None = None,
    terms: frozenset[str] = frozenset(),
    only: str | None = None,
) -> list[str]:
    """Each chosen passage followed by its marker (`first`: the approach a row names first;
    else the cell with most of the question's `terms` leads; `only`: a row gives only the cell
    of that approach)."""
    lines = []
    previous = None
    for item in chosen:
        text = passage_text(corpus, item.index, after=previous, first=first, terms=terms, only=only)
        lines.append(f"{text} [{sources.marker(item.passage.chunk)}]")
        previous = item.index
    return lines
