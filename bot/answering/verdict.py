"""Which approach the sources favour on the point a which-question asks.

Each relevant passage leans one way or the other on the aspect asked (`stance`): a sentence by
its cues ("cheaper", "less adaptable"), a comparison-table row cell by cell (the cell "Lower
per-request costs in production" favours its column's approach on cost). The leans, weighted
by relevance, add up to the verdict. The lead sentence is the strongest statement for the
winner, written so that the winner is the first approach it names: a table row as both cells
("Fine-tuning's ongoing costs: lower per-request costs in production; prompt engineering's:
may increase with more requests over time"), a sentence as written when it names the winner
first, else after the winner's name.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.answering.composer import Sources
from bot.answering.retrieval import Corpus
from bot.answering.scoring import ScoredPassage
from bot.answering.stance import Facet, stance_of
from bot.answering.text import (
    APPROACH_NAMES,
    approach_mentions,
    lower_first,
    split_sentences,
    strip_inline_markdown,
)
from bot.answering.wording import capitalized, passage_text, row_sentence

CANDIDATES = 10
BAND = 0.3  # passages this far below the best one still count
_COMBINED = re.compile(r"\b(?:combin\w*|both|hybrid|together)\b", re.IGNORECASE)
SCENARIO_COVERAGE = 0.5  # a "when to use" claim counts when it holds this much of the topic
# "For tasks involving sensitive data, fine-tuning is the better choice": a recommendation of
# its subject, on the point asked when it holds as much of the topic as a "when to use" claim.
_RECOMMENDS = re.compile(
    r"\b(?:is|are|becomes?|remains?) (?:often |usually |generally )?(?:the |an? )?(?:better|best|"
    r"ideal|preferred|go-to|right|recommended) (?:choice|option|approach|fit|pick)\b|"
    r"\b(?:is|are) (?:ideal|best suited|better suited|well suited|preferable)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Verdict:
    approach: str
    lead: ScoredPassage  # the strongest statement for it
    supporting: tuple[ScoredPassage, ...]  # further passages leaning its way
    worse: bool = False  # the answer to "which does worse on this?"


def favoured(
    corpus: Corpus,
    scored: Sequence[ScoredPassage],
    *,
    aspect: frozenset[str],
    facet: Facet | None = None,
    amount: bool = False,
) -> Verdict | None:
    """The approach the relevant passages favour on `aspect` (stems), or on its `facet`;
    `amount`: the question asks how much of a burden each takes, which what each approach
    suits ("fine-tuning is ideal for … sensitive data") does not answer."""
    if not scored:
        return None
    best = scored[0].relevance
    totals: dict[str, float] = {}
    leaning: dict[str, list[tuple[float, ScoredPassage]]] = {}
    for item in scored[:CANDIDATES]:
        if item.relevance < best - BAND:
            break
        for approach, lean in _leans(corpus, item, aspect, facet, amount=amount).items():
            if lean <= 0:
                continue
            weight = lean * item.relevance
            totals[approach] = totals.get(approach, 0.0) + weight
            leaning.setdefault(approach, []).append((weight, item))
    if not totals:
        return None
    ranked = sorted(totals.items(), key=lambda pair: -pair[1])
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None
    approach = ranked[0][0]
    items = [item for _, item in sorted(leaning[approach], key=lambda pair: -pair[0])]
    return Verdict(approach=approach, lead=items[0], supporting=tuple(items[1:]))


def the_worse(corpus: Corpus, verdict: Verdict) -> Verdict | None:
    """The answer to "which does worse on this?": the other approach of the statements that
    favour the winner, led by a table row (its cell of the other comes first), else by the
    first statement that names the other first ("While prompt engineering offers faster
    deployment, fine-tuning …" would lead a slower fine-tuning with the faster one)."""
    items = (verdict.lead, *verdict.supporting)
    candidates = []
    for order, item in enumerate(items):
        cells = [claim.approach for claim in item.passage.claims if claim.kind == "cell"]
        mentioned = [
            approach for _, approach in approach_mentions(passage_text(corpus, item.index))
        ]
        other = next((a for a in [*cells, *mentioned] if a != verdict.approach), None)
        if other is None:
            continue
        rank = 0 if other in cells else 1 if mentioned[:1] == [other] else 2
        candidates.append((rank, order, other, item))
    if not candidates:
        return None
    _, _, other, lead = min(candidates, key=lambda candidate: candidate[:2])
    rest = tuple(each for each in items if each is not lead)
    return Verdict(approach=other, lead=lead, supporting=rest, worse=True)


def lead_sentence(corpus: Corpus, verdict: Verdict, sources: Sources) -> str:
    """The first sentence: the winner named first, with the marker of its source."""
    passage = verdict.lead.passage
    n = sources.marker(passage.chunk)
    cells = [claim for claim in passage.claims if claim.kind == "cell"]
    if any(claim.approach == verdict.approach for claim in cells):
        return f"{row_sentence(cells, first=verdict.approach)} [{n}]"
    text = passage_text(corpus, verdict.lead.index)
    mentions = approach_mentions(text)
    if mentions and mentions[0][1] == verdict.approach:
        return f"{text} [{n}]"
    name = capitalized(APPROACH_NAMES[verdict.approach])
    standing = "behind" if verdict.worse else "ahead"
    return f"{name} comes out {standing} here: {lower_first(text)} [{n}]"


def names_verdict(text: str, accepted: Sequence[str]) -> bool:
    """Whether the answer's first sentence names an accepted verdict: the first approach it
    names is accepted, or `hybrid` is and the sentence names both or says they are combined."""
    lines = [line for line in strip_inline_markdown(text).splitlines() if line.strip()]
    if not lines:
        return False
    sentences = split_sentences(lines[0].removeprefix("- "))
    first = sentences[0] if sentences else ""
    mentions = approach_mentions(first)
    if mentions and mentions[0][1] in accepted:
        return True
    both = len({approach for _, approach in mentions}) >= 2 or bool(_COMBINED.search(first))
    return "hybrid" in accepted and both


def _leans(
    corpus: Corpus,
    item: ScoredPassage,
    aspect: frozenset[str],
    facet: Facet | None,
    *,
    amount: bool = False,
) -> dict[str, float]:
    """How strongly the passage favours each approach on the aspect (cells scored apart)."""
    passage = item.passage
    if passage.row and passage.row.by_approach:
        leans: dict[str, float] = {}
        label_on_aspect = aspect & _stems_of(passage.row.label)
        for claim in passage.claims:
            if claim.kind != "cell":
                continue
            stance = stance_of(
                claim.statement,
                aspect=aspect,
                subject=claim.approach,
                facet=facet,
                label=passage.row.label,
            )
            if not (stance.on_aspect and label_on_aspect):
                continue
            favours = stance.favours
            if favours:
                leans[favours] = leans.get(favours, 0.0) + abs(stance.score)
        return leans
    stance = stance_of(
        passage.text, aspect=aspect, subject=corpus.subjects[item.index], facet=facet
    )
    if stance.on_aspect and stance.favours is not None:
        return {stance.favours: abs(stance.score)}
    if amount:
        return {}
    # "When to use X: rapid prototyping" answers "which is better for rapid prototyping?".
    fits = {claim.approach for claim in passage.claims if claim.scenario}
    if len(fits) == 1 and item.coverage >= SCENARIO_COVERAGE:
        return {fits.pop(): 1.0}
    subject = corpus.subjects[item.index]
    if subject and item.coverage >= SCENARIO_COVERAGE and _RECOMMENDS.search(passage.text):
        return {subject: 1.0}
    return {}


def _stems_of(text: str) -> frozenset[str]:
    from bot.answering.text import content_terms

    return frozenset(content_terms(text))
