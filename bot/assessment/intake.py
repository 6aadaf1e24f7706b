"""The intake: the answers a team gives, and how every front end asks for them.

`IntakeAnswers` is the single source of truth for the Slack modal, the terminal and JSON files:
field names and values are the public contract. Each field also carries how to ask for it (a
`Question`: label, one-line help, options as (value, label) pairs, default, step), so a front end
renders the questions from the model instead of keeping its own copy.
"""

import json
from collections.abc import Mapping
from enum import StrEnum
from functools import cache
from typing import Annotated, Any, cast

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from bot.assessment import messages

USE_CASE_MAX_CHARS = 500


class Choice(StrEnum):
    """An answer picked from a fixed list; each member also has the label a front end shows."""

    label: str

    def __new__(cls, value: str, label: str) -> "Choice":
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


class Domain(Choice):
    general = "general", "General: everyday language and knowledge"
    specialized = "specialized", "Specialized: a field's own terms (finance, retail, engineering…)"
    highly_specialized = "highly_specialized", "Highly specialized: medical, legal, scientific…"


class LabeledData(Choice):
    none = "none", "None yet"
    hundreds = "hundreds", "Hundreds of examples"
    thousands = "thousands", "Thousands of examples or more"


class Accuracy(Choice):
    moderate = "moderate", "Moderate: a person checks or small slips are fine"
    high = "high", "High: outputs must be right and consistent"
    critical = "critical", "Critical: errors are costly or dangerous"


class OutputStyle(Choice):
    open = "open", "Open: any wording that gets it right"
    strict = "strict", "Strict: a brand voice, a tone or a fixed format every time"


class Budget(Choice):
    low = "low", "Low: little to spend up front"
    medium = "medium", "Medium"
    high = "high", "High: money and compute for training"


class Timeline(Choice):
    days = "days", "Days"
    weeks = "weeks", "Weeks"
    months = "months", "Months"


class Expertise(Choice):
    none = "none", "None"
    some = "some", "Some: engineers who have trained a model or two"
    strong = "strong", "Strong: an experienced machine-learning team"


class Volume(Choice):
    low = "low", "Low: up to a few hundred requests a day"
    medium = "medium", "Medium: thousands a day"
    high = "high", "High: tens of thousands a day or more"


class ChangeFrequency(Choice):
    frequent = "frequent", "Frequently: weekly or more often"
    occasional = "occasional", "Occasionally: every few months"
    rare = "rare", "Rarely: the task is stable"


BOOLEAN_OPTIONS = (("false", "No"), ("true", "Yes"))

STEPS = {1: "The task", 2: "In production", 3: "Your resources"}


class Question(BaseModel):
    """How a front end asks for one intake field."""

    model_config = ConfigDict(frozen=True)

    field: str
    step: int = Field(description="1, 2 or 3: the step of the intake the question belongs to.")
    label: str
    help: str = Field(description="One line under the label.")
    options: tuple[tuple[str, str], ...] = Field(
        description="(value, label) pairs to pick from; empty for free text."
    )
    default: str | None = Field(description="The value a front end preselects.")
    optional: bool = False

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(value for value, _ in self.options)

    def option_label(self, value: str) -> str:
        """The label shown for one of the option values."""
        return dict(self.options)[value]

    def option_name(self, value: str) -> str:
        """The option's label without its detail (labels read `Name: detail`), for running text."""
        return self.option_label(value).split(": ", 1)[0]


def _question(*, step: int, label: str, help: str, preselect: str | None, **field: Any) -> Any:
    """A model field that also records how to ask for it."""
    return Field(
        title=label,
        description=help,
        json_schema_extra={"step": step, "preselect": preselect},
        **field,
    )


def _true_or_false(value: object) -> object:
    """JSON booleans, or the strings "true"/"false" that selects and line prompts give."""
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    if isinstance(value, bool):
        return value
    raise ValueError("not true or false")


class IntakeAnswers(BaseModel):
    """A team's answers to the intake; every field but `use_case` and `output_style` is required."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    use_case: str | None = _question(
        step=1,
        label="Use case",
        help="What should the model do? One or two sentences (optional).",
        preselect=None,
        default=None,
        max_length=USE_CASE_MAX_CHARS,
    )
    domain: Domain = _question(
        step=1,
        label="Domain",
        help="How specialized are the language and knowledge the task needs?",
        preselect="general",
    )
    accuracy: Accuracy = _question(
        step=1,
        label="Accuracy",
        help="How accurate and consistent must the outputs be?",
        preselect="high",
    )
    # Optional: answers saved before it existed, and front ends that do not ask it, mean open.
    output_style: OutputStyle = _question(
        step=1,
        label="Output style",
        help="Must outputs follow a brand voice, a tone or a fixed format?",
        preselect="open",
        default=OutputStyle.open,
    )
    volume: Volume = _question(
        step=2,
        label="Volume",
        help="How many requests per day in production?",
        preselect="medium",
    )
    change_frequency: ChangeFrequency = _question(
        step=2,
        label="Change frequency",
        help="How often do the task's requirements or instructions change?",
        preselect="occasional",
    )
    sensitive_data: Annotated[bool, BeforeValidator(_true_or_false)] = _question(
        step=2,
        label="Sensitive data",
        help="Does the task involve sensitive or regulated data?",
        preselect="false",
    )
    labeled_data: LabeledData = _question(
        step=3,
        label="Labeled data",
        help="How many high-quality labeled examples (input and ideal output) do you have?",
        preselect="none",
    )
    budget: Budget = _question(
        step=3,
        label="Budget",
        help="Money and compute available up front.",
        preselect="medium",
    )
    timeline: Timeline = _question(
        step=3,
        label="Timeline",
        help="How long until it must work?",
        preselect="weeks",
    )
    ml_expertise: Expertise = _question(
        step=3,
        label="ML expertise",
        help="Machine-learning skills on the team.",
        preselect="some",
    )

    @classmethod
    @cache
    def questions(cls) -> tuple[Question, ...]:
        """Every field as a question, grouped by step, in the order a front end asks them."""
        asked = []
        for name, field in cls.model_fields.items():
            extra = cast(dict[str, Any], field.json_schema_extra)  # every field has its step
            options: tuple[tuple[str, str], ...]
            if field.annotation is bool:
                options = BOOLEAN_OPTIONS
            elif isinstance(field.annotation, type) and issubclass(field.annotation, Choice):
                options = tuple((member.value, member.label) for member in field.annotation)
            else:
                options = ()
            asked.append(
                Question(
                    field=name,
                    step=extra["step"],
                    label=field.title,
                    help=field.description,
                    options=options,
                    default=extra["preselect"],
                    optional=not field.is_required(),
                )
            )
        return tuple(sorted(asked, key=lambda question: question.step))

    @classmethod
    def question(cls, field: str) -> Question:
        """The question of one field."""
        return next(question for question in cls.questions() if question.field == field)

    def value_of(self, field: str) -> str:
        """An answer as the string value the intake and the weights use (`true`, `thousands`)."""
        value = getattr(self, field)
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def with_values(self, changes: dict[str, str]) -> "IntakeAnswers":
        """A copy with some answers replaced by other option values (validated)."""
        return IntakeAnswers.model_validate(self.model_dump(mode="json") | changes)


class InvalidAnswersError(ValueError):
    """Answers that do not fit the intake; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def parse_answers(data: object) -> IntakeAnswers:
    """Validate answers from any front end; raises `InvalidAnswersError` naming each problem."""
    if isinstance(data, IntakeAnswers):
        return data
    if not isinstance(data, Mapping):
        raise InvalidAnswersError([messages.not_an_object(data, _field_names())])
    data = dict(data)
    try:
        return IntakeAnswers.model_validate(data)
    except ValidationError as error:
        raise InvalidAnswersError(_problems(error, data)) from None


def partial_answers(data: Mapping[str, Any]) -> dict[str, str]:
    """The valid part of some answers, as option values: known fields only, each with one of
    its options (booleans as `true`/`false`) or, for `use_case`, text cut to its limit.

    What a question stated about a team, or a value that came back from a front end, is
    validated here; anything that does not fit is left out rather than rejected.
    """
    answers: dict[str, str] = {}
    for question in IntakeAnswers.questions():
        value = data.get(question.field)
        if isinstance(value, bool):
            value = "true" if value else "false"
        if not isinstance(value, str) or not value.strip():
            continue
        if not question.options:
            answers[question.field] = value.strip()[:USE_CASE_MAX_CHARS]
        elif value in question.values:
            answers[question.field] = value
    return answers


def parse_answers_json(text: str) -> IntakeAnswers:
    """Validate answers given as the text of a JSON object."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidAnswersError([messages.invalid_json(error)]) from None
    return parse_answers(data)


def _field_names() -> list[str]:
    return list(IntakeAnswers.model_fields)


def _problems(error: ValidationError, data: dict) -> list[str]:
    """One line per invalid field, naming it and what it accepts, in the intake's order."""
    problems: dict[str, str] = {}
    for detail in error.errors():
        field = str(detail["loc"][0]) if detail["loc"] else "answers"
        if field in problems:
            continue
        if detail["type"] == "extra_forbidden":
            problems[field] = messages.unknown_field(field, _field_names())
        elif field not in data:
            problems[field] = messages.missing_field(field, IntakeAnswers.question(field).values)
        elif field == "use_case":
            problems[field] = messages.bad_use_case(data[field], USE_CASE_MAX_CHARS)
        else:
            problems[field] = messages.not_allowed(
                field, data[field], IntakeAnswers.question(field).values
            )
    order = {name: position for position, name in enumerate(_field_names())}
    return [problems[field] for field in sorted(problems, key=lambda f: order.get(f, len(order)))]
