"""The `/ai-strategy` modal: the intake's questions in three steps, built from the intake model.

Nothing here lists the questions: each step shows the `IntakeAnswers.questions()` of that
step, every input block's `block_id` is the field name and every option's `value` the field's
value in the model. Answers of earlier steps travel in `private_metadata` (JSON), with the
channel the command was run in; steps 2 and 3 are pushed (Slack allows a stack of 3 views), so
"Back" returns to the previous step with its answers.

The modal can also open prefilled: an answer to a team describing its situation carries the
intake answers its question stated, and its "Run the full assessment" button carries them
(validated, within the 2000 characters of a button value) into step 1's `private_metadata`.
"""

import json
from typing import Any

from bot.assessment import messages as assessment_messages
from bot.assessment.intake import (
    STEPS,
    IntakeAnswers,
    InvalidAnswersError,
    Question,
    parse_answers,
    partial_answers,
)
from bot.slack import messages
from bot.slack.blocks import compact_json, plain, truncate

CALLBACK_ID = "ai_strategy_intake"
ACTION_ID = "answer"
OPTION_TEXT = 75
LAST_STEP = max(STEPS)
TEXT_INPUT_MAX = 3000


def questions_of(step: int) -> list[Question]:
    return [question for question in IntakeAnswers.questions() if question.step == step]


def _max_length(field: str) -> int:
    info = IntakeAnswers.model_fields[field]
    limits = [getattr(item, "max_length", None) for item in info.metadata]
    return min([limit for limit in limits if limit] + [TEXT_INPUT_MAX])


def _option(question: Question, value: str) -> dict[str, Any]:
    return {"text": plain(truncate(question.option_label(value), OPTION_TEXT)), "value": value}


def _input(question: Question, current: str | None) -> dict[str, Any]:
    if question.options:
        element: dict[str, Any] = {
            "type": "static_select",
            "action_id": ACTION_ID,
            "options": [_option(question, value) for value in question.values],
        }
        chosen = current if current in question.values else question.default
        if chosen in question.values:
            element["initial_option"] = _option(question, chosen)
    else:
        element = {
            "type": "plain_text_input",
            "action_id": ACTION_ID,
            "multiline": True,
            "max_length": _max_length(question.field),
        }
        if current:
            element["initial_value"] = current
    return {
        "type": "input",
        "block_id": question.field,
        "label": plain(question.label),
        "hint": plain(question.help),
        "optional": question.optional,
        "element": element,
    }


def step_view(
    step: int, *, answers: dict[str, Any], channel: str, prefilled: bool = False
) -> dict[str, Any]:
    """The modal view of one step, prefilled with earlier answers or the model's defaults;
    `prefilled` says the answers came from a question (step 1 then names them)."""
    heading = assessment_messages.step_heading(step, LAST_STEP, STEPS[step])
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{heading}*"}}
    ]
    if step == 1:
        notes = [messages.MODAL_INTRO]
        if prefilled and answers:
            labels = [q.label for q in IntakeAnswers.questions() if q.field in answers]
            notes.append(messages.modal_prefilled(labels))
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": n} for n in notes]}
        )
    blocks += [_input(question, answers.get(question.field)) for question in questions_of(step)]
    metadata = {"step": step, "channel": channel, "answers": answers}
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": plain(messages.MODAL_TITLE),
        "submit": plain(messages.MODAL_FINISH if step == LAST_STEP else messages.MODAL_NEXT),
        "close": plain(messages.modal_cancel(step)),
        "private_metadata": compact_json(metadata),
        "blocks": blocks,
    }


def read_prefill(value: str | None) -> dict[str, str]:
    """The answers a button value carries; nothing from a value that is not a JSON object."""
    try:
        data = json.loads(value or "{}")
    except (json.JSONDecodeError, RecursionError):
        return {}
    return partial_answers(data) if isinstance(data, dict) else {}


def read_metadata(view: dict[str, Any]) -> tuple[int, str, dict[str, Any]]:
    """Step, channel and earlier answers carried by a submitted view."""
    metadata = json.loads(view.get("private_metadata") or "{}")
    return (
        int(metadata.get("step", 1)),
        str(metadata.get("channel", "")),
        dict(metadata.get("answers", {})),
    )


def read_step(view: dict[str, Any], step: int) -> dict[str, Any]:
    """The values entered in a submitted step, by field (None when left empty)."""
    values = view.get("state", {}).get("values", {})
    entered: dict[str, Any] = {}
    for question in questions_of(step):
        state = values.get(question.field, {}).get(ACTION_ID, {})
        if "selected_option" in state:
            option = state["selected_option"]
            entered[question.field] = option["value"] if option else None
        else:
            entered[question.field] = state.get("value") or None
    return entered


def step_errors(answers: dict[str, Any], step: int) -> dict[str, str]:
    """Problems with this step's answers, keyed by block_id (as `response_action: errors` wants).

    Fields of later steps are filled with their defaults for the check, so only this step's
    (and earlier steps') answers can be at fault.
    """
    candidate = {
        question.field: answers.get(question.field, question.default)
        for question in IntakeAnswers.questions()
    }
    try:
        parse_answers(candidate)
    except InvalidAnswersError as error:
        fields = {question.field for question in questions_of(step)}
        errors = {}
        for problem in error.problems:
            field, _, detail = problem.partition(": ")
            if field in fields:
                errors[field] = truncate(detail or problem, 150)
        return errors
    return {}


def completed_answers(answers: dict[str, Any]) -> IntakeAnswers:
    """The validated intake once the last step is submitted."""
    return parse_answers(answers)
