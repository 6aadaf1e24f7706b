"""Evidence: the passage of the knowledge index that backs one line of a recommendation.

Retrieval happens at run time, so editing the knowledge base changes the evidence. A passage is
chosen among the chunks closest in meaning to the line's query, and must contain its key terms
(one of each group of alternatives), preferring one sentence that holds most of them; promotion
(a publisher's pitch for itself, calls to action) is cut out sentence by sentence first and is
never cited. When nothing qualifies, the line has no citation rather than a weak one.
"""

import re
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from bot.assessment.weights import EvidenceQuery
from ingest.records import SearchHit

if TYPE_CHECKING:  # importing the index loads torch and Chroma: only when searching
    from ingest.index import KnowledgeIndex

CANDIDATES = 10
EXCERPT_MAX_CHARS = 420
GAP = " … "

# Calls to action and a vendor speaking of itself ("we", "our clients"); the articles otherwise
# speak of the techniques in the third person, so these sentences are never evidence.
_PROMOTION = re.compile(
    r"\b(hire|hiring|contact|consultation|sign up|free trial|get in touch|follow us|talk to"
    r"|we|we'll|we're|we've|our|ours|us)\b|www\.|https?://|\S+@\S+\.\w+",
    re.IGNORECASE,
)
# "Platforms like Latitude", "tools such as X", "Latitude's platform": a product pitch.
_PRODUCT_PITCH = re.compile(
    r"\b(?i:platforms?|tools?|services?)\s+(?i:like|such as)\s+[A-Z]"
    r"|\b[A-Z][\w-]+'s\s+(platform|tool|product|service|solution)s?\b"
)
# Sentence ends, and the starts of list items and table rows.
_UNIT_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“(])|\n+")
_TABLE_SEPARATOR = re.compile(r"^\|?[\s:|-]+\|?$")
_LIST_MARKER = re.compile(r"^(?:[-*•]|\d+[.)])\s+")


class Citation(BaseModel):
    """A passage of the knowledge base that backs a line, with where it comes from."""

    model_config = ConfigDict(frozen=True)

    doc: str = Field(description="Document id: the file stem in knowledge/.")
    title: str
    section: str
    text: str = Field(
        description=f"An excerpt of the passage: whole sentences, list items or table rows of "
        f"the chunk, in order, joined by {GAP.strip()!r} where text was left out."
    )
    url: str | None = None
    trust: Literal["normal", "low"] = "normal"  # an admin's `trust: low`: shown by the citation
    chunk_id: str
    score: float = Field(description="Cosine similarity of the passage to the evidence query.")


def find_evidence(
    index: "KnowledgeIndex", evidence: EvidenceQuery, *, avoid: frozenset[str] = frozenset()
) -> Citation | None:
    """The passage that best backs a line, or None when no close passage holds its key terms.

    A candidate (one of the chunks closest to the query) must hold every key-term group, in its
    sentences read with its section heading (a list under "Fine-Tuning: Cons" is about
    fine-tuning), with at least one sentence holding a term itself. Among candidates, the one
    with a single sentence holding most groups wins; then one whose excerpt is not in `avoid`
    (excerpts already cited for other lines); then the closest in meaning.
    """
    best: tuple[tuple[int, bool, float], Citation] | None = None
    for hit in index.search(evidence.query, CANDIDATES):
        units = _units(hit)
        heading = groups_matched(hit.section, evidence)
        own = [groups_matched(unit, evidence) for unit in units]
        # A heading alone proves nothing: the sentence itself must hold a key term.
        backed = [heading | groups for groups in own if groups]
        if not backed or len(set().union(*backed)) < len(evidence.key_terms):
            continue
        citation = _citation(hit, units, own, heading, evidence)
        rank = (max(len(groups) for groups in backed), citation.text not in avoid, hit.score)
        if best is None or rank > best[0]:
            best = (rank, citation)
    return best[1] if best else None


def is_promotion(sentence: str, *, publisher: str | None = None) -> bool:
    """Whether a sentence advertises (a call to action, a vendor on itself, a product pitch)."""
    if _PROMOTION.search(sentence) or _PRODUCT_PITCH.search(sentence):
        return True
    if publisher:
        # The site's name as a proper noun, however it is spaced ("FuturePoint Digital").
        name = re.compile(r"(?<![A-Za-z])" + r"[\s-]?".join(map(re.escape, publisher)), re.I)
        return any(match.group()[0].isupper() for match in name.finditer(sentence))
    return False


def publisher_of(url: str | None) -> str | None:
    """The site's own name (`latitude` for https://latitude.so/blog/…), to spot self-promotion."""
    if not url:
        return None
    host = urlsplit(url).hostname or ""
    labels = [label for label in host.split(".") if label not in ("www", "blog", "docs")]
    name = re.sub(r"[^a-z0-9]", "", labels[0]) if len(labels) >= 2 else ""
    # Too short a name ("ai") would match ordinary words.
    return name if len(name) >= 4 else None


def _units(hit: SearchHit) -> list[str]:
    """The chunk's sentences, list items and table rows; promotion, table rules and lone words
    (a brand name as a heading) left out."""
    publisher = publisher_of(hit.url)
    pieces = (_LIST_MARKER.sub("", piece.strip()) for piece in _UNIT_BREAK.split(hit.text))
    return [
        piece
        for piece in pieces
        if len(piece.split()) > 1
        and not _TABLE_SEPARATOR.match(piece)
        and not is_promotion(piece, publisher=publisher)
    ]


def _mentions(text: str, term: str) -> bool:
    # Terms are prefixes of words ("fine-tun" matches fine-tuning and fine-tuned).
    return re.search(r"(?<![a-z])" + re.escape(term.lower()), text.lower()) is not None


def _content_words(text: str) -> set[str]:
    return {word for word in re.findall(r"[a-z][a-z-]{3,}", text.lower())}


def groups_matched(unit: str, evidence: EvidenceQuery) -> set[int]:
    """The key-term groups of `evidence` that `unit` holds a term of (by number)."""
    return {
        number
        for number, group in enumerate(evidence.key_terms)
        if any(_mentions(unit, term) for term in group)
    }


def _citation(
    hit: SearchHit,
    units: list[str],
    own: list[set[int]],
    heading: set[int],
    evidence: EvidenceQuery,
) -> Citation:
    """The hit as a citation: its sentence richest in key terms, plus the fewest others of the
    chunk that add the key terms it lacks (e.g. all three phases of a process)."""
    query_words = _content_words(evidence.query)
    best = max(
        range(len(units)),
        key=lambda i: (
            len(heading | own[i]),
            len(own[i]),
            len(query_words & _content_words(units[i])),
            -i,
        ),
    )
    chosen, covered = {best}, heading | own[best]
    while True:
        adding = [i for i in range(len(units)) if i not in chosen and own[i] - covered]
        if not adding:
            break
        pick = max(adding, key=lambda i: (len(own[i] - covered), -i))
        if sum(len(units[i]) for i in chosen) + len(units[pick]) > EXCERPT_MAX_CHARS:
            break
        chosen.add(pick)
        covered |= own[pick]
    if hit.kind == "table":
        chosen.add(0)  # the header row says which column is which
    return Citation(
        doc=hit.doc,
        title=hit.title,
        section=hit.section,
        text=_join(hit.text, [units[i] for i in sorted(chosen)]),
        url=hit.url,
        trust=hit.trust,
        chunk_id=hit.id,
        score=round(hit.score, 4),
    )


def _join(text: str, pieces: list[str]) -> str:
    """Pieces of `text` in order: adjacent ones as written, others with a gap mark between."""
    joined, end = "", 0
    for piece in pieces:
        start = text.find(piece, end)
        if joined:
            between = text[end:start]
            joined += between if not between.strip() else GAP
        joined += piece
        end = start + len(piece)
    return joined
