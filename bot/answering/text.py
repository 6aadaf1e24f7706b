"""Words, stems and sentences: the small amount of language handling the engine needs.

Everything here is deterministic and cheap (no model): tokenizing for BM25 and lexical overlap,
a light suffix-stripping stemmer, a sentence splitter that knows the usual abbreviations, and
the recognition of the two approaches the knowledge base is about.
"""

import re
from functools import lru_cache

STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are aren't as at be because
    been before being below between both but by can can't cannot could couldn't did didn't
    do does doesn't doing don't down during each either else etc ever every few for from
    further get gets got had hadn't has hasn't have haven't having he her here hers herself
    him himself his how however i i'm if in into is isn't it it's its itself just let's like
    may me might more most much must my myself no nor not now of off on once one only or
    other ought our ours ourselves out over own per quite rather really same shall she
    should shouldn't so some such than that that's the their theirs them themselves then
    there there's these they they're this those through thus to too under until up upon us
    very via was wasn't we we're were weren't what what's when where which while who whom
    whose why will with within without won't would wouldn't yet you you're your yours
    yourself yourselves tell know want need use used using way ways thing things kind kinds
    someone something
    """.split()
)

# Question words that carry no topic: they say what kind of answer is wanted, not about what.
QUESTION_FILLER = frozenset(
    """
    approach approaches technique techniques method methods option options two both each
    compare compared comparison comparing differ differs difference differences versus vs
    better best good typical typically usually generally explain mean means meaning
    """.split()
)

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_ABBREVIATIONS = ("et al.", "e.g.", "i.e.", "vs.", "cf.", "approx.", "Dr.", "Mr.", "Ms.", "U.S.")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[\"“(]?[A-Z0-9])")
_PROTECT = "\u2063"  # invisible separator: stands in for the dot of an abbreviation

PROMPT_ENGINEERING = "prompt_engineering"
FINE_TUNING = "fine_tuning"
APPROACH_PATTERNS = {
    PROMPT_ENGINEERING: re.compile(
        r"\b(?:prompt[- ]?engineer(?:ing|ed)?|prompting|prompt design|prompts?)\b", re.IGNORECASE
    ),
    FINE_TUNING: re.compile(r"\b(?:fine[- ]?tun(?:e|ed|es|ing)|finely tuned)\b", re.IGNORECASE),
}
APPROACH_NAMES = {PROMPT_ENGINEERING: "prompt engineering", FINE_TUNING: "fine-tuning"}
APPROACH_WORDS = frozenset(
    {"prompt", "prompts", "prompting", "engineering", "fine", "tuning", "tuned", "tune"}
)

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


def normalize(text: str) -> str:
    """Lowercase text with typographic quotes and dashes made plain, for matching phrases."""
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = text.replace("—", " - ").replace("–", " - ")
    return re.sub(r"\s+", " ", text.lower()).strip()


def words(text: str) -> list[str]:
    """The lowercase words of `text`; hyphenated words give their parts."""
    return _WORD.findall(normalize(text).replace("-", " "))


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


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph; abbreviations such as "et al." and "e.g." do not end one."""
    protected = text
    for abbreviation in _ABBREVIATIONS:
        protected = protected.replace(abbreviation, abbreviation.replace(".", _PROTECT))
    pieces = _SENTENCE_END.split(protected)
    return [piece.replace(_PROTECT, ".").strip() for piece in pieces if piece.strip()]


def strip_inline_markdown(text: str) -> str:
    """Plain text of inline Markdown: emphasis, code and links reduced to their words."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<!\w)[*_](?=\S)(.+?)(?<=\S)[*_](?!\w)", r"\1", text)
    return text.replace("`", "").strip()


def approaches_in(text: str) -> set[str]:
    """Which of the two approaches `text` names."""
    return {name for name, pattern in APPROACH_PATTERNS.items() if pattern.search(text)}


def approach_mentions(text: str) -> list[tuple[int, str]]:
    """(character offset, approach) of every mention of an approach, in reading order."""
    found = [
        (match.start(), name)
        for name, pattern in APPROACH_PATTERNS.items()
        for match in pattern.finditer(text)
    ]
    return sorted(found)


def other_approach(approach: str) -> str:
    return FINE_TUNING if approach == PROMPT_ENGINEERING else PROMPT_ENGINEERING


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
