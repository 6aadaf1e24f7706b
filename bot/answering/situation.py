"""A team describing its situation: what it states, as a partial intake of the assessment.

"Two engineers, no ML background, launch next week" states three of the intake's answers
(ML expertise: none; timeline: days) and leaves the rest open. The extraction reads the
intake's own vocabulary: each option's label and detail ("Thousands of examples or more",
"medical, legal, scientific…", "weekly or more often"), each question's help text, and the
cues of `bot/assessment/intake_cues.yaml` (how people say the same in their own words). It
matches them as whole words on stems, clause by clause:

- a cue of one field's option picks that option; a cue shared by several fields ("thousands",
  "high") counts only in a clause that also names the field's topic ("thousands of labeled
  examples", "a high budget");
- a negation before a cue ("no", "without", "don't have") picks the option at the other end of
  the field's scale ("no sensitive data" → No); a negated topic ("no ML background") picks the
  field's first option when its label means none or low;
- when a field gets several values, the longest cue wins (the most specific wording).

A question is a situation when it states at least one answer and speaks of the asker (first
person, or a team or organisation).
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from bot.answering.text import APPROACH_PATTERNS, approaches_in, stem, words
from bot.assessment.intake import IntakeAnswers, Question
from bot.assessment.weights import YAML_LOADER

CUES_FILE = Path(__file__).resolve().parents[1] / "assessment" / "intake_cues.yaml"
_CLAUSE_BREAK = re.compile(r"[.;!?,:()]|\bbut\b|\bwhereas\b|\bthough\b", re.IGNORECASE)
_NEGATORS = frozenset(
    [
        "no",
        "not",
        "without",
        "lack",
        "lacking",
        "lacks",
        "don't",
        "doesn't",
        "dont",
        "doesnt",
        "never",
        "zero",
        "none",
        "isn't",
        "aren't",
        "haven't",
        "hasn't",
        "hardly",
        "nobody",
        "neither",
        "nor",
    ]
)
NEGATION_SCOPE = 5  # words before a cue that a negation reaches ("nobody in our team has ML…")
_CONJOINS = frozenset(["and", "plus", "also", "while"])
NUMBER_WEIGHT = 2.5  # a stated count outweighs a cue of one or two words
# Options a denied topic means ("no ML background": none); a yes-or-no option is no quantity
# ("no data" does not say the data is not sensitive).
_ABSENT = frozenset({"none", "low"})
_ABOUT_THE_ASKER = frozenset(
    [
        "we",
        "we're",
        "we've",
        "we'll",
        "our",
        "ours",
        "us",
        "i",
        "i'm",
        "i've",
        "my",
        "me",
        "team",
        "teams",
        "company",
        "startup",
        "agency",
        "firm",
        "business",
        "org",
        "organization",
        "organisation",
        "department",
        "client",
        "clients",
        "devs",
        "developers",
        "engineers",
        "staff",
        "employees",
        "hospital",
        "bank",
    ]
)
# Help-text words that say nothing of one field in particular.
_GENERIC_HELP = frozenset(
    [
        "how",
        "what",
        "many",
        "much",
        "the",
        "your",
        "you",
        "does",
        "must",
        "task",
        "task's",
        "needs",
        "need",
        "have",
        "high",
        "quality",
        "input",
        "output",
        "outputs",
        "ideal",
        "available",
        "front",
        "long",
        "until",
        "work",
        "involve",
        "often",
        "language",
        "knowledge",
        "production",
        "specialized",
        "accurate",
        "consistent",
        "sensitive",
    ]
)
_ASKS_ADVICE = re.compile(
    r"\b(?:recommend\w*|suggest\w*|advi[cs]e|should|enough|good idea|bad idea|worth|"
    r"right (?:choice|call|move)|way to go|overkill|make sense|suitable|go with|pays? off|"
    r"worthwhile|sufficient)\b",
    re.IGNORECASE,
)
# "do we even need fine-tuning?": whether to, asked of the approach alone (not "do we need
# to fine-tune to get a format?", a question of what it takes)
_ASKS_IF_NEEDED = re.compile(
    r"^\s*(?:so,?\s+)?(?:do|does) (?:we|i) (?:even |really |actually )?need (?:to )?"
    r"(?:fine[- ]?tun\w*|prompt\w*(?: engineering)?)(?: at all| here| now| then)?\s*[?!.]*\s*$",
    re.IGNORECASE,
)
# "what should we do?", "thoughts?", "your take?": advice asked without naming its subject
_ASKS_WHAT_TO_DO = re.compile(
    r"\b(?:what (?:should|would|could|do|can) (?:we|i|you) do|what now|thoughts|your take|"
    r"where (?:do|should) (?:we|i) (?:start|begin)|which way|next steps?|"
    r"which (?:one |approach )?(?:would|should|do|did) (?:you|we|i) (?:pick|choose|use|take))\b",
    re.IGNORECASE,
)
# Words that put the choice between the approaches to the asker ("which approach should we…").
_THE_CHOICE = frozenset(
    ["approach", "approaches", "option", "options", "method", "methods", "route", "path"]
)
# "cheaper", "faster": a comparison of the approaches, not a statement of the asker's case.
_COMPARATIVE = re.compile(r"(?:cheap|fast|quick|slow|easi|hard|safe|costli|simpl)er", re.I)
_ASKS_WHAT_IS_NEEDED = re.compile(
    r"^\s*(?:do|does|would|will|should|must)\s+(?:i|we|you|it|one|a team)\s+"
    r"(?:really\s+)?(?:need|require|have to have)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\b(\d+(?:[.,]\d+)*)\s*(k|m|thousand|million)?\b", re.IGNORECASE)
_GENERIC_SCALE = frozenset({"low", "medium", "high", "none", "some", "strong", "moderate"})


@dataclass(frozen=True)
class Statement:
    """One intake answer a question states, and the words that stated it."""

    field: str
    value: str
    words: str


@dataclass(frozen=True)
class _Cue:
    field: str
    value: str | None  # None: a topic word of the field
    stems: tuple[str, ...]
    needs_topic: bool = False
    adverb: bool = False  # one word ending in "-ly": only that word matches, not its stem-mates


def _stems(text: str) -> tuple[str, ...]:
    return tuple(stem(word.removesuffix("'s")) for word in words(text))


@cache
def _cue_fields() -> dict:
    return yaml.load(CUES_FILE.read_text(encoding="utf-8"), Loader=YAML_LOADER)["fields"]


@cache
def _cues() -> tuple[_Cue, ...]:
    """Every cue: the intake's labels, details and help texts, and intake_cues.yaml."""
    data = _cue_fields()
    cues: list[_Cue] = []
    for question in IntakeAnswers.questions():
        if not question.options:
            continue
        extra = data.get(question.field, {})
        for topic in [*extra.get("topic", []), *_help_topics(question)]:
            cues.append(_Cue(question.field, None, _stems(topic)))
        for value, label in question.options:
            name, _, detail = label.partition(": ")
            phrases = [*extra.get("values", {}).get(value, []), *_detail_phrases(detail)]
            cues += [
                _Cue(question.field, value, _stems(phrase), adverb=_is_adverb(phrase))
                for phrase in phrases
            ]
            # "Low", "Days", "None": a cue only beside the field's topic ("a low budget").
            cues.append(_Cue(question.field, value, _stems(name), needs_topic=True))
    cues = [cue for cue in cues if cue.stems]
    fields_of: dict[tuple[str, ...], set[str]] = {}
    for cue in cues:
        if cue.value is not None:
            fields_of.setdefault(cue.stems, set()).add(cue.field)
    # A value cue that is another field's topic word ("daily": how often things change, or
    # what a volume is counted per) counts only beside its own field's topic.
    for cue in cues:
        if cue.value is None and cue.stems in fields_of:
            fields_of[cue.stems].add(cue.field)
    return tuple(
        _Cue(
            cue.field,
            cue.value,
            cue.stems,
            needs_topic=cue.needs_topic
            or (cue.value is not None and len(fields_of[cue.stems]) > 1)
            or (len(cue.stems) == 1 and cue.stems[0] in _GENERIC_SCALE),
            adverb=cue.adverb,
        )
        for cue in cues
    )


def _is_adverb(phrase: str) -> bool:
    phrase = phrase.strip()
    return " " not in phrase and phrase.endswith("ly")


def _detail_phrases(detail: str) -> list[str]:
    """ "medical, legal, scientific…" → three cues; "weekly or more often" stays one."""
    return [part.strip() for part in re.split(r",|…|\bor more\b", detail) if part.strip()]


def _help_topics(question: Question) -> list[str]:
    """The help text's content words as topic words ("labeled examples", "requests per day")."""
    return [word for word in words(question.help) if word not in _GENERIC_HELP and len(word) > 3]


def extract(question: str) -> list[Statement]:
    """The intake answers `question` states, one per field, in the intake's order."""
    found: dict[str, tuple[float, Statement]] = {}
    for clause in _clauses(_without_approach_names(question)):
        if _ASKS_WHAT_IS_NEEDED.match(clause):  # "do I need a data scientist?" has none
            continue
        tokens = [
            "" if _COMPARATIVE.fullmatch(token) else token.removesuffix("'s")
            for token in words(clause)
        ]
        stems = [stem(token) for token in tokens]
        hits = _longest_matches(stems)
        topics = {cue.field for cue, _ in hits if cue.value is None}
        for field, value in _numbers(clause, topics):
            if field not in found or found[field][0] < NUMBER_WEIGHT:
                found[field] = (NUMBER_WEIGHT, Statement(field, value, clause.strip()))
        for cue, start in hits:
            negation = _negation(tokens, start)
            # "no labeled data" denies labeled data, not data of every kind, and "no ML
            # background building an FAQ bot" no FAQ: a negation before another field's words
            # is theirs
            negated = negation is not None and not any(
                other.field != cue.field and negation < at < start for other, at in hits
            )
            if cue.value is None:
                if not negated:
                    continue
                absent = _absent_option(cue.field)
                if absent is None:
                    continue
                value = absent
            else:
                if cue.needs_topic and cue.field not in topics:
                    continue
                # "monthly" and "months" share a stem; "for months" says how long, not how often
                if cue.adverb and not tokens[start].lower().endswith("ly"):
                    continue
                # An option named "No" or "None" is no statement in front of other words
                # ("no labeled data"): there it negates them, as read above.
                if len(cue.stems) == 1 and tokens[start] in _NEGATORS and start + 1 < len(tokens):
                    continue
                value = _opposite(cue.field, cue.value) if negated else cue.value
            # A value cue that is also a topic word ("accurate") yields to a plain one
            # ("critical") of the same length.
            weight = len(cue.stems) + (0.5 if cue.value is not None else 0.0)
            if cue.value is not None and cue.stems in _topic_stems(cue.field):
                weight -= 0.25
            if cue.field not in found or weight > found[cue.field][0]:
                found[cue.field] = (weight, Statement(cue.field, value, clause.strip()))
    return _in_intake_order({field: statement for field, (_, statement) in found.items()})


def stated_in(questions: Sequence[str]) -> list[Statement]:
    """The intake answers a conversation's questions state, the latest for each field."""
    latest = {
        statement.field: statement for question in questions for statement in extract(question)
    }
    return _in_intake_order(latest)


def _in_intake_order(by_field: dict[str, Statement]) -> list[Statement]:
    order = [question.field for question in IntakeAnswers.questions()]
    return [by_field[field] for field in order if field in by_field]


def is_situation(question: str, statements: Sequence[Statement]) -> bool:
    """Whether the question asks for advice on the asker's own case: it states an answer of
    the intake and speaks of the asker or asks for advice ("a bank with 100k labeled
    transactions, which approach?"), or a team asks for advice without stating any ("is
    fine-tuning worth it for our team?": what is known is nothing, and the answer says what
    would decide it). A question that only weighs the approaches on a point ("which is cheaper
    to run at high volume?") is none: its "high volume" qualifies the point asked."""
    tokens = set(words(question))
    about_the_asker = bool(_ABOUT_THE_ASKER & tokens)
    asks_advice = bool(_ASKS_ADVICE.search(question) or _ASKS_IF_NEEDED.match(question))
    if not statements:
        on_the_choice = bool(approaches_in(question) or _THE_CHOICE & tokens)
        return about_the_asker and asks_advice and on_the_choice
    return about_the_asker or asks_advice


def asks_for_advice(question: str) -> bool:
    """Whether the question asks what to do ("what would you recommend?", "so what now?")."""
    return bool(_ASKS_ADVICE.search(question) or _ASKS_WHAT_TO_DO.search(question))


def puts_the_choice(question: str) -> bool:
    """Whether the asker puts the choice between the two approaches to us for their own case
    ("our support team answers refund e-mails. Prompting or fine-tuning?")."""
    tokens = set(words(question))
    return bool(_ABOUT_THE_ASKER & tokens) and len(approaches_in(question)) == 2 and "or" in tokens


def _without_approach_names(text: str) -> str:
    """The question without the approaches' names ("prompt engineering" is no field's domain)."""
    for pattern in APPROACH_PATTERNS.values():
        text = pattern.sub(" ", text)
    return text


def _longest_matches(stems: Sequence[str]) -> list[tuple[_Cue, int]]:
    """Cue matches, longest first. A longer cue hides the shorter ones it overlaps ("data
    science" hides "data") unless the shorter one plainly states another field ("patient
    records" is sensitive data, and its "patient" still a medical domain); a topic and a value
    cue of the same words both count."""
    by_first = _cues_by_first_stem()
    hits = sorted(
        (
            (cue, start, end)
            for start, first in enumerate(stems)
            for cue in by_first.get(first, ())
            if (end := _match_end(stems, start, cue.stems)) is not None
        ),
        key=lambda hit: -len(hit[0].stems),
    )
    taken: dict[int, list[_Cue]] = {}  # token position -> the cues that hold it
    kept = []
    for cue, start, end in hits:
        span = range(start, end)
        if any(
            len(holder.stems) > len(cue.stems) and _hides(holder, cue)
            for position in span
            for holder in taken.get(position, ())
        ):
            continue
        kept.append((cue, start))
        for position in span:
            taken.setdefault(position, []).append(cue)
    return kept


def _hides(longer: _Cue, shorter: _Cue) -> bool:
    """Whether a longer cue overlapping a shorter one hides it."""
    states_other_field = shorter.value is not None and not shorter.needs_topic
    return longer.field == shorter.field or not states_other_field


def _match_end(stems: Sequence[str], start: int, cue: Sequence[str]) -> int | None:
    """Where a cue matched from `start` ends; one extra word may stand between two of its
    words ("a large labeled dataset" states "large dataset"). None when it does not match."""
    position = start + 1
    for word in cue[1:]:
        if position < len(stems) and stems[position] == word:
            position += 1
        elif position + 1 < len(stems) and stems[position + 1] == word:
            position += 2
        else:
            return None
    return position


def _clauses(text: str) -> list[str]:
    return [part for part in _CLAUSE_BREAK.split(text) if part and part.strip()]


@cache
def intake_vocabulary() -> frozenset[str]:
    """Every word stem the intake's cues use: what a team's case is told in ("rules change")."""
    return frozenset(word for cue in _cues() for word in cue.stems)


@cache
def _topic_stems(field: str) -> frozenset[tuple[str, ...]]:
    return frozenset(cue.stems for cue in _cues() if cue.field == field and cue.value is None)


@cache
def _number_scales() -> dict[str, tuple[tuple[float, str], ...]]:
    """Per field, the option a count stated beside its topic falls into (intake_cues.yaml)."""
    data = _cue_fields()
    return {
        field: tuple(sorted((float(bound), str(value)) for bound, value in entry["numbers"]))
        for field, entry in data.items()
        if entry.get("numbers")
    }


def _numbers(clause: str, topics: set[str]) -> list[tuple[str, str]]:
    """ "50k labeled reports", "10,000 requests a day": a count beside a field's topic."""
    found = []
    for match in _NUMBER.finditer(clause):
        count = float(match.group(1).replace(",", ""))
        count *= {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6}.get(
            (match.group(2) or "").lower(), 1
        )
        for field, scale in _number_scales().items():
            if field in topics:
                value = next((value for bound, value in reversed(scale) if count >= bound), None)
                if value is not None:
                    found.append((field, value))
    return found


@cache
def _cues_by_first_stem() -> dict[str, tuple[_Cue, ...]]:
    """The cues by their first stem: a question is scanned once, not once per cue."""
    index: dict[str, list[_Cue]] = {}
    for cue in _cues():
        index.setdefault(cue.stems[0], []).append(cue)
    return {first: tuple(cues) for first, cues in index.items()}


def _negation(tokens: Sequence[str], start: int) -> int | None:
    """Where a negation within reach before the cue is, if there is one, not across an "and"
    ("no labeled data and a strong ML team": the team is not negated)."""
    for at in range(start - 1, max(0, start - NEGATION_SCOPE) - 1, -1):
        if tokens[at] in _NEGATORS:
            # "not sure how much data", "don't know": unknown, not denied
            return None if tokens[at + 1 : at + 2] in (["sure"], ["certain"], ["know"]) else at
        if tokens[at] in _CONJOINS:
            return None
        # "our prompts are not good enough for legal drafting": the use after "for" is not
        # denied, unless the negation is of it ("not for legal work")
        if tokens[at] == "for" and at > 0 and tokens[at - 1] not in _NEGATORS:
            return None
    return None


def _question(field: str) -> Question:
    return IntakeAnswers.question(field)


def _opposite(field: str, value: str) -> str:
    """The option at the other end of the field's scale (the middle one stays)."""
    values = _question(field).values
    return values[len(values) - 1 - values.index(value)]


def _absent_option(field: str) -> str | None:
    """The field's first option when its label means none or low ("None yet", "Low: …")."""
    value, label = _question(field).options[0]
    first_word = words(label)[0] if words(label) else ""
    return value if first_word in _ABSENT else None
