"""How a passage or a claim reads in an answer: plain sentences, never heading fragments.

A claim written without its subject ("Requires significant computational power", a table cell
"Lower per-request costs in production") gets its approach's name when the answer needs it; a
table row is written from its cells ("Fine-tuning's ongoing costs: lower per-request costs in
production; prompt engineering's: may increase with more requests over time"); a sentence that
opens with "it" or "this method" gets the name of its approach in place of the pronoun.
"""

import re

from bot.answering.retrieval import Corpus
from bot.answering.text import APPROACH_NAMES, approach_mentions, content_terms, lower_first
from ingest.records import Claim

# "It requires …", "However, it …", "Though it requires …": the pronoun is the subject.
_PRONOUN_START = re.compile(
    r"^(?P<lead>\w+, |(?:Though|Although|While|Because|Since|If|When|Once|Unless) )?"
    r"(?P<pronoun>It's|it's|It|it|Its|its|This (?:method|approach|technique))\b"
)
# A claim that opens with a verb in the third person reads as a sentence once named:
# "Requires significant…" → "Fine-tuning requires significant…".
_VERB_START = re.compile(r"^[A-Z][a-z]*[^s\W]s\b(?! (?:to|and|of)\b)")


SUBJECT_OFFSET = 5  # a name this near the start is the statement's own subject

# "However, …", "In fact, they …": a sentence that goes on from the one before it in its
# document; "Imagine you're using …": one that sets up an example. Neither states a reason
# where nothing came before.
_LEANS_ON_CONTEXT = re.compile(
    r"^(?:(?:However|On the other hand|Yet|But|Still|In contrast|Conversely|Nevertheless|"
    r"That said|In fact|Additionally|Also|Moreover|Furthermore|Instead|Similarly|Likewise|"
    r"Therefore|Thus|As a result|Imagine|Suppose|Picture|Let's say)\b|(?:They|These|Those|Such)\b)"
)


def leans_on_context(text: str) -> bool:
    """Whether a sentence leans on what is around it (it makes a poor first sentence)."""
    return bool(_LEANS_ON_CONTEXT.match(text))


def capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def claim_sentence(claim: Claim, *, named: bool = True) -> str:
    """A claim as a sentence (no final stop); `named`: with its approach as the subject."""
    statement = claim.statement.rstrip(".")
    mentions = approach_mentions(statement)
    if not named or (mentions and mentions[0][0] < SUBJECT_OFFSET):
        return capitalized(statement)
    name = capitalized(APPROACH_NAMES[claim.approach])
    if _VERB_START.match(statement):
        return f"{name} {lower_first(statement)}"
    if claim.kind == "cell" and claim.aspect:
        return f"{name}'s {claim.aspect.lower()}: {lower_first(statement)}"
    return f"{name}: {lower_first(statement)}"


def row_sentence(
    cells: list[Claim], *, first: str | None = None, terms: frozenset[str] = frozenset()
) -> str:
    """A comparison-table row from its cells, `first` (an approach) leading; without one, the
    cell holding most of the question's `terms` (stems) leads: the one that answers it."""
    if first is None and terms:
        overlap = {
            claim.approach: len(terms & set(content_terms(claim.statement))) for claim in cells
        }
        best = max(overlap, key=lambda approach: overlap[approach])
        first = best if overlap[best] else None
    ordered = sorted(cells, key=lambda claim: claim.approach != first) if first else cells
    lead, *others = ordered
    parts = [claim_sentence(lead)]
    for claim in others:
        statement = lower_first(claim.statement.rstrip("."))
        parts.append(f"{APPROACH_NAMES[claim.approach]}'s: {statement}")
    return "; ".join(parts) + "."


def passage_text(
    corpus: Corpus,
    index: int,
    *,
    after: int | None = None,
    first: str | None = None,
    terms: frozenset[str] = frozenset(),
    only: str | None = None,
) -> str:
    """A passage as the answer shows it. A table row is written from its cells (`first` leads),
    or from the cell of `only` (an answer about that approach alone); a claim without a subject
    is named; a leading "it" becomes the approach's name, unless the sentence before it in the
    answer is its own antecedent (`after`)."""
    passage = corpus.passages[index]
    cells = [claim for claim in passage.claims if claim.kind == "cell"]
    own = [claim for claim in cells if claim.approach == only]
    if own:
        return claim_sentence(own[0]) + "."
    if cells:
        return row_sentence(cells, first=first, terms=terms)
    subject = corpus.subjects[index]
    items = [claim for claim in passage.claims if claim.kind == "item"]
    if items and not approach_mentions(passage.text) and not _PRONOUN_START.match(passage.text):
        return claim_sentence(items[0]) + "."
    match = _PRONOUN_START.match(passage.text)
    # "Fine-tuning: Retrains the model… Ideal for tasks needing accuracy": the label's subject;
    # in an answer about `only`, a sentence on the other approach says which it is about
    named = passage.subject or (subject if only and subject not in (None, only) else None)
    if named and not match and not approach_mentions(passage.text):
        return f"{capitalized(APPROACH_NAMES[named])}: {lower_first(passage.text)}"
    previous_is_antecedent = (
        after is not None
        and corpus.passages[after].chunk == passage.chunk
        and corpus.passages[after].order == passage.order - 1
    )
    if not match or subject is None or previous_is_antecedent:
        return passage.text
    name = APPROACH_NAMES[subject]
    lead = match.group("lead") or ""
    if not lead:
        name = capitalized(name)
    pronoun = match.group("pronoun").lower()
    replacement = {"it's": f"{name} is", "its": f"{name}'s"}.get(pronoun, name)
    return lead + replacement + passage.text[match.end() :]
