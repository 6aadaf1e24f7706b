"""Sentences and approach names: the language handling shared by ingest and the answer engine.

Deterministic and cheap (no model). The bot reads these through `bot.answering.text`; ingest
uses them to cut chunks into sentences and claims (`ingest.knowledge`).
"""

import re
from functools import cache

from ingest.approaches import load_approaches

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_ABBREVIATIONS = ("et al.", "e.g.", "i.e.", "vs.", "cf.", "approx.", "Dr.", "Mr.", "Ms.", "U.S.")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[\"“(]?[A-Z0-9])")
_PROTECT = "\u2063"  # invisible separator: stands in for the dot of an abbreviation
_UP_FRONT = re.compile(r"\bup[- ]front\b")
_SET_UP = re.compile(r"\bset[- ]up\b")


def normalize(text: str) -> str:
    """Lowercase text with typographic quotes and dashes made plain, for matching phrases."""
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = text.replace("—", " - ").replace("–", " - ")
    return re.sub(r"\s+", " ", text.lower()).strip()


def words(text: str) -> list[str]:
    """The lowercase words of `text`; hyphenated words give their parts ("up front" and
    "up-front" are one word, as "upfront"; so is "set up", as "setup")."""
    joined = _SET_UP.sub("setup", _UP_FRONT.sub("upfront", normalize(text)))
    return _WORD.findall(joined.replace("-", " "))


def full_stop_pattern() -> str:
    """A regex of a full stop and the space after it that is not an abbreviation's ("Shen et
    al. (2018) showed …" goes on): where a text splitter may cut a paragraph."""
    not_after = "".join(f"(?<!{re.escape(abbreviation[:-1])})" for abbreviation in _ABBREVIATIONS)
    return not_after + r"\. "


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph; abbreviations such as "et al." and "e.g." do not end one."""
    protected = text
    for abbreviation in _ABBREVIATIONS:
        protected = protected.replace(abbreviation, abbreviation.replace(".", _PROTECT))
    pieces = _SENTENCE_END.split(protected)
    return [piece.replace(_PROTECT, ".").strip() for piece in pieces if piece.strip()]


def sentence_case(text: str) -> str:
    """First letter uppercase, and a final full stop when the text has no end punctuation."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in '.!?:;)"”' else text + "."


def lower_first(text: str) -> str:
    """Lowercase the first letter, unless the text starts with an acronym, a name like "GPT-3"
    or a Title Case label such as "Hybrid Approaches"."""
    first, *rest = text.split(" ", 2)
    if len(first) > 1 and (first[1:2].isupper() or any(char.isdigit() for char in first)):
        return text
    if rest and rest[0][:1].isupper():
        return text
    return text[:1].lower() + text[1:]


@cache
def approach_patterns() -> dict[str, re.Pattern[str]]:
    """Approach id -> the pattern of its aliases, from `approaches.yaml`."""
    return {approach.id: approach.pattern for approach in load_approaches()}


@cache
def approach_names() -> dict[str, str]:
    """Approach id -> its name in running text ("fine-tuning")."""
    return {approach.id: approach.name for approach in load_approaches()}


def approaches_in(text: str) -> set[str]:
    """Which approaches `text` names."""
    return {name for name, pattern in approach_patterns().items() if pattern.search(text)}


def approach_mentions(text: str) -> list[tuple[int, str]]:
    """(character offset, approach) of every mention of an approach, in reading order."""
    found = [
        (match.start(), name)
        for name, pattern in approach_patterns().items()
        for match in pattern.finditer(text)
    ]
    return sorted(found)
