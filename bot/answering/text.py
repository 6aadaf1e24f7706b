"""Words, stems and sentences: the small amount of language handling the engine needs.

Everything here is deterministic and cheap (no model): tokenizing for BM25 and lexical overlap,
a light suffix-stripping stemmer, a sentence splitter that knows the usual abbreviations, and
the recognition of the two approaches the knowledge base is about.
"""

import re
from functools import lru_cache

from ingest.approaches import load_approaches
from ingest.text import (  # noqa: F401 - re-exported: the engine's language helpers in one place
    approach_mentions,
    approach_names,
    approach_patterns,
    approaches_in,
    lower_first,
    normalize,
    sentence_case,
    split_sentences,
    words,
)

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "aren't",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "can't",
        "cannot",
        "could",
        "couldn't",
        "did",
        "didn't",
        "do",
        "does",
        "doesn't",
        "doing",
        "don't",
        "down",
        "during",
        "each",
        "either",
        "else",
        "etc",
        "ever",
        "every",
        "few",
        "for",
        "from",
        "further",
        "get",
        "gets",
        "got",
        "had",
        "hadn't",
        "has",
        "hasn't",
        "have",
        "haven't",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "however",
        "i",
        "i'm",
        "if",
        "in",
        "into",
        "is",
        "isn't",
        "it",
        "it's",
        "its",
        "itself",
        "just",
        "let's",
        "like",
        "may",
        "me",
        "might",
        "more",
        "most",
        "much",
        "must",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "one",
        "only",
        "or",
        "other",
        "ought",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "per",
        "quite",
        "rather",
        "really",
        "same",
        "shall",
        "she",
        "should",
        "shouldn't",
        "so",
        "some",
        "such",
        "than",
        "that",
        "that's",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "there's",
        "these",
        "they",
        "they're",
        "this",
        "those",
        "through",
        "thus",
        "to",
        "too",
        "under",
        "until",
        "up",
        "upon",
        "us",
        "very",
        "via",
        "was",
        "wasn't",
        "we",
        "we're",
        "were",
        "weren't",
        "what",
        "what's",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "whose",
        "why",
        "will",
        "with",
        "within",
        "without",
        "won't",
        "would",
        "wouldn't",
        "yet",
        "you",
        "you're",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "tell",
        "know",
        "want",
        "need",
        "use",
        "used",
        "using",
        "way",
        "ways",
        "thing",
        "things",
        "kind",
        "kinds",
        "someone",
        "something",
    ]
)

# Question words that carry no topic: they say what kind of answer is wanted, not about what.
QUESTION_FILLER = frozenset(
    [
        "approach",
        "approaches",
        "technique",
        "techniques",
        "method",
        "methods",
        "option",
        "options",
        "two",
        "both",
        "each",
        "compare",
        "compared",
        "comparison",
        "comparing",
        "differ",
        "differs",
        "difference",
        "differences",
        "versus",
        "vs",
        "better",
        "best",
        "good",
        "typical",
        "typically",
        "usually",
        "generally",
        "explain",
        "mean",
        "means",
        "meaning",
        # asking for the short version: "tl;dr prompting vs fine-tuning?"
        "tl",
        "dr",
        "tldr",
        "eli5",
        "summary",
        "overview",
        "gist",
        "nutshell",
        "recap",
        # how a turn in a conversation opens: "ok, and the downsides?"
        "ok",
        "okay",
        "alright",
        "hm",
        "hmm",
        "cool",
        "great",
        "thanks",
        # choosing: "which would you pick?", "which one should we go with?"
        "pick",
        "choose",
        "go",
        # asking for a view: "what do you think?", "your thoughts, please?"
        "think",
        "thoughts",
        "opinion",
        "reckon",
        "say",
        "tell",
        "please",
    ]
)

PROMPT_ENGINEERING = "prompt_engineering"
FINE_TUNING = "fine_tuning"
# The approaches are data (ingest/approaches.yaml); these views of it are what the engine reads.
APPROACH_PATTERNS = approach_patterns()
APPROACH_NAMES = approach_names()
APPROACH_WORDS = frozenset().union(*(approach.words for approach in load_approaches()))

_SUFFIXES = (
    "izations",
    "ization",
    "izability",
    "ability",
    "ibility",
    "ations",
    "ation",
    "nesses",
    "ness",
    "ments",
    "ment",
    "ities",
    "ity",
    "izing",
    "ized",
    "izes",
    "ize",
    "ings",
    "ing",
    "ency",
    "ence",
    "ancy",
    "ance",
    "able",
    "ible",
    "ably",
    "ical",
    "ally",
    "ful",
    "ous",
    "ive",
    "acy",
    "ate",
    "ent",
    "ant",
    "ers",
    "est",
    "er",
    "ed",
    "ly",
    "al",
)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light English stemmer: enough to match plurals, -ing/-ed and -ity/-ation families."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "ls":
        word = word[:-1]
    return word


def content_terms(text: str, *, drop: frozenset[str] = frozenset()) -> list[str]:
    """Stems of the words that carry meaning: stopwords (and `drop`) left out, order kept."""
    return [stem(word) for word in words(text) if word not in STOPWORDS and word not in drop]


def topic_terms(question: str) -> list[str]:
    """What a question is about: its content stems without question filler or approach names."""
    return content_terms(question, drop=QUESTION_FILLER | APPROACH_WORDS)


def strip_inline_markdown(text: str) -> str:
    """Plain text of inline Markdown: emphasis, code and links reduced to their words."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<!\w)[*_](?=\S)(.+?)(?<=\S)[*_](?!\w)", r"\1", text)
    return text.replace("`", "").strip()


def other_approach(approach: str) -> str:
    return FINE_TUNING if approach == PROMPT_ENGINEERING else PROMPT_ENGINEERING
