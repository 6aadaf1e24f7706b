"""Every user-facing string of the assessment, so its wording is reviewed in one place."""

import json
from collections.abc import Sequence

_OUTCOME_LABELS = {
    "prompt_engineering": "prompt engineering",
    "fine_tuning": "fine-tuning",
    "hybrid": "hybrid: prompt engineering first, fine-tuning later",
}


def outcome_label(outcome: str) -> str:
    return _OUTCOME_LABELS[outcome]


_SUMMARIES = {
    "prompt_engineering": "Prompt engineering: what the task needs is within reach of "
    "well-designed prompts, at low cost and quickly.",
    "fine_tuning": "Fine-tuning: the task calls for it, and the team has the data, skills and "
    "time it takes.",
    "hybrid": "Hybrid: start with prompt engineering, then fine-tune the stable core of the task "
    "and keep prompts for the rest.",
}

_WHAT_IT_TAKES = {
    "labeled_data": "thousands of labeled examples",
    "ml_expertise": "machine-learning expertise",
    "budget": "a budget for training",
    "timeline": "the weeks it takes",
}


def summary(outcome: str) -> str:
    return _SUMMARIES[outcome]


def staged_summary(held_back_by: Sequence[str]) -> str:
    """The hybrid for a team not ready to fine-tune yet; `held_back_by` names resource fields."""
    needs = [_WHAT_IT_TAKES[field] for field in held_back_by] or ["more resources"]
    listed = needs[0] if len(needs) == 1 else ", ".join(needs[:-1]) + " and " + needs[-1]
    return (
        "Hybrid, staged: the task calls for fine-tuning, but start with prompt engineering now "
        f"and fine-tune once you have {listed}."
    )


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {json.dumps(value)}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _allowed(values: Sequence[str]) -> str:
    return "allowed values: " + ", ".join(values)


def missing_field(field: str, values: Sequence[str]) -> str:
    return f"{field}: missing; {_allowed(values)}"


def not_allowed(field: str, value: object, values: Sequence[str]) -> str:
    if isinstance(value, str):
        return f"{field}: {value!r} is not allowed; {_allowed(values)}"
    return f"{field}: got {_json_kind(value)}, expected one of the values; {_allowed(values)}"


def unknown_field(field: str, fields: Sequence[str]) -> str:
    return f"{field}: unknown field; the fields are: " + ", ".join(fields)


def bad_use_case(value: object, max_chars: int) -> str:
    if isinstance(value, str):
        return f"use_case: {len(value)} characters; allowed: text of at most {max_chars} characters"
    return (
        f"use_case: got {_json_kind(value)}; allowed: text of at most {max_chars} characters, "
        "or null"
    )


def not_an_object(value: object, fields: Sequence[str]) -> str:
    return f"answers: got {_json_kind(value)}, expected a JSON object with the fields " + ", ".join(
        fields
    )


def invalid_json(error: json.JSONDecodeError) -> str:
    return f"answers: not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})"


def unreadable_file(name: str, reason: str) -> str:
    return f"--answers: cannot read {name!r} ({reason}); give a JSON file, or - for standard input"


def no_index(index_dir: object) -> str:
    return (
        f"No knowledge index in {index_dir} yet, and the recommendation cites it: "
        "run `ai-strategy ingest` first."
    )


CANCELLED = "Assessment cancelled."


def input_ended(field: str) -> str:
    return f"{field}: no answer (the input ended); answer every question, or use --answers FILE"


def invalid_choice(values: Sequence[str]) -> str:
    return f"Type a number from the list, or one of: {', '.join(values)}."


def use_case_too_long(max_chars: int) -> str:
    return f"At most {max_chars} characters, please."


def step_heading(step: int, steps: int, title: str) -> str:
    return f"Step {step} of {steps}: {title}"


NO_CITATION = "no supporting passage found in the knowledge base"


def _in_running_text(label: str) -> str:
    """`Labeled data` → `labeled data`; `ML expertise` stays."""
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]


def counterfactual_summary(changes: Sequence[tuple[str, str, str]], outcome_label: str) -> str:
    """`changes` holds (question label, current option name, other option name)."""
    parts = [
        f"{_in_running_text(label)} were “{new}” instead of “{old}”" for label, old, new in changes
    ]
    return f"If {' and '.join(parts)}, the recommendation would be {outcome_label}."


def no_counterfactual(outcome_label: str) -> str:
    return f"No change of up to three answers leads away from {outcome_label}."


def answers_too_deep(source: str) -> str:
    return f"{source}: the JSON is nested too deeply; expected one object of answers"
