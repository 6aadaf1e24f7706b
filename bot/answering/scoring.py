"""Score candidate passages against a question, and judge whether they support an answer.

Candidates are the passages of the retrieved chunks plus, from anywhere in the index, the
passages closest in meaning and those sharing the most question words (a sentence-level second
retrieval stage; advertising and planted instructions are never candidates). A passage's
relevance is its embedding similarity to the question plus a lexical term: the share of the
question's topic words, weighted by rarity (idf), that the passage contains, a word shared only
by its stem counting half. A question about one approach prefers passages about that approach,
and a "what is X?" question prefers sentences that define X.

The same numbers decide whether the knowledge base supports an answer at all (see `Support`):
either some passage is close in meaning, or one passage holds most of the question's rarer
words while being at least loosely related (names and citations such as "Brown et al.").
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.answering.passages import Passage
from bot.answering.retrieval import Corpus, RankedChunk
from bot.answering.text import (
    APPROACH_PATTERNS,
    approaches_in,
    content_terms,
    other_approach,
    stem,
    topic_terms,
    words,
)

_DEFINITION_QUESTION = re.compile(
    r"^\s*(?:what(?:'s| is| are| does)|define|definition of|explain|meaning of)\b", re.IGNORECASE
)
# "Fine-tuning is the process of…", "Prompt engineering involves crafting…": the approach as
# the subject, then what it is or does.
_DEFINING_SENTENCE = re.compile(
    r"^[^,.]{0,12}?(?:"
    + "|".join(pattern.pattern for pattern in APPROACH_PATTERNS.values())
    + r")\s+"
    r"(?:is|refers to|means|involves)\s+(?:the process of|a (?:way|method|technique|process)|"
    r"\w+ing\b)",
    re.IGNORECASE,
)

LEXICAL_WEIGHT = 0.5
STEM_ONLY_CREDIT = 0.5  # a word shared only by its stem ("adapt" for "adaptable") counts half
DEFINITION_BONUS = 0.15
FOCUS_BONUS = 0.05
OFF_FOCUS_PENALTY = 0.1
# A document an admin marked `trust: low` ranks below trusted sources saying as much.
LOW_TRUST_PENALTY = 0.15
RANK_PRIOR = 0.05
# Sentence-level retrieval: besides the passages of the retrieved chunks, the passages closest
# in meaning and those sharing the most question words, anywhere, are candidates.
GLOBAL_PASSAGES = 12

# Calibrated on the dev questions and on extra in- and out-of-scope questions (tests/
# test_answer_engine.py). A passage's evidence is its cosine similarity plus EVIDENCE_LEXICAL
# times its topic-word coverage (scaled down when the words it shares are common, under
# EVIDENCE_WEIGHT of idf). SUPPORT_THRESHOLD sits between the out-of-scope questions (at most
# ~0.54, "Who founded Latitude?") and the in-scope ones (at least ~0.56, "How should a beginner
# get started?"). The lexical rule admits questions whose several rare words one passage holds
# though the meaning is far ("What did Brown et al. (2020) show?": cosine 0.18, idf mass 22),
# not those sharing one rare word ("How do I train my dog?": mass 5.7) or only common words.
EVIDENCE_LEXICAL = 0.35
EVIDENCE_WEIGHT = 4.0
SUPPORT_THRESHOLD = 0.55
LEXICAL_SUPPORT_COVERAGE = 0.8
LEXICAL_SUPPORT_WEIGHT = 8.0
LEXICAL_SUPPORT_MIN_SIMILARITY = 0.15


@dataclass(frozen=True)
class ScoredPassage:
    index: int  # in `Corpus.passages`
    passage: Passage
    similarity: float
    coverage: float  # share of the question's topic weight found in the passage
    matched_weight: float  # idf mass of the topic words found
    relevance: float


@dataclass(frozen=True)
class Support:
    """How well the best passages support an answer, and the verdict."""

    similarity: float  # the best passage cosine
    coverage: float  # of the passage holding most of the question's topic words
    matched_weight: float  # idf mass of those words
    evidence: float  # the best passage's similarity plus its weighted topic-word coverage

    @property
    def semantic(self) -> bool:
        return self.evidence >= SUPPORT_THRESHOLD

    @property
    def lexical(self) -> bool:
        return (
            self.coverage >= LEXICAL_SUPPORT_COVERAGE
            and self.matched_weight >= LEXICAL_SUPPORT_WEIGHT
            and self.similarity >= LEXICAL_SUPPORT_MIN_SIMILARITY
        )

    @property
    def grounded(self) -> bool:
        return self.semantic or self.lexical


def question_terms(query: str) -> list[str]:
    """The stems a passage should contain: the topic words, or all content words of a bare
    "What is prompt engineering?" whose only topic is an approach."""
    return list(dict.fromkeys(topic_terms(query) or content_terms(query)))


def score_passages(
    corpus: Corpus,
    ranked: Sequence[RankedChunk],
    *,
    query: str,
    vector: Sequence[float],
    defining: bool = False,
) -> list[ScoredPassage]:
    """Candidate passages, most relevant first: the usable ones (no advertising, no planted
    instructions) of the `ranked` chunks, and the closest and wordiest matches anywhere.
    `defining`: the question asks what an approach is, so sentences that define it come first."""
    chunk_rank = {item.position: rank for rank, item in enumerate(ranked)}
    usable = corpus.usable_passages
    similarities = corpus.passage_similarities(vector)
    terms = question_terms(query)
    total = sum(corpus.idf(term) for term in terms) or 1.0
    forms = _surface_forms(query, terms)
    lexical = np.array(
        [_graded_match(corpus, index, terms, forms) / total for index in usable.tolist()]
    )
    closest = usable[np.argsort(-similarities[usable], kind="stable")[:GLOBAL_PASSAGES]]
    wordiest = usable[np.argsort(-lexical, kind="stable")[:GLOBAL_PASSAGES]]
    in_chunks = [index for index in usable.tolist() if corpus.passages[index].chunk in chunk_rank]
    indices = sorted({*closest.tolist(), *wordiest.tolist(), *in_chunks})
    graded_of = dict(zip(usable.tolist(), lexical.tolist(), strict=True))
    asked = approaches_in(query)
    focus = asked.pop() if len(asked) == 1 else None
    defining = focus is not None and (
        defining or (bool(_DEFINITION_QUESTION.match(query)) and not topic_terms(query))
    )
    scored = []
    for index in indices:
        passage = corpus.passages[index]
        similarity = float(similarities[index])
        matched = sum(corpus.idf(term) for term in terms if term in corpus.search_terms[index])
        coverage = matched / total
        relevance = similarity + LEXICAL_WEIGHT * graded_of[index]
        if passage.chunk in chunk_rank:
            relevance += RANK_PRIOR * (1 - chunk_rank[passage.chunk] / len(ranked))
        subject = corpus.subjects[index]
        if focus and subject == focus:
            relevance += FOCUS_BONUS
            if defining and _DEFINING_SENTENCE.match(passage.text):
                relevance += DEFINITION_BONUS
        elif focus and subject == other_approach(focus):
            relevance -= OFF_FOCUS_PENALTY
        if corpus.chunks[passage.chunk].trust == "low":
            relevance -= LOW_TRUST_PENALTY
        scored.append(ScoredPassage(index, passage, similarity, coverage, matched, relevance))
    return sorted(scored, key=lambda item: -item.relevance)


def _graded_match(
    corpus: Corpus, index: int, terms: Sequence[str], forms: dict[str, set[str]]
) -> float:
    """The idf mass of the question's terms in a passage; a stem-only match counts partly."""
    return sum(
        corpus.idf(term) * (1.0 if forms[term] & corpus.search_words[index] else STEM_ONLY_CREDIT)
        for term in terms
        if term in corpus.search_terms[index]
    )


def _surface_forms(query: str, terms: Sequence[str]) -> dict[str, set[str]]:
    """The question's own words behind each stem; a passage using them matches exactly."""
    forms: dict[str, set[str]] = {term: set() for term in terms}
    for word in words(query):
        stemmed = stem(word)
        if stemmed in forms:
            forms[stemmed].add(word)
    return forms


def assess_support(scored: Sequence[ScoredPassage]) -> Support:
    """The support of the best passages: best similarity, and the best lexical match."""
    if not scored:
        return Support(similarity=0.0, coverage=0.0, matched_weight=0.0, evidence=0.0)
    lexical = max(scored, key=lambda item: (item.coverage, item.matched_weight))
    return Support(
        similarity=max(item.similarity for item in scored),
        coverage=lexical.coverage,
        matched_weight=lexical.matched_weight,
        evidence=max(_evidence(item) for item in scored),
    )


def _evidence(item: ScoredPassage) -> float:
    rarity = min(1.0, item.matched_weight / EVIDENCE_WEIGHT)
    return item.similarity + EVIDENCE_LEXICAL * item.coverage * rarity
