"""Passages: the citable lines of the chunks, as the knowledge model stored them at ingest.

Nothing is parsed here: each chunk record carries its sentences and claims
(`ingest.knowledge`). A passage is one sentence with the claims it states; a table row of a
table comparing the approaches keeps its cells per approach, for side-by-side comparisons.
"""

from dataclasses import dataclass, field

from ingest.records import ChunkRecord, Claim, sentence_embedding_text


@dataclass(frozen=True)
class TableRow:
    """One row of a comparison table: its label and its cell per approach."""

    label: str
    by_approach: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Passage:
    """One citable line of a chunk: a sentence, a list item or a table row, reading well alone."""

    chunk: int  # position of the chunk in the corpus
    text: str  # what the answer shows
    heading: str  # the chunk's innermost heading, its context
    kind: str  # "sentence", "item" or "row"
    order: int  # position inside the chunk
    row: TableRow | None = None
    claims: tuple[Claim, ...] = ()
    subject: str | None = None  # the approach its leading label named
    promotional: bool = False
    instruction: bool = False  # reads like an instruction to an AI (a planted prompt injection)
    quoted: bool = False  # a quotation such as an example prompt

    @property
    def usable(self) -> bool:
        """Whether an answer may use the passage: not advertising, an instruction or a quote."""
        return not (self.promotional or self.instruction or self.quoted)

    @property
    def embedding_text(self) -> str:
        return sentence_embedding_text(self.heading, self.text)

    @property
    def polarity(self) -> str | None:
        """ "pro" or "con" when a claim of the passage says so."""
        return next((claim.polarity for claim in self.claims if claim.polarity), None)

    @property
    def scenario(self) -> bool:
        """Whether the passage states a case where an approach fits best."""
        return any(claim.scenario for claim in self.claims)


def passages_of(chunk: ChunkRecord, chunk_position: int) -> list[Passage]:
    """The passages of one chunk, in reading order, from its stored knowledge model."""
    by_sentence: dict[int, list[Claim]] = {}
    for claim in chunk.claims:
        if claim.sentence is not None:
            by_sentence.setdefault(claim.sentence, []).append(claim)
    passages = []
    for order, sentence in enumerate(chunk.sentences):
        claims = tuple(by_sentence.get(order, ()))
        cells = {claim.approach: claim.statement for claim in claims if claim.kind == "cell"}
        aspect = next((claim.aspect for claim in claims if claim.kind == "cell"), None)
        passages.append(
            Passage(
                chunk=chunk_position,
                text=sentence.text,
                heading=sentence.heading,
                kind=sentence.kind,
                order=order,
                row=TableRow(label=aspect, by_approach=cells) if aspect and cells else None,
                claims=claims,
                subject=sentence.subject,
                promotional=sentence.promotional,
                instruction=sentence.instruction,
                quoted=sentence.quoted,
            )
        )
    return passages
