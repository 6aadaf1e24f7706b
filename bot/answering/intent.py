"""What a question asks for: its intent, read from the form of the question.

The classifier looks at the question's own wording, never at a list of known questions: which
kind of answer its cue words ask for (advantages, drawbacks, steps, examples, a definition, a
comparison), whether it weighs the approaches against each other ("which is cheaper", "X or
Y?", a comparative adjective), and whether the asker describes their own situation (first
person, or facts the intake knows about, see `bot.answering.situation`). Cues are matched on
word stems, so "downsides", "downside" and "disadvantageous" are one cue family each.

Precedence follows how specific a cue is: a situation first (a team describing itself wants a
recommendation whatever else it asks), then a side-by-side comparison, then a question that
opens with "which" and a comparative ("which is less risky?"), then the list intents
(drawbacks, advantages, examples, steps), then a which-is-better question, a definition, and
finally a plain question of fact.
"""

import re
from collections.abc import Sequence

from bot.answering.comparison import is_comparison
from bot.answering.models import Intent
from bot.answering.stance import ASPECT_FAMILIES, facet_of
from bot.answering.text import approaches_in, split_sentences, stem, topic_terms, words


def _stems(text: str) -> frozenset[str]:
    return frozenset(stem(word) for word in text.split())


_CONS = _stems(
    """
    downside downsides disadvantage disadvantages drawback drawbacks con cons risk risks risky
    limitation limitations limit challenge challenges weakness weaknesses problem problems
    pitfall pitfalls issue issues danger dangers negative negatives shortcoming shortcomings
    hurt harm harmful caveat caveats trap traps wrong fail failure failures bad mistake mistakes
    """
)
_PROS = _stems(
    """
    advantage advantages benefit benefits pro pros upside upsides strength strengths
    positive positives merit merits
    """
)
_EXAMPLES = _stems(
    """
    example examples use-case usecase application applications scenario scenarios
    instance instances fit fits suited suitable
    """
)
_STEPS = _stems(
    """
    step steps phase phases stage stages process workflow procedure lifecycle pipeline
    sequence sequencing roadmap practice practices tip tips guideline guidelines
    """
)
# The words that ask for a kind of answer (drawbacks, advantages, examples, steps), not a topic.
KIND_CUES = _CONS | _PROS | _EXAMPLES | _STEPS
_DEFINE = re.compile(
    r"^\s*(?:(?:so|ok|okay|in short|briefly|quickly|simply put)[,:]?\s+)?"
    r"(?:(?:can|could) you\s+)?"
    r"(?:what(?:'s| is| are)|what does .+ mean|define|definition of|explain|meaning of|"
    r"describe)\b",
    re.IGNORECASE,
)
_USE_CASE_PHRASE = re.compile(
    r"\b(?:use cases?|when (?:should|would|do|does|to|is|are) .*\b(?:use|pick|choose|"
    r"make sense|worth|right (?:call|choice|move|approach)|pay off|good idea|ideal|shine)|"
    r"(?:what|which) (?:situations|cases|scenarios|circumstances)|"
    r"where (?:is|does|do|would|should) .*\b(?:fit|shine|work|help|use)|best fit|good fit|"
    r"what (?:tasks|kinds? of tasks|problems|projects)|used for)\b|"
    r"\b(?:good|useful) for\s*\?*\s*$",  # "what's fine-tuning good for?"
    re.IGNORECASE,
)
_NEGATION = re.compile(r"\b(?:not|never|avoid)\b|n't\b", re.IGNORECASE)
_WHEN_NOT = re.compile(
    r"^\s*(?:(?:so|and|but|ok)[,]?\s+)?(?:when|in (?:what|which) cases)\b[^?]{0,40}?"
    r"(?:\bnot\b|n't\b|\bnever\b|\bavoid\b)",
    re.IGNORECASE,
)
# "three reasons to fine-tune", "any reason not to prompt?"
_REASONS_AGAINST = re.compile(r"\breasons? (?:not to|against)\b", re.IGNORECASE)
_REASONS_FOR = re.compile(r"\breasons? (?:to|for)\b", re.IGNORECASE)
# What language models are put to: the tasks a team weighs the approaches for.
_TASKS = _stems(
    """
    summarize summarizing summarization summary classify classifying classification extract
    extracting extraction translate translating translation draft drafting generate generating
    generation answer answering chatbot chatbots bot bots assistant assistants triage tagging
    tickets emails replies support moderation search writing copy descriptions
    """
)
_FOR_A = re.compile(r"\bfor\b(.+)$", re.IGNORECASE)
# "… for summarizing tickets?", "what should we use to build a chatbot quickly?"
_FOR_OR_TO = re.compile(r"\b(?:for|to)\b(.+)$", re.IGNORECASE)
_WHY_OVER = re.compile(r"^\s*why\b.*\b(?:over|rather than|instead of)\b", re.IGNORECASE)
# "why would anyone fine-tune when prompting is so cheap?", "what's the point of fine-tuning?":
# what speaks for it
_WHY_USE = re.compile(
    r"^\s*(?:so,?\s+|but\s+|then\s+)?(?:why (?:would|should|do|does|did|might) (?:anyone|anybody|"
    r"we|i|you|one|people|teams|companies|someone) (?:ever |even |still |bother to )?"
    r"(?:use |go with |choose |pick |do |need |want )?|why (?:bother with |even |ever )?|"
    r"what(?:'s| is) the point of (?:using |doing )?)(?=fine|prompt)",
    re.IGNORECASE,
)
_QUANTITY = re.compile(r"\bhow (?:many|much|few)\b", re.IGNORECASE)
_HOW_TO = re.compile(
    r"^\s*(?:and\s+)?how (?:do|does|should|can|could|would) (?:i|we|you|one|a team|teams)\b"
    r"(?! (?:know|decide|choose|pick))|^\s*how to\b",
    re.IGNORECASE,
)
# "so", "ok but", "and": how a question in a conversation opens, before what it asks
_LEAD_IN = r"^\s*(?:(?:so|and|but|ok|okay|well|then|hm+)[,]?\s+){0,2}"
# "How do we choose between them?" asks what decides it, not which one wins.
_HOW_TO_CHOOSE = re.compile(
    _LEAD_IN + r"how (?:do|does|should|can|could|would) "
    r"(?:i|we|you|one|a team|teams) (?:choose|decide|pick)\b|^\s*how to (?:choose|decide|pick)\b",
    re.IGNORECASE,
)
_OPENING_WHICH = (
    _LEAD_IN + r"(?:which|what(?:'s| is) (?:the )?(?:better|best|cheaper|cheapest|"
    r"faster|fastest|quicker|quickest|easier|easiest|simplest|safest|more|less)"
)
_WHICH = re.compile(
    _OPENING_WHICH + r"|who wins)\b|"
    r"\b(?:better|best|preferable|prefer|recommend(?:ed)?|go with|choose|pick|opt for|"
    r"should (?:i|we) use|(?:would|do|should) (?:you|i|we) (?:use|suggest|advise|take))\b",
    re.IGNORECASE,
)
_LEADING_WHICH = re.compile(_OPENING_WHICH + r")\b", re.IGNORECASE)
# "-er" comparatives that weigh two options: "cheaper", "faster", "more flexible"; all but
# "better" and "worse" name the point they weigh them on.
_ON_A_POINT_WORDS = (
    "more less cheaper faster quicker slower easier harder safer riskier costlier higher lower "
    "stronger weaker simpler cheapest fastest quickest easiest simplest safest"
)
_ON_A_POINT = re.compile(rf"\b(?:{'|'.join(_ON_A_POINT_WORDS.split())})\b", re.IGNORECASE)
_COMPARATIVE = re.compile(
    rf"\b(?:{'|'.join(_ON_A_POINT_WORDS.split())}|better|worse)\b", re.IGNORECASE
)
_EITHER_OR = re.compile(r"\bor\b", re.IGNORECASE)
# "prompting or fine-tuning …", "is fine-tuning more accurate than prompting?": set against
# each other
_SET_AGAINST = re.compile(r"\b(?:or|than)\b", re.IGNORECASE)
# What "which …" may choose among and still ask about the approaches themselves.
_CHOICE_NOUNS = _stems(
    """
    one ones approach approaches method methods option options technique techniques strategy
    strategies path paths way ways route routes choice choices solution solutions alternative
    alternatives tactic tactics direction two both
    """
)
_AUXILIARY = r"(?:is|are|was|were|should|would|could|can|will|do|does|did|has|have|must|might|may)"
# "which laptop is …", "which cloud provider should …": the words before the auxiliary name
# the kind of thing chosen.
_WHICH_KIND = re.compile(
    r"\bwhich\s+(?:of\s+(?:the|these|those)\s+)?((?:[\w.+#-]+\s+){1,3}?)" + _AUXILIARY + r"\b",
    re.IGNORECASE,
)
# "…, React or Vue?": options listed at the end, after a comma, colon or dash.
_OPTION = r"(?:(?:a|an|the)\s+)?([\w.+#-]+(?:\s+[\w.+#-]+){0,2}?)"
_LISTED_OPTIONS = re.compile(r"[,:;—–]\s*" + _OPTION + r"\s+or\s+" + _OPTION + r"\s*\??\s*$")
_NOT_AN_OPTION = _stems("if when whenever given because since for as while where with without so")
# "the difference between a latte and a cappuccino", "recommend a good book": the things named
_BETWEEN = re.compile(r"\bbetween\s+" + _OPTION + r"\s+and\s+" + _OPTION + r"\s*\??\s*$", re.I)
_RECOMMEND_A = re.compile(
    r"\b(?:recommend|suggest)\s+(?:me\s+)?(?:a|an|some)\s+(?:good\s+|great\s+)?([\w.+#-]+)", re.I
)


# How short or plain the answer should be, not what it is about: "in one sentence", "briefly",
# "in layman's terms", "tl;dr". Answers are short already; left in, the words read as a topic.
_FORMAT_REQUEST = re.compile(
    r"\b(?:in (?:just )?(?:one|a single|a|two|three|a few|few|simple|plain|layman'?s?|lay)"
    r" (?:sentences?|words?|terms|english|language)|in (?:a )?nutshell|in short|in brief|"
    r"briefly|tl;? ?dr|eli5|explain (?:it )?like i'?m (?:five|5)|more simply|plainly|"
    r"in simpler (?:terms|words)|"
    r"(?:short|quick|brief) (?:answer|version|question)(?: please)?)\b[:,]?",
    re.IGNORECASE,
)


def without_format_request(question: str) -> str:
    """The question without a request about the answer's form ("briefly, which is cheaper?"
    asks which is cheaper); the question itself when that is all it says."""
    rest = _FORMAT_REQUEST.sub(" ", question)
    rest = re.sub(r"\s+([,?.!])", r"\1", re.sub(r"^[\s,:;-]+", "", rest))
    rest = re.sub(r"\s{2,}", " ", rest).strip()
    return rest if words(rest) else question


# Words that look like cues and are not: "what does fine-tuning cost in practice?" asks for
# the cost, not for practices; "we're leaning towards fine-tuning. bad idea?" for advice, not
# for drawbacks (which "when is fine-tuning a bad idea?" asks for).
_IN_PRACTICE = re.compile(r"\bin practice\b", re.IGNORECASE)
_IDEA = re.compile(r"\b(?:good|bad) idea\b", re.IGNORECASE)
_WHEN = re.compile(r"\b(?:when|where|cases|situations|scenarios)\b", re.IGNORECASE)


def _without_false_cues(question: str) -> str:
    text = _IN_PRACTICE.sub(" ", question)
    return text if _WHEN.search(text) else _IDEA.sub(" ", text)


def classify(question: str, *, states_situation: bool = False) -> Intent:
    """The intent of `question`; `states_situation`: it states facts of the asker's situation."""
    tokens = words(_without_false_cues(question))
    stems = {stem(token) for token in tokens}
    named = approaches_in(question)
    if states_situation:
        return Intent.situation
    if is_comparison(question) and not stems & (_CONS | _PROS) and not for_a_use(question):
        return Intent.comparison
    if _LEADING_WHICH.match(question) and _COMPARATIVE.search(question):
        return Intent.which  # "which is less risky?" weighs them on a risk, lists none
    if _WHY_OVER.search(question) or _WHY_USE.search(question):
        return Intent.pros  # "why pick prompting over fine-tuning?": what speaks for the first
    if stems & _CONS or _REASONS_AGAINST.search(question):
        return Intent.cons
    if stems & _PROS or _REASONS_FOR.search(question):
        return Intent.pros
    # "when should we not fine-tune?": where it does not fit, its drawbacks
    use_case = _USE_CASE_PHRASE.search(question)
    if (use_case and _NEGATION.search(question)) or _WHEN_NOT.search(question):
        return Intent.cons
    # "how many examples do we need?" asks for a quantity, not for examples
    if (stems & _EXAMPLES and not _QUANTITY.search(question)) or use_case:
        return Intent.examples
    if stems & _STEPS or _HOW_TO.search(question):
        return Intent.howto
    if _HOW_TO_CHOOSE.search(question):
        return Intent.fact
    if _weighs_approaches(question, named):
        return Intent.which
    if _DEFINE.search(question) and named and not _extra_topic(question):
        return Intent.definition
    return Intent.fact


def asks_pros_and_cons(question: str) -> bool:
    """Whether a question asks for both sides: "pros and cons", "benefits and drawbacks"."""
    stems = {stem(token) for token in words(question)}
    return bool(stems & _PROS and stems & _CONS)


def follow_up_intent(own: Intent, previous: Sequence[Intent]) -> Intent:
    """An elliptical follow-up ("and prompt engineering?", "why?") keeps the earlier intent."""
    if own is Intent.fact and previous:
        return previous[-1]
    return own


def for_a_use(question: str) -> bool:
    """Whether the approaches are set against each other for a use ("prompting vs fine-tuning
    for a support bot?": which one), not on an aspect ("… for cost": side by side)."""
    return _use(question) is not None


def for_a_model_task(question: str) -> bool:
    """Whether a question weighs the approaches for a task a language model does ("which is
    better for summarizing Jira tickets?", "what should we use to build a chatbot quickly?"),
    however little it says of it."""
    match = _FOR_OR_TO.search(question)
    return match is not None and bool({stem(word) for word in words(match.group(1))} & _TASKS)


def _use(question: str) -> str | None:
    """The words after "for" when they name a use, not an aspect."""
    match = _FOR_A.search(question)
    if match is None:
        return None
    terms = set(topic_terms(match.group(1)))
    return match.group(1) if terms and not _names_a_point(terms) else None


def _weighs_approaches(question: str, named: set[str]) -> bool:
    """A question that asks which option wins: "which …", "X or Y?", "is X cheaper?"."""
    if _WHICH.search(question):
        return True
    if len(named) == 2 and (_EITHER_OR.search(question) or for_a_use(question)):
        return True
    return bool(named) and bool(_COMPARATIVE.search(question)) and "than" in words(question)


def named_choices(question: str) -> list[str]:
    """The things a which-question names to choose among, when it names them: the kind after
    "which" ("which laptop is faster?"), options listed at its end ("…, React or Vue?") or
    compared ("between a latte and a cappuccino"), a thing to recommend ("a good book").
    Nothing for "which one", "which approach", "which is cheaper?", or conditions ("…, if we
    are small or busy?")."""
    choices = []
    kind = _WHICH_KIND.search(question)
    if kind and not _stems(kind.group(1).lower()) & _CHOICE_NOUNS:
        choices.append(kind.group(1).strip())
    listed = _LISTED_OPTIONS.search(question) or _BETWEEN.search(question)
    if listed and stem(words(listed.group(1))[0]) not in _NOT_AN_OPTION:
        choices += [listed.group(1), listed.group(2)]
    recommended = _RECOMMEND_A.search(question)
    if recommended and not _stems(recommended.group(1).lower()) & _CHOICE_NOUNS:
        choices.append(recommended.group(1))
    return choices


def weighs_a_point(question: str) -> bool:
    """A question that asks which approach wins on a named point: one that opens with "which"
    ("which is cheaper per call once we have heavy traffic?"), or whose question sets the two
    against each other on it ("… is prompting or fine-tuning more accurate?", "is fine-tuning
    more accurate than prompting?"). What it says of
    the asker qualifies the point."""
    asked = (split_sentences(question) or [question])[-1]
    if _LEADING_WHICH.match(question):
        terms = set(topic_terms(question))
    elif (
        len(approaches_in(asked)) == 2 and _SET_AGAINST.search(asked) and _ON_A_POINT.search(asked)
    ):
        terms = set(topic_terms(asked))
    else:
        return False
    return _names_a_point(terms)


def _names_a_point(terms: set[str]) -> bool:
    return facet_of(terms) is not None or any(family & terms for family in ASPECT_FAMILIES)


def _extra_topic(question: str) -> bool:
    """Whether a "what is X?" question asks about more than X itself ("what is X's cost?")."""
    filler = _stems(
        "short brief briefly simply put quickly exactly really define definition describe "
        "one sentence word words simple terms plain english layman nutshell gist essence "
        "overview summary basics idea main point five 5 kid kids child eli5 newbie beginner"
    )
    return bool([term for term in topic_terms(question) if term not in filler])
