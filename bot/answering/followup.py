"""Follow-up questions: "and what does it cost?" is understood from the earlier turns.

A question that leans on the conversation (it starts with "and"/"what about", or refers to "it"
or "they" without naming anything, or is only a word or two) is searched together with the
topic of the previous question. A follow-up with a topic of its own ("what about the cost?")
takes only the previous approach; one that names an approach ("what about prompt
engineering?") keeps the previous topic words but takes its own approach; one with neither
("and why?") takes both.
"""

import re
from collections.abc import Sequence

from bot.answering.models import Turn
from bot.answering.text import (
    APPROACH_NAMES,
    APPROACH_WORDS,
    QUESTION_FILLER,
    STOPWORDS,
    approaches_in,
    words,
)

_CONNECTIVE_START = re.compile(
    r"^\s*(?:(?:ok|okay|alright|hm+|thanks!?)[,.!]?\s+)?(?:and|but|also|so|then|or|what about|"
    r"how about|what if|suppose|supposing)\b",
    re.IGNORECASE,
)
# "and for a small team?", "what if we have no data?", "is that true for startups too?",
# "same for a bank?": the question before, on a condition
_CONDITION = re.compile(
    r"^\s*(?:(?:and|but|so|ok|okay|what about|how about|what)[,]?\s+)?"
    r"(?:for|if|with|without|when|in|"
    r"(?:is|does|would|will|could|can) (?:that|this|it|the same) (?:still |also )?"
    r"(?:be )?(?:true|hold|holds|apply|applies|the case|change|work|go)|"
    r"(?:the )?same (?:question |thing |answer )?(?:for|if|with|when))\b",
    re.IGNORECASE,
)
_REFERRING_PRONOUNS = frozenset(
    {"it", "its", "it's", "they", "them", "their", "this", "that", "these", "those"}
)
_REFERS_TO_APPROACHES = frozenset(
    {
        "approach",
        "approaches",
        "both",
        "each",
        "two",
        "either",
        "technique",
        "techniques",
        "method",
        "methods",
    }
)
SHORT_QUESTION_WORDS = 4
TOPIC_WORDS_OF_ITS_OWN = 2  # "can you give an example?": "give", "example", and no subject
# "why?", "how come?", "why is that?": the reasons of the answer before, nothing new asked
_ASKS_WHY = re.compile(
    r"^\s*(?:(?:and|but|so|ok|okay|hm+|huh)[,!]?\s+)?(?:why|how come|how so|what makes you say "
    r"(?:that|so)|reasons?|explain|based on what)(?:\s+(?:is|was) (?:that|it)|\s+not|\s+so|"
    r"\s+exactly)?\s*[?!.]*\s*$",
    re.IGNORECASE,
)


def asks_why(question: str) -> bool:
    """Whether `question` only asks for the reasons of the previous answer."""
    return bool(_ASKS_WHY.match(question))


def continues(question: str) -> bool:
    """Whether `question` opens by continuing the conversation ("and …", "what about …", "for
    …"), whatever its own words are about."""
    return bool(_CONNECTIVE_START.match(question) or _CONDITION.match(question))


def is_follow_up(question: str) -> bool:
    """Whether `question` can only be understood with the turn before it."""
    tokens = words(question)
    if _CONNECTIVE_START.match(question):
        return True
    if approaches_in(question) or _REFERS_TO_APPROACHES & set(tokens):
        return False
    own = [token for token in tokens if token not in STOPWORDS and token not in QUESTION_FILLER]
    return (
        bool(_REFERRING_PRONOUNS & set(tokens))
        or len(tokens) <= SHORT_QUESTION_WORDS
        or len(own) <= TOPIC_WORDS_OF_ITS_OWN
    )


def topic_of(question: str) -> str:
    """The approach names and topic words of a question, as search words."""
    names = [APPROACH_NAMES[approach] for approach in sorted(approaches_in(question))]
    topic = [
        word
        for word in words(question)
        if word not in STOPWORDS and word not in QUESTION_FILLER and word not in APPROACH_WORDS
    ]
    return " ".join(dict.fromkeys([*names, *topic]))


def contextualize(question: str, history: Sequence[Turn]) -> str:
    """The search query for `question`: itself, or itself plus the topic it refers back to."""
    previous: str | None = None
    for turn in history:
        previous = _resolve(turn.question, previous)
    return _resolve(question, previous)


def _resolve(question: str, previous: str | None) -> str:
    if previous is None or not is_follow_up(question):
        return question
    carried = topic_of(previous)
    if approaches_in(question):
        carried = " ".join(
            word for word in carried.split() if word not in APPROACH_WORDS and word != "fine-tuning"
        )
    elif _CONDITION.match(question):
        pass  # the whole question before is asked again, on the condition
    elif topic_of(question):
        # It brings its own topic ("what about the cost?"): only the subject carries over, or
        # the previous topic's words would outweigh the new one in the search.
        carried = " ".join(APPROACH_NAMES[approach] for approach in sorted(approaches_in(previous)))
    return f"{question} {carried}".strip()
