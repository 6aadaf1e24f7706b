"""Sources that contradict each other about one approach on the point asked.

`stance.find_disagreement` finds documents that weigh the two approaches against each other
and come out on opposite sides. A planted or outdated document can instead contradict the
others about one approach alone: "fine-tuning is always free" against "fine-tuning is
resource-intensive". Here each relevant sentence about the approach asked gets a judgment on
the aspect asked, light (free, cheap, easy, no cost) or heavy (expensive, costly, intensive,
demanding); the sources conflict when different documents judge the same approach both ways.
"""

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from bot.answering.text import stem, words

# A judgment that the approach costs little on the aspect, or a lot; the first of each pair of
# lists name their aspect themselves ("free" is about cost even when "cost" is absent).
# Whole words, not stems: "costly" and "cost" share a stem, and only one of them is a judgment.
_LIGHT_COST = frozenset(["free", "cheap", "cheaper", "inexpensive", "affordable", "costless"])
_LIGHT = _LIGHT_COST | {"effortless", "easy", "negligible", "trivial"}
_HEAVY_COST = frozenset(["expensive", "costly", "pricey", "prohibitive"])
_HEAVY = _HEAVY_COST | {"intensive", "demanding", "burdensome"}
_COST_CUES = _LIGHT_COST | _HEAVY_COST
# Absolute negations that make the aspect after them light: "no cost", "without data". Soft
# quantities ("little", "significant") are left out: sources that differ by degree do not
# contradict each other.
_NONE = frozenset(["no", "zero", "without"])
_COST = frozenset(
    stem(word) for word in ["cost", "costs", "price", "expense", "expensive", "cheap"]
)
_JUDGMENTS = _LIGHT | _HEAVY
WINDOW = 3  # words after a quantity that it can qualify, or around a judgment of the aspect
_CLAUSE = re.compile(r"[;:,.!?()]")  # a judgment and its aspect share a clause
# Words that turn a judgment one or two words after them around: "less resource-intensive" is
# light, "not as cheap" heavy.
_REVERSING = frozenset(["less", "not", "never", "isn't", "isnt", "aren't", "doesn't", "hardly"])


@dataclass(frozen=True)
class Conflict:
    """Opposite judgments of one approach by different documents: passage indices of each."""

    approach: str
    light: tuple[int, ...]
    heavy: tuple[int, ...]


def judgment(text: str, *, aspect: frozenset[str]) -> int:
    """+1 when `text` judges its subject light on the aspect, -1 heavy, 0 neither or both."""
    light = heavy = 0
    asks_cost = bool(aspect & _COST)
    for clause in _CLAUSE.split(text):
        tokens = [word.lower() for word in words(clause)]
        stems = [stem(word) for word in tokens]
        for index, token in enumerate(tokens):
            following = tokens[index + 1] if index + 1 < len(tokens) else ""
            if token in _COST_CUES:  # about money only when cost is asked ("free of errors")
                applies = asks_cost and following not in ("of", "from", "form")
            else:  # "easy" judges the aspect beside it: "easy to adjust" is not about budget
                applies = bool(aspect & set(stems[max(0, index - WINDOW) : index + 1 + WINDOW]))
            reversed_ = bool(_REVERSING.intersection(tokens[max(0, index - 2) : index]))
            if token in _JUDGMENTS and applies:
                if (token in _LIGHT) != reversed_:
                    light += 1
                else:
                    heavy += 1
            elif token in _NONE and aspect & set(stems[index + 1 : index + 1 + WINDOW]):
                light += 1
    return (light > heavy) - (heavy > light)


def find_conflict(
    candidates: Sequence[tuple[int, str, str, str | None]],
    *,
    approach: str,
    aspect: frozenset[str],
) -> Conflict | None:
    """`candidates` are (passage index, document, text, subject) of the passages relevant to
    the question; a conflict when documents judge `approach` both light and heavy."""
    by_side: dict[int, dict[str, list[int]]] = {1: defaultdict(list), -1: defaultdict(list)}
    for index, document, text, subject in candidates:
        if subject != approach:
            continue
        side = judgment(text, aspect=aspect)
        if side:
            by_side[side][document].append(index)
    light, heavy = by_side[1], by_side[-1]
    if not light or not heavy or (set(light) == set(heavy) and len(light) == 1):
        return None
    return Conflict(
        approach,
        light=tuple(i for document in light for i in light[document]),
        heavy=tuple(i for document in heavy for i in heavy[document]),
    )
