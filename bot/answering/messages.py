"""Every sentence the answer engine says in its own voice, so wording is reviewed in one place."""

from bot.answering.text import APPROACH_NAMES


def not_covered() -> str:
    return (
        "I can't answer that from the knowledge base: none of its documents covers it. "
        "I can answer questions about prompt engineering and fine-tuning, for example what "
        "each one is, what it costs, how much data, time and expertise it needs, how flexible, "
        "accurate or consistent it is, when to use which, and how the two compare."
    )


def sources_disagree() -> str:
    return "**The sources disagree on this.**"


def side_heading(approach: str) -> str:
    return f"In favour of {APPROACH_NAMES[approach]}:"


def llm_unavailable() -> str:
    return "The language model was unavailable; showing the extractive answer."


def llm_timed_out(seconds: float) -> str:
    return f"The language model did not answer within {seconds:g} s; showing the extractive answer."


def llm_uncited() -> str:
    return "The language model's answer cited no source; showing the extractive answer."


def log_llm_fallback() -> str:
    return "language model answer not used; showing the extractive answer"


def no_index(data_dir: str) -> str:
    return (
        f"No knowledge index in {data_dir}. Build it first with `ai-strategy ingest` "
        "(or point --data-dir / AI_STRATEGY_DATA_DIR at an existing one)."
    )
