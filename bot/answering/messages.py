"""Every sentence the answer engine says in its own voice, so wording is reviewed in one place."""

from bot.answering.text import APPROACH_NAMES

NOT_COVERED = (
    "I can't answer that from the knowledge base: none of its documents covers it. "
    "I can answer questions about prompt engineering and fine-tuning, for example what "
    "each one is, what it costs, how much data, time and expertise it needs, how flexible, "
    "accurate or consistent it is, when to use which, and how the two compare."
)

SOURCES_DISAGREE = "**The sources disagree on this.**"

JUDGED_LIGHT = "Low, according to:"

JUDGED_HEAVY = "High, according to:"


def side_heading(approach: str) -> str:
    return f"In favour of {APPROACH_NAMES[approach]}:"


LLM_UNAVAILABLE = "The language model was unavailable; showing the extractive answer."


def llm_timed_out(seconds: float) -> str:
    return f"The language model did not answer within {seconds:g} s; showing the extractive answer."


LLM_UNCITED = "The language model's answer cited no source; showing the extractive answer."

LLM_OFF_VERDICT = (
    "The language model's answer did not lead with what the sources favour; "
    "showing the extractive answer."
)

LOG_LLM_FALLBACK = "language model answer not used; showing the extractive answer"


def no_index(data_dir: str) -> str:
    return (
        f"No knowledge index in {data_dir}. Build it first with `ai-strategy ingest` "
        "(or point --data-dir / AI_STRATEGY_DATA_DIR at an existing one)."
    )


_SITUATION_LEADS = {
    "prompt_engineering": "**Prompt engineering** fits what you describe",
    "fine_tuning": "**Fine-tuning** fits what you describe",
    "hybrid": "**Combine both: start with prompt engineering, then fine-tune**",
}


# A team that asks for advice without stating its case gets where to start.
_OPEN_LEADS = {
    "prompt_engineering": "**Start with prompt engineering**",
    "fine_tuning": "**Fine-tuning** is the usual choice",
    "hybrid": "**Combine both: start with prompt engineering, then fine-tune**",
}


def situation_lead(outcome: str, cited: str, *, known: bool = True) -> str:
    """The verdict for a team's situation, with the cited statement that most decided it;
    `known`: something the question stated decided it."""
    return f"{(_SITUATION_LEADS if known else _OPEN_LEADS)[outcome]}: {cited}"


def factor_line(label: str, value: str, cited: str) -> str:
    """One stated answer that decided the verdict, with its cited passage."""
    return f"- **{label}: {value.lower()}** — {cited}"


def outweighed_line(label: str, value: str, towards: str, cited: str, *, alone: bool) -> str:
    """A stated answer that leans against the verdict, and why it did not carry it."""
    why = "not enough on its own" if alone else "outweighed by the rest"
    return f"- **{label}: {value.lower()}** — leans towards {towards}, {why}: {cited}"


def possible_not_needed(stated: list[str]) -> str:
    """Stated resources that would let the team fine-tune, when the task does not need it."""
    return (
        f"_What you have ({'; '.join(stated)}) makes fine-tuning possible; nothing stated about "
        "the task needs it yet._"
    )


def not_stated(labels: list[str]) -> str:
    listed = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    return f"_Not stated, and it could change this: {listed.lower()}._"


OFFER_ASSESSMENT = "_For a recommendation on every point, run the full assessment: `/ai-strategy`._"


def bad_input_line(number: int, problem: str) -> str:
    return (
        f"line {number}: {problem}. Give a question, or a JSON object "
        '{"question": "...", "history": ["earlier question", ...]}.'
    )


def not_utf8(line: bytes) -> str:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as error:
        return f"not valid UTF-8 text (byte {error.start}); save the input as UTF-8"
    return "not valid UTF-8 text"
