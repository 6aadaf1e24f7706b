"""Side-by-side comparisons: "how do they compare on cost?", "compare setup time and expertise".

The aspects come from the question (what is left after the comparison words and the approach
names, split at "and" and commas). Each aspect is matched against the rows of the documents'
comparison tables (tables with one column per approach), by the row label's words and by
meaning; when no table row matches, the most relevant sentence about each approach stands in.
Every cell carries the marker of its source.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.answering.composer import Sources
from bot.answering.models import ComparisonRow
from bot.answering.passages import TableRow
from bot.answering.retrieval import Corpus
from bot.answering.scoring import ScoredPassage
from bot.answering.stance import aspect_family
from bot.answering.text import (
    APPROACH_PATTERNS,
    FINE_TUNING,
    PROMPT_ENGINEERING,
    QUESTION_FILLER,
    STOPWORDS,
    content_terms,
    lower_first,
)

_COMPARISON = re.compile(
    r"\b(?:compare[sd]?|comparing|comparison|differ(?:s|ence|ences)?|versus|vs\.?|"
    r"side[- ]by[- ]side|contrast|trade-?offs?|stack up)\b",
    re.IGNORECASE,
)
_ASPECT_SEPARATOR = re.compile(r"\s*(?:,|;|/|&|\band\b|\bor\b)\s*", re.IGNORECASE)
_NOT_ASPECT = (
    STOPWORDS
    | QUESTION_FILLER
    | frozenset(
        [
            "prompt",
            "prompts",
            "engineering",
            "fine",
            "tuning",
            "tuned",
            "tune",
            "stack",
            "terms",
            "regard",
            "regards",
            "regarding",
            "respect",
            "side",
            "between",
            # what is asked of the comparison, not an aspect of it
            "summarize",
            "summarise",
            "outline",
            "list",
            "give",
            "show",
            "tell",
            "main",
            "key",
        ]
    )
)
ROW_MATCH = 0.55  # an aspect matches a row label sharing a word, or this close in meaning
FAMILY_MATCH = 0.3  # what a label of the aspect's family counts, beside a shared word (up to 1)
ROWS_PER_ASPECT = 2
DEFAULT_ROWS = 5
CELL_MAX_CHARS = 160


@dataclass(frozen=True)
class _Cell:
    text: str
    n: int


def is_comparison(question: str) -> bool:
    """Whether the question asks to compare the approaches side by side."""
    return bool(_COMPARISON.search(question))


def aspects_of(question: str) -> list[str]:
    """The aspects a comparison question names ("setup time", "expertise"); [] for none."""
    text = _COMPARISON.sub(" ", question)
    for pattern in APPROACH_PATTERNS.values():
        text = pattern.sub(" ", text)
    aspects = []
    # one space between words: the separator's `\s*` on a long run of blanks (left by the
    # names taken out of "fine-tuning vs prompting? " × 1,700) takes quadratic time
    text = re.sub(r"[\s?!.]+", " ", text)
    for part in _ASPECT_SEPARATOR.split(text):
        # as written ("ROI", "setup time"): the words name the row
        kept = [word for word in re.findall(r"[\w'-]+", part) if word.lower() not in _NOT_ASPECT]
        if kept:
            aspects.append(" ".join(kept))
    return list(dict.fromkeys(aspects))


def build_comparison(
    corpus: Corpus,
    *,
    aspects: Sequence[str],
    aspect_vectors: np.ndarray,
    query_vector: Sequence[float],
    scored: Sequence[ScoredPassage],
    sources: Sources,
) -> list[ComparisonRow]:
    """One row per aspect found in the sources, each cell cited; without aspects, the rows of
    the comparison table closest to the question."""
    table_rows = [
        index
        for index, passage in enumerate(corpus.passages)
        if passage.row and passage.row.by_approach
    ]
    if not aspects:
        return _default_rows(corpus, table_rows, query_vector, sources)
    rows = []
    for aspect, vector in zip(aspects, aspect_vectors, strict=True):
        matches = _matching_rows(corpus, table_rows, aspect, vector)
        if matches:
            rows.append(_row_from_tables(corpus, aspect, matches, sources))
            continue
        row = _row_from_sentences(corpus, aspect, vector, scored, sources)
        if row:
            rows.append(row)
    return rows


def render_comparison(rows: Sequence[ComparisonRow]) -> str:
    """The text rendering: one "- " line per aspect, one sentence per approach."""
    return "\n".join(
        f"- **{row.aspect}** — prompt engineering: {row.prompt_engineering}. "
        f"Fine-tuning: {row.fine_tuning}."
        for row in rows
    )


def _matching_rows(
    corpus: Corpus, table_rows: Sequence[int], aspect: str, vector: np.ndarray
) -> list[int]:
    """Table rows about `aspect`, best first, at most one per document. A label sharing the
    aspect's words matches best ("Cost" before "Ongoing Costs"), then one of its family
    ("Performance" for accuracy), then one close in meaning."""
    terms = set(content_terms(aspect))
    family = aspect_family(terms)
    similarities = corpus.passage_vectors[table_rows] @ vector if table_rows else []
    scored = []
    for index, similarity in zip(table_rows, similarities, strict=True):
        label_terms = set(content_terms(_table_row(corpus, index).label))
        shared = len(terms & label_terms) / max(len(terms | label_terms), 1)
        related = FAMILY_MATCH if label_terms & family else 0.0
        if shared or related or similarity >= ROW_MATCH:
            scored.append((max(shared, related) + float(similarity), index))
    chosen: list[int] = []
    documents: set[str] = set()
    for _, index in sorted(scored, reverse=True):
        document = corpus.chunks[corpus.passages[index].chunk].doc
        if document not in documents and len(chosen) < ROWS_PER_ASPECT:
            chosen.append(index)
            documents.add(document)
    return chosen


def _row_from_tables(
    corpus: Corpus, aspect: str, matches: Sequence[int], sources: Sources
) -> ComparisonRow:
    cells: dict[str, list[_Cell]] = {PROMPT_ENGINEERING: [], FINE_TUNING: []}
    for index in matches:
        passage = corpus.passages[index]
        n = sources.marker(passage.chunk)
        for approach, text in _table_row(corpus, index).by_approach.items():
            if text:
                cells[approach].append(_Cell(lower_first(text).rstrip("."), n))
    return _row(aspect, cells)


def _row_from_sentences(
    corpus: Corpus,
    aspect: str,
    vector: np.ndarray,
    scored: Sequence[ScoredPassage],
    sources: Sources,
) -> ComparisonRow | None:
    """The sentence closest to `aspect` about each approach, when both approaches have one."""
    cells: dict[str, list[_Cell]] = {PROMPT_ENGINEERING: [], FINE_TUNING: []}
    terms = set(content_terms(aspect))
    for approach in cells:
        candidates = [item for item in scored if corpus.subjects[item.index] == approach]
        if not candidates:
            return None
        best = max(
            candidates,
            key=lambda item: (
                float(corpus.passage_vectors[item.index] @ vector)
                + len(terms & corpus.passage_terms[item.index]) / max(len(terms), 1)
            ),
        )
        text = best.passage.text
        if len(text) > CELL_MAX_CHARS:
            text = text[:CELL_MAX_CHARS].rsplit(" ", 1)[0] + "…"
        cells[approach].append(_Cell(text.rstrip("."), sources.marker(best.passage.chunk)))
    return _row(aspect, cells)


def _default_rows(
    corpus: Corpus, table_rows: Sequence[int], query_vector: Sequence[float], sources: Sources
) -> list[ComparisonRow]:
    """No aspect named: the first rows of the comparison table closest to the question."""
    if not table_rows:
        return []
    similarities = corpus.passage_vectors[table_rows] @ np.asarray(query_vector, dtype=np.float32)
    first_chunk = corpus.passages[table_rows[int(np.argmax(similarities))]].chunk
    rows = []
    for index in [index for index in table_rows if corpus.passages[index].chunk == first_chunk][
        :DEFAULT_ROWS
    ]:
        rows.append(_row_from_tables(corpus, _table_row(corpus, index).label, [index], sources))
    return rows


def _row(aspect: str, cells: dict[str, list[_Cell]]) -> ComparisonRow:
    def join(items: list[_Cell]) -> str:
        return (
            "; ".join(f"{cell.text} [{cell.n}]" for cell in items) or "not covered by the sources"
        )

    numbers = sorted({cell.n for items in cells.values() for cell in items})
    return ComparisonRow(
        aspect=aspect[0].upper() + aspect[1:],
        prompt_engineering=join(cells[PROMPT_ENGINEERING]),
        fine_tuning=join(cells[FINE_TUNING]),
        citations=numbers,
    )


def _table_row(corpus: Corpus, index: int) -> TableRow:
    """The row of a passage of `table_rows` (which holds only table rows)."""
    row = corpus.passages[index].row
    if row is None:
        raise ValueError(f"passage {index} is not a table row")
    return row
