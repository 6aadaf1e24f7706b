"""Which approach a sentence favours on the point asked, and whether the sources disagree.

A sentence is cut into clauses ("While X …, Y …", "X …, whereas Y …"). Each clause has a
subject, the approach it is about (a clause that starts with "it" continues the previous
subject), and evaluative cues with a direction: "better", "higher", "superior", "excels" count
for the subject; "less", "lower", "lacks", "loss" count against it. A cue that qualifies a
burden ("lower costs", "less prone to overfitting", "more data") counts the other way. Only
cues about the aspect asked count: a cue qualifies the aspect when it or the words after it
belong to the aspect's family ("accuracy" takes in "performance" and "precision").
"""

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.answering.text import (
    APPROACH_PATTERNS,
    FINE_TUNING,
    PROMPT_ENGINEERING,
    approach_mentions,
    approaches_in,
    stem,
    words,
)

_POSITIVE = frozenset(
    [
        "better",
        "best",
        "higher",
        "greater",
        "superior",
        "excel",
        "excels",
        "outperform",
        "outperforms",
        "comparable",
        "improve",
        "improves",
        "improved",
        "enhance",
        "enhances",
        "stronger",
        "faster",
        "quicker",
        "sooner",
        "shorter",
        "shortest",
        "immediate",
        "immediately",
        "instant",
        "instantly",
        "cheaper",
        "easier",
        "broader",
        "bigger",
        "biggest",
        "larger",
        "largest",
        "surpass",
        "surpasses",
        "more",
        "most",
        "easily",
        "increase",
        "increases",
        "increased",
        "high",
        "choose",
        "ideal",
        "suited",
        "suitable",
    ]
)
_NEGATIVE = frozenset(
    [
        "less",
        "least",
        "low",
        "lower",
        "worse",
        "poorer",
        "weaker",
        "slower",
        "longer",
        "longest",
        "harder",
        "lack",
        "lacks",
        "lacking",
        "loss",
        "limiting",
        "limits",
        "limited",
        "reduce",
        "reduces",
        "reduced",
        "degrade",
        "degrades",
        "fail",
        "fails",
        "fewer",
        "smaller",
        "smallest",
    ]
)
# The usual dimensions of the comparison, each a family of words that name it: a question about
# one member is about all of them.
ASPECT_FAMILIES = tuple(
    frozenset(stem(word) for word in family.split())
    for family in (
        "accuracy accurate performance precision precise quality results",
        "generalize generalization generalizability transferability transfer applicability "
        "versatility",
        "cost costs cheap cheaper expensive expense expenses budget price resources investment "
        "roi payback",
        "fast faster quick quicker speed slow slower deployment deploy setup timeline rapid time "
        "rollout roll launch ship release live market implement implementation",
        "flexible flexibility adaptable adaptability adapt adjust adjustable rigid inflexible "
        "change changes changing modify tweak new",
        "data dataset datasets labeled",
        "expertise expert experts skill skills knowledge technical scientist scientists specialist "
        "specialists",
        "consistent consistency reliable reliability stable stability dependable",
        "control controllability interpretability interpretable explainable explainability "
        "transparent",
        "robust robustness overfitting forgetting",
        "scalable scalability scale",
        "maintenance maintain maintained update updates updated updating date upkeep babysitting "
        "overhead",
    )
)


def _stemmed(text: str) -> frozenset[str]:
    return frozenset(stem(word) for word in words(text))


@dataclass(frozen=True)
class Facet:
    """One side of an aspect on which the approaches compare the other way round: fine-tuning
    costs more to start and less to run; prompt engineering is quicker to deploy, fine-tuning
    quicker to respond. A question that names a facet is answered by the statements on it."""

    triggers: frozenset[str]  # stems that ask about it ("to run at high volume")
    terms: frozenset[str]  # stems that put a statement on it ("per-request", "ongoing")
    family: frozenset[str]  # the aspect it is a side of
    search: str  # what a search for statements on it adds: the documents' words for it


_COST, _SPEED = ASPECT_FAMILIES[2], ASPECT_FAMILIES[3]
_LONG_TERM = frozenset({"long", "term"})
_RUNNING = "run running ongoing inference volume scale scaled call calls requests"
_STARTING = "upfront initial initially start started starting begin beginning entry"
_RESPONDING = "latency inference responsive snappy snappier lag laggy runtime"
# Getting it into use: "slower to roll out", "ship", "go live", "time to market".
_DEPLOYING = "deploy deployment rollout roll launch ship release live market implement setup"
FACETS = (
    Facet(
        _stemmed(_RUNNING),
        _stemmed(f"{_RUNNING} production per usage token tokens"),
        _COST,
        "ongoing per-request costs in production",
    ),
    Facet(
        _stemmed(_STARTING),
        _stemmed(f"{_STARTING} setup training"),
        _COST,
        "upfront initial setup costs",
    ),
    Facet(
        _stemmed(_RESPONDING),
        _stemmed(f"{_RESPONDING} response responses respond token"),
        _SPEED,
        "response speed and inference",
    ),
    Facet(
        _stemmed(_DEPLOYING),
        _stemmed(f"{_DEPLOYING} implementation development iteration time train training"),
        _SPEED,
        "setup and deployment time",
    ),
)


# "once live", "after launch": the time after deployment, not the time it takes.
_AFTER_DEPLOYING = re.compile(
    r"\b(?:once|after|post)[\s-]+(?:(?:it|we|they)(?:'s|'re|'ve| is| are| have)?\s+)?"
    r"(?:(?:go|going|gone|went)[\s-])?"
    r"(?:live|launch\w*|release\w*|deploy\w*|roll(?:ed)?[\s-]?out|shipp?\w*)\b",
    re.IGNORECASE,
)


def without_the_time_after_deploying(question: str) -> str:
    """`question` without its "once live": a point asked for then is not the deployment's."""
    return _AFTER_DEPLOYING.sub(" ", question)


def facet_of(terms: Iterable[str]) -> Facet | None:
    """The facet a question's own stems (not their families) ask about, if exactly one."""
    terms = set(terms)
    if terms >= _LONG_TERM:  # "long-term", "in the long term": what keeps being paid
        terms.add(stem("ongoing"))
    asked = [facet for facet in FACETS if facet.triggers & terms]
    return asked[0] if len(asked) == 1 else None


# What a cue can qualify that is a cost: more of it is worse.
_BURDENS = frozenset(
    stem(word)
    for word in [
        "cost",
        "costs",
        "expense",
        "expenses",
        "expensive",
        "resource",
        "resources",
        "time",
        "effort",
        "data",
        "dataset",
        "datasets",
        "overfitting",
        "forgetting",
        "risk",
        "risks",
        "prone",
        "token",
        "tokens",
        "computational",
        "compute",
        "power",
        "maintenance",
        "expertise",
        "skill",
        "skills",
        "upkeep",
        "babysitting",
        "overhead",
        "hassle",
        "work",
        "complexity",
        "intensive",
        "upfront",
        "rigid",
        "inflexible",
        "dependent",
        "investment",
        "training",
        "retraining",
        "storage",
        "latency",
        "lag",
    ]
)
_LEADING_CONTRAST = re.compile(r"^\s*(?:while|whereas|although|though)\b([^,]+),", re.IGNORECASE)
_CLAUSE_BREAK = re.compile(
    r";|,?\s+\b(?:whereas|while|but|although|though|however)\b|,\s+(?=unlike\b)", re.IGNORECASE
)
_LEADING_PHRASE = re.compile(
    r"^\s*(?:[A-Z][\w\s-]{0,40}:\s+)?(?:(?:unlike|compared (?:to|with)|despite|like|instead of|"
    r"by|for|in|on|once|if|when|as|after|while|although)\b[^,]*,\s*)?",
    re.IGNORECASE,
)
_PRONOUN_SUBJECT = re.compile(
    r"^\s*(?:[\w\s-]{0,40}:\s+)?(?:\w+,\s+)?"
    r"(?:it|its|it's|they|this (?:method|approach|technique|process))\b",
    re.IGNORECASE,
)
CUE_WINDOW = 3  # words after a cue that it can qualify
NEGATION_REACH = 3  # words before a cue that can deny it
_NEGATORS = frozenset(
    ["not", "never", "no", "without", "doesn't", "don't", "isn't", "aren't", "won't", "cannot"]
)
# Cues of amount: in a cell they qualify the row's label ("Cost" · "high upfront").
_QUANTITIES = frozenset(
    [
        "low",
        "lower",
        "less",
        "least",
        "fewer",
        "high",
        "higher",
        "more",
        "most",
        "greater",
        "bigger",
        "biggest",
        "larger",
        "largest",
        "smaller",
        "smallest",
        "increase",
        "increases",
        "increased",
    ]
)
_CUE_STEMS = frozenset(stem(word) for word in _POSITIVE | _NEGATIVE)
# The cues a burden after them turns round: amounts ("lower costs", "more data") and cutting
# ("reduces costs", "works with limited data"). A judgment keeps its direction whatever it
# judges ("faster turnaround time", "easier on resources", "better for sensitive data"); and
# cues of duration carry their burden, time, in themselves ("a longer time to launch").
_SAVING = frozenset(stem(word) for word in ["save", "saves", "saving", "spare", "spares", "avoid"])
_TURNED_BY_A_BURDEN = _QUANTITIES | frozenset(
    ["reduce", "reduces", "reduced", "lack", "lacks", "lacking", "limited", "limiting", "limits"]
)


_COMPARATIVE = re.compile(
    r"\b(?:than|compared|comparable|superior|surpass(?:es)?|outperforms?|whereas|unlike)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Stance:
    """The net lean of a sentence: > 0 favours prompt engineering, < 0 fine-tuning."""

    score: float
    on_aspect: bool  # some cue qualified the aspect asked about
    comparative: bool  # the sentence weighs the approaches against each other

    @property
    def favours(self) -> str | None:
        if self.score > 0:
            return PROMPT_ENGINEERING
        if self.score < 0:
            return FINE_TUNING
        return None


def subject_of(text: str, previous: str | None = None) -> str | None:
    """The approach a sentence is about: its main clause's first mention, or `previous` for "it"."""
    if _PRONOUN_SUBJECT.match(text) and previous:
        return previous
    leading = _LEADING_PHRASE.match(text)  # always matches: every part is optional
    main = text[leading.end() :] if leading else text
    mentions = approach_mentions(main) or approach_mentions(text)
    if mentions:
        return mentions[0][1]
    return previous


# Words any question can use that name no point to weigh on ("handle new tasks more quickly"
# is about speed and adapting, not about "tasks"): no judgment near them leans on the point.
_NO_POINT = frozenset(stem(word) for word in ["task", "tasks", "handle", "handles", "thing"])


def aspect_family(terms: Iterable[str]) -> frozenset[str]:
    """The question's topic stems with the families they belong to."""
    terms = set(terms) - _NO_POINT
    return frozenset(terms.union(*(family for family in ASPECT_FAMILIES if family & terms)))


def stance_of(
    text: str,
    *,
    aspect: Iterable[str],
    subject: str | None = None,
    facet: Facet | None = None,
    label: str = "",
) -> Stance:
    """How `text` leans between the approaches on the `aspect` (stems, see `aspect_family`);
    `facet`: only cues on that side of the aspect count; `label`: a table cell's row label,
    the noun its cues qualify ("Ongoing Costs" · "lower" is a lower cost)."""
    aspect = set(aspect)
    context = _stemmed(label)
    score = 0.0
    on_aspect = False
    current = subject
    for clause in _clauses(text):
        if not clause.strip():
            continue
        current = subject_of(clause, current)
        if current is None:
            continue
        lean, hit = _clause_lean(clause, aspect, facet=facet, context=context)
        on_aspect = on_aspect or hit
        score += lean if current == PROMPT_ENGINEERING else -lean
    named = approaches_in(text) | ({subject} if subject else set())
    comparative = len(named) == 2 or bool(_COMPARATIVE.search(text))
    return Stance(score=score, on_aspect=on_aspect, comparative=comparative)


def asks_for_the_worse(question: str, *, aspect: Iterable[str], facet: Facet | None = None) -> bool:
    """Whether a which-question asks which approach does worse on the point ("which is more
    expensive?", "which needs more data?", "which is slower?"): its own cues lean against."""
    lean, _ = _clause_lean(question, set(aspect), facet=facet, context=frozenset())
    return lean < 0


def asks_about_an_amount(question: str) -> bool:
    """Whether a which-question asks how much of a burden each takes ("which needs more
    data?", "does fine-tuning cost more than prompting?"), not what each suits ("which is
    better for sensitive data?")."""
    tokens = words(question)
    for index, token in enumerate(tokens):
        if token in _TURNED_BY_A_BURDEN:
            around = [stem(word) for word in tokens[max(index - 1, 0) : index + 1 + CUE_WINDOW]]
            if _BURDENS & set(around):
                return True
    return False


def _clauses(text: str) -> list[str]:
    """Clauses of a sentence: "While X …, Y …" gives two, so does "X …, whereas Y …"."""
    leading = _LEADING_CONTRAST.match(text)
    if leading:
        return [leading.group(1), *_CLAUSE_BREAK.split(text[leading.end() :])]
    return _CLAUSE_BREAK.split(text)


def _clause_lean(
    clause: str, aspect: set[str], *, facet: Facet | None, context: frozenset[str]
) -> tuple[float, bool]:
    """The summed direction of the clause's cues on the aspect, for its subject."""
    tokens = words(
        APPROACH_PATTERNS[PROMPT_ENGINEERING].sub(
            " ", APPROACH_PATTERNS[FINE_TUNING].sub(" ", clause)
        )
    )
    if facet is not None:
        aspect = aspect | facet.family | facet.terms
    lean = 0.0
    for index, token in enumerate(tokens):
        direction = 1 if token in _POSITIVE else -1 if token in _NEGATIVE else 0
        if not direction:
            continue
        # a cue qualifies a list after it whole: "more time, resources, and expertise"
        following = [word for word in tokens[index + 1 :] if word not in ("and", "or")]
        window = [stem(word) for word in following[:CUE_WINDOW]]
        before = stem(tokens[index - 1]) if index else ""
        # an amount after what it qualifies ("costs more") is on it too
        after_the_aspect = token in _QUANTITIES and before in aspect
        if not (
            aspect & set(window) or stem(token) in aspect or aspect & context or after_the_aspect
        ):
            continue
        if facet is not None and not facet.terms & (_up_to_next_cue(window) | context):
            continue  # a cue on the other side of the aspect ("low upfront" for running costs)
        # "lower costs", "costs less", or "lower" in a cell of the row "Ongoing Costs": less
        # of a burden
        if token in _TURNED_BY_A_BURDEN and (
            any(word in _BURDENS for word in _up_to_next_cue(window))
            or (before in _BURDENS and token in _QUANTITIES)
            or (context & _BURDENS and token in _QUANTITIES)
        ):
            direction = -direction
            verb = stem(tokens[index - 2]) if before == "the" and index > 1 else before
            if verb in _SAVING:  # "saves more time", "saves the most compute": less of it
                direction = -direction
        if _NEGATORS & set(tokens[max(index - NEGATION_REACH, 0) : index]):
            direction = -direction  # "does not require more data", "never slower"
        lean += direction
    return lean, lean != 0


def _up_to_next_cue(window: Sequence[str]) -> set[str]:
    """The words a cue qualifies: those after it, up to the next cue ("low upfront, higher
    per use": "low" qualifies "upfront" only)."""
    qualified = set()
    for word in window:
        if word in _CUE_STEMS:
            break
        qualified.add(word)
    return qualified


@dataclass(frozen=True)
class Side:
    """One position of a disagreement and the passages (indices) that state it."""

    approach: str
    passages: tuple[int, ...]


def find_disagreement(
    candidates: Sequence[tuple[int, str, Stance]],
) -> tuple[Side, Side] | None:
    """Two opposite positions held by different documents, or None.

    `candidates` are (passage index, document, stance) of the passages relevant to the
    question. Only comparative statements count ("X … better than Y", "X …, whereas Y …"): a
    claim about one approach alone takes no side. A document takes a side when its relevant
    statements lean one way overall; the sources disagree when documents take both sides.
    """
    by_document: dict[str, list[tuple[int, Stance]]] = defaultdict(list)
    for index, document, stance in candidates:
        if stance.favours is not None and stance.on_aspect and stance.comparative:
            by_document[document].append((index, stance))
    sides: dict[str, list[int]] = defaultdict(list)
    for stances in by_document.values():
        net = sum(stance.score for _, stance in stances)
        if net == 0:
            continue
        approach = PROMPT_ENGINEERING if net > 0 else FINE_TUNING
        sides[approach] += [index for index, stance in stances if stance.favours == approach]
    if sides[PROMPT_ENGINEERING] and sides[FINE_TUNING]:
        return (
            Side(FINE_TUNING, tuple(sides[FINE_TUNING])),
            Side(PROMPT_ENGINEERING, tuple(sides[PROMPT_ENGINEERING])),
        )
    return None
