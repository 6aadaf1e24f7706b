"""Answer shapes per intent: which passages qualify, and how they are written.

- drawbacks / advantages: passages whose claims have that polarity (a cons question never takes
  a pro), about the approach asked, as a short list;
- examples: passages stating where an approach fits (scenario claims, "such as" lists);
- steps: the items of the list of steps that best matches, in their own order;
- which: the approach the sources favour on the point asked, named first (see `verdict`).

A claim written without its subject ("Requires significant computational power", a cell
"Lower per-request costs in production") is given its approach's name when the answer needs
it; a sentence opening with "it" or "this method" gets the name in place of the pronoun.
"""

import re
from collections.abc import Callable, Sequence

import numpy as np

from bot.answering.composer import DUPLICATE_OVERLAP, Sources
from bot.answering.passages import Passage
from bot.answering.retrieval import Corpus
from bot.answering.scoring import ScoredPassage
from bot.answering.text import approach_mentions, content_terms
from bot.answering.wording import claim_sentence, passage_text
from ingest.records import Claim

LIST_ITEMS = 5
MIN_ITEMS = 2
LIST_BAND = 0.3  # list items further than this below the best one are left out
EXAMPLE_BONUS = 0.1
_SEQUENCE = re.compile(r"\b(?:initially|start with|begin with|first)\b", re.IGNORECASE)
_COMBINING = re.compile(r"\b(?:combin\w*|together|hybrid)\b", re.IGNORECASE)
_STEPS_HEADING = re.compile(r"\b(?:steps?|process|phases?|stages?|workflow|how to)\b", re.I)
_CONTINUES = re.compile(r"^(?:Then|Next|Later|Afterwards|After that)\b")
# "Applications of X include summarization…", "X is used for tasks such as…": a list of uses.
_LISTS_USES = re.compile(
    r"\b(?:applications?|use cases?|used (?:for|in|with)|useful|valuable|suited|ideal|benefit)\b"
    r".{0,80}\b(?:such as|like|include|includes|including|e\.g\.)\b",
    re.IGNORECASE,
)
_EXAMPLE_CUE = re.compile(r"\b(?:such as|like|e\.g\.|for instance|for example|including)\b", re.I)


def item_text(corpus: Corpus, item: ScoredPassage, *, focus: str | None) -> str:
    """A list item: a row from its cells (`focus` first), the claim it states (named when the
    question names no approach, or another one), else the passage."""
    passage = item.passage
    if any(claim.kind == "cell" for claim in passage.claims):
        return passage_text(corpus, item.index, first=focus).rstrip(".")
    claim = _claim_of(passage, focus)
    if claim is not None and not approach_mentions(passage.text):
        return claim_sentence(claim, named=focus is None or claim.approach != focus)
    return passage_text(corpus, item.index).rstrip(".")


def render_list(
    corpus: Corpus, chosen: Sequence[ScoredPassage], sources: Sources, *, focus: str | None
) -> list[str]:
    """One "- " line per passage, each with its marker."""
    return [
        f"- {item_text(corpus, item, focus=focus)} [{sources.marker(item.passage.chunk)}]"
        for item in chosen
    ]


def polarity_items(
    corpus: Corpus,
    scored: Sequence[ScoredPassage],
    similarities: np.ndarray,
    *,
    polarity: str,
    focus: str | None,
) -> list[ScoredPassage]:
    """Drawbacks or advantages: passages anywhere whose claims have that polarity, about the
    approach asked, most relevant first; never one whose claim has the other polarity."""

    def matches(index: int, passage: Passage) -> bool:
        return any(
            claim.polarity == polarity and (focus is None or claim.approach == focus)
            for claim in passage.claims
        )

    return _distinct(corpus, _pool(corpus, scored, similarities, matches))


def scenario_items(
    corpus: Corpus,
    scored: Sequence[ScoredPassage],
    similarities: np.ndarray,
    *,
    focus: str | None,
) -> list[ScoredPassage]:
    """Where an approach fits: scenario claims about it, anywhere; those that list cases
    ("such as medical diagnosis, legal…") first, as they hold the examples."""

    def matches(index: int, passage: Passage) -> bool:
        if any(
            claim.scenario and (focus is None or claim.approach == focus)
            for claim in passage.claims
        ):
            return True
        about = focus is None or corpus.subjects[index] == focus
        return about and passage.polarity is None and bool(_LISTS_USES.search(passage.text))

    pool = _pool(corpus, scored, similarities, matches)
    pool.sort(key=lambda item: -(item.relevance + EXAMPLE_BONUS * _lists_cases(item.passage)))
    return _distinct(corpus, pool)


def _lists_cases(passage: Passage) -> bool:
    return bool(_EXAMPLE_CUE.search(passage.text)) or passage.kind == "row"


def _pool(
    corpus: Corpus,
    scored: Sequence[ScoredPassage],
    similarities: np.ndarray,
    matches: Callable[[int, Passage], bool],
) -> list[ScoredPassage]:
    """The usable passages that qualify, as scored (or by their similarity when they were not
    among the candidates), most relevant first."""
    by_index = {item.index: item for item in scored}
    pool = []
    for index in corpus.usable_passages.tolist():
        passage = corpus.passages[index]
        if not matches(index, passage):
            continue
        similarity = float(similarities[index])
        pool.append(
            by_index.get(index) or ScoredPassage(index, passage, similarity, 0.0, 0.0, similarity)
        )
    return sorted(pool, key=lambda item: -item.relevance)


def step_items(corpus: Corpus, scored: Sequence[ScoredPassage]) -> list[ScoredPassage]:
    """The items of the best-matching list of steps, in their own order: a list under a
    heading of steps or a process first."""
    items = [item for item in scored if item.passage.kind == "item"]
    best = next((item for item in items if _STEPS_HEADING.search(item.passage.heading)), None)
    best = best or next(iter(items), None)
    if best is None:
        return []
    same = {item.passage.order: item for item in scored if item.passage.chunk == best.passage.chunk}
    items = [
        same.get(index) or _unscored(corpus, best, index)
        for index, passage in enumerate(_chunk_passages(corpus, best.passage.chunk))
        if passage.kind == "item" and passage.usable
    ]
    return items[:LIST_ITEMS]


def _claim_of(passage: Passage, focus: str | None) -> Claim | None:
    items = [claim for claim in passage.claims if claim.kind == "item"]
    return next((claim for claim in items if focus is None or claim.approach == focus), None)


def _distinct(corpus: Corpus, items: Sequence[ScoredPassage]) -> list[ScoredPassage]:
    if not items:
        return []
    best = items[0].relevance
    chosen: list[ScoredPassage] = []
    for item in items:
        if len(chosen) >= LIST_ITEMS or (
            len(chosen) >= MIN_ITEMS and item.relevance < best - LIST_BAND
        ):
            break
        if any(_same_statement(item.passage, other.passage) for other in chosen):
            continue
        chosen.append(item)
    return chosen


def _same_statement(first: Passage, second: Passage) -> bool:
    """Near-duplicate statements, by their own words: items under one heading embed alike."""
    a, b = set(content_terms(first.text)), set(content_terms(second.text))
    return bool(a and b) and len(a & b) / len(a | b) >= DUPLICATE_OVERLAP


def _chunk_passages(corpus: Corpus, chunk: int) -> list[Passage]:
    return [passage for passage in corpus.passages if passage.chunk == chunk]


def _unscored(corpus: Corpus, like: ScoredPassage, order: int) -> ScoredPassage:
    """A passage of the same chunk that was not among the candidates, scored as its sibling."""
    index = next(
        position
        for position, passage in enumerate(corpus.passages)
        if passage.chunk == like.passage.chunk and passage.order == order
    )
    return ScoredPassage(
        index,
        corpus.passages[index],
        like.similarity,
        like.coverage,
        like.matched_weight,
        like.relevance,
    )


def speaks_of_combining(text: str) -> bool:
    """Whether a passage is about using the approaches together ("combining both…")."""
    return bool(_COMBINING.search(text))


def combining_passages(
    corpus: Corpus, scored: Sequence[ScoredPassage], similarities: np.ndarray
) -> list[ScoredPassage]:
    """The best passage anywhere on using both approaches in sequence ("Start with prompt
    engineering… Then, identify…"), with the sentence that continues it ("Then, …")."""

    def matches(index: int, passage: Passage) -> bool:
        named = {approach for _, approach in approach_mentions(passage.text)}
        if _SEQUENCE.search(passage.text):
            return bool(named)
        return len(named) > 1 and bool(_COMBINING.search(passage.text))

    pool = _pool(corpus, scored, similarities, matches)
    if not pool:
        return []
    best = pool[0]
    following = [
        passage
        for passage in _chunk_passages(corpus, best.passage.chunk)
        if passage.order == best.passage.order + 1 and _CONTINUES.match(passage.text)
    ]
    return [best, *(_unscored(corpus, best, passage.order) for passage in following)]


def aspect_row(
    corpus: Corpus, similarities: np.ndarray, *, aspect: frozenset[str]
) -> ScoredPassage | None:
    """The comparison-table row on the aspect a question asks about ("how adaptable…" →
    the Flexibility row), closest in meaning to the question; None when no label matches."""
    best: ScoredPassage | None = None
    for index in corpus.usable_passages.tolist():
        passage = corpus.passages[index]
        if passage.row is None or not aspect & set(content_terms(passage.row.label)):
            continue
        similarity = float(similarities[index])
        if best is None or similarity > best.similarity:
            best = ScoredPassage(index, passage, similarity, 0.0, 0.0, similarity)
    return best
