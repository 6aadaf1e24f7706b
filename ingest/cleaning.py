"""Remove the boilerplate of scraped pages: advertising, service and client lists, testimonials,
calls to action and addresses around the article.

The method is general (no lists of phrases or of these documents' lines). It follows body-text
extraction: a page's main content is one contiguous run of blocks that are about the page's
topic, while boilerplate sits before and after it and is about something else. Each block has
a topic vector made with the heading it sits under (an FAQ answer that opens with "It depends on
your goals" is on topic because its question is: see `ingest.vectors`); the topic is the
length-weighted centroid of the blocks most similar to the page as a whole; each block scores
its word count times (similarity to the topic - a threshold relative to the page); the run with
the largest total (Kadane's maximum subarray) is the content. Contact details (e-mail
addresses, links, phone numbers) lower a block's similarity, since articles rarely carry them.

Articles often close on a generic wrap-up ("Ultimately, success depends on clear goals …")
that is less similar to the topic than the threshold, and the maximum run stops just before
it. So, as in hysteresis thresholding, the run then grows over the rest of its last section:
blocks after it, up to the next heading, that keep at least a weaker similarity and carry no
contact details. Boilerplate after an article sits under headings of its own ("Related posts",
"Leave a Reply", "Our Clients") or is unrelated text, so it stays out. Headings are kept when
the first block after them is kept.

`keep: all` in a document's front matter, or a list of headings to keep, overrides the method
for that document (the sections under those headings are kept whatever their score).
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ingest.parsing import Block

# A block's pull on the span is capped so that one very long paragraph cannot drag a whole
# region of boilerplate into the content.
MAX_WEIGHT_WORDS = 120
# Threshold = this fraction of the page's 75th-percentile similarity: pages differ in how
# tightly their paragraphs cluster, so an absolute threshold would cut some and spare others.
RELATIVE_THRESHOLD = 0.65
# The weaker threshold that lets the content's last section be completed (a fraction of it).
CONTINUATION_FRACTION = 0.5
CONTACT_PENALTY = 0.15
_CONTACT = re.compile(
    r"[\w.+-]+@[\w-]+\.[\w.]+|https?://|www\.[\w-]+\.\w+|\+?\d[\d ()-]{7,}\d", re.IGNORECASE
)

Keep = str | list[str] | None  # front matter `keep`: "all", headings, or nothing


@dataclass(frozen=True)
class BlockDecision:
    """Why one block was kept or removed (what `ingest --explain` prints)."""

    block: Block
    kept: bool
    reason: str
    similarity: float | None = None  # to the page's topic, after the contact penalty
    threshold: float | None = None


@dataclass(frozen=True)
class CleaningResult:
    kept: list[Block]
    removed: list[Block]
    decisions: list[BlockDecision]


def remove_boilerplate(
    blocks: Sequence[Block],
    topic_vectors: Callable[[Sequence[Block]], np.ndarray],
    *,
    title: str = "",
    keep: Keep = None,
) -> CleaningResult:
    """Split a document's blocks into main content and boilerplate, preserving their order."""
    if keep == "all":
        return _result(
            blocks, [BlockDecision(block, True, "front matter keep: all") for block in blocks]
        )
    units = [index for index, block in enumerate(blocks) if block.kind != "heading"]
    if len(units) < 3:
        return _result(
            blocks, [BlockDecision(block, True, "too short to clean") for block in blocks]
        )
    sections = _section_headings(blocks, title)
    vectors = np.asarray(topic_vectors([blocks[index] for index in units]), dtype=np.float32)
    weights = np.array(
        [min(len(blocks[index].text.split()), MAX_WEIGHT_WORDS) for index in units], dtype=float
    )
    contact = np.array([bool(_CONTACT.search(blocks[index].text)) for index in units])
    similarity = _topic_similarity(vectors, weights) - CONTACT_PENALTY * contact
    threshold = RELATIVE_THRESHOLD * float(np.percentile(similarity, 75))
    start, end = _max_sum_span(weights * (similarity - threshold))
    core_end = end
    while (
        end + 1 < len(units)
        and sections[units[end + 1]] == sections[units[end]]
        and not contact[end + 1]
        and similarity[end + 1] >= CONTINUATION_FRACTION * threshold
    ):
        end += 1

    forced = _forced_by_headings(blocks, keep)
    decisions: dict[int, BlockDecision] = {}
    for position, index in enumerate(units):
        score = {"similarity": float(similarity[position]), "threshold": threshold}
        kept = start <= position <= end or index in forced
        if index in forced:
            reason = f"front matter keep: under {sections[index]!r}"
        elif position < start:
            reason = "before the main content"
        elif position > end:
            reason = "after the main content" + (" (contact details)" if contact[position] else "")
        elif position > core_end:
            reason = "completes the last section of the main content"
        else:
            reason = "in the main content"
        decisions[index] = BlockDecision(blocks[index], kept, reason, **score)
    for index, block in enumerate(blocks):
        if block.kind == "heading":
            following = next((j for j in units if j > index), None)
            kept = following is not None and decisions[following].kept
            reason = "heading of a kept block" if kept else "heading of a removed block"
            decisions[index] = BlockDecision(block, kept, reason)
    return _result(blocks, [decisions[index] for index in range(len(blocks))])


def _result(blocks: Sequence[Block], decisions: list[BlockDecision]) -> CleaningResult:
    return CleaningResult(
        kept=[decision.block for decision in decisions if decision.kept],
        removed=[decision.block for decision in decisions if not decision.kept],
        decisions=decisions,
    )


def _section_headings(blocks: Sequence[Block], title: str) -> dict[int, str]:
    """The heading each block sits under ('' at the top and under the page title)."""
    heading, under = "", {}
    for index, block in enumerate(blocks):
        if block.kind == "heading":
            is_title = block.level == 1 and (not title or block.text.strip() == title.strip())
            heading = "" if is_title else block.text
        under[index] = heading
    return under


def _forced_by_headings(blocks: Sequence[Block], keep: Keep) -> set[int]:
    """Indices of the blocks under the headings named by front matter `keep` (and the
    headings themselves), down to the next heading of the same or a higher level."""
    if not keep or keep == "all":
        return set()
    wanted = {name.strip().lower() for name in ([keep] if isinstance(keep, str) else keep)}
    forced, level = set(), None
    for index, block in enumerate(blocks):
        if block.kind == "heading":
            if level is not None and block.level <= level:
                level = None
            if level is None and block.text.strip().lower() in wanted:
                level = block.level
        if level is not None:
            forced.add(index)
    return forced


def _topic_similarity(vectors: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Similarity of each block to the page's topic, refined once on the more typical half."""
    topic = _unit(weights @ vectors)
    similarity = vectors @ topic
    typical = similarity >= np.median(similarity)
    topic = _unit(weights[typical] @ vectors[typical])
    return vectors @ topic


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


def _max_sum_span(scores: np.ndarray) -> tuple[int, int]:
    """Kadane's algorithm: first and last index of the contiguous run with the largest sum."""
    best_sum, best = -np.inf, (0, 0)
    running, start = 0.0, 0
    for index, score in enumerate(scores):
        if running <= 0:
            running, start = score, index
        else:
            running += score
        if running > best_sum:
            best_sum, best = running, (start, index)
    return best
