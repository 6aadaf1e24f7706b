"""Remove the boilerplate of scraped pages: advertising, service and client lists, testimonials,
calls to action and addresses around the article.

The method is general (no lists of phrases or of these documents' lines). It follows body-text
extraction: a page's main content is one contiguous run of blocks that are about the page's
topic, while boilerplate sits before and after it and is about something else. Each block is
embedded; the topic is the length-weighted centroid of the blocks most similar to the page as a
whole; each block scores its word count times (similarity to the topic - a threshold relative to
the page); the run with the largest total (Kadane's maximum subarray) is the content. Contact
details (e-mail addresses, links, phone numbers) lower a block's similarity, since articles
rarely carry them. Headings are kept when the first block after them is kept.
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
CONTACT_PENALTY = 0.15
# A block's opening words tell its topic; embedding only those keeps cleaning a fraction of the
# cost of embedding the chunks (attention cost grows with length).
TOPIC_WORDS = 48
_CONTACT = re.compile(
    r"[\w.+-]+@[\w-]+\.[\w.]+|https?://|www\.[\w-]+\.\w+|\+?\d[\d ()-]{7,}\d", re.IGNORECASE
)


@dataclass(frozen=True)
class CleaningResult:
    kept: list[Block]
    removed: list[Block]


def remove_boilerplate(
    blocks: Sequence[Block], embed: Callable[[list[str]], np.ndarray]
) -> CleaningResult:
    """Split a document's blocks into main content and boilerplate, preserving their order."""
    units = [index for index, block in enumerate(blocks) if block.kind != "heading"]
    if len(units) < 3:
        return CleaningResult(list(blocks), [])
    openings = [" ".join(blocks[index].text.split()[:TOPIC_WORDS]) for index in units]
    vectors = np.asarray(embed(openings), dtype=np.float32)
    weights = np.array(
        [min(len(blocks[index].text.split()), MAX_WEIGHT_WORDS) for index in units], dtype=float
    )
    similarity = _topic_similarity(vectors, weights)
    similarity -= CONTACT_PENALTY * np.array(
        [bool(_CONTACT.search(blocks[index].text)) for index in units]
    )
    threshold = RELATIVE_THRESHOLD * float(np.percentile(similarity, 75))
    start, end = _max_sum_span(weights * (similarity - threshold))
    kept_units = set(units[start : end + 1])
    kept_indices = set(kept_units)
    for index, block in enumerate(blocks):
        if block.kind == "heading":
            following = next((j for j in units if j > index), None)
            if following in kept_units:
                kept_indices.add(index)
    return CleaningResult(
        kept=[block for index, block in enumerate(blocks) if index in kept_indices],
        removed=[block for index, block in enumerate(blocks) if index not in kept_indices],
    )


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
