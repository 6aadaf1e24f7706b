"""Asking the intake's questions in a terminal, step by step.

On a terminal the questions are selects (arrow keys or the number of an option, the preselected
option marked); otherwise (a pipe, a script) they are numbered prompts read line by line, so
the same command works in both. Prompts go to standard error, keeping standard output for the
recommendation (and `--json`).
"""

from collections.abc import Callable
from typing import TextIO

import questionary
from rich.console import Console

from bot.assessment import messages
from bot.assessment.intake import STEPS, USE_CASE_MAX_CHARS, IntakeAnswers, Question, parse_answers


class InputEndedError(EOFError):
    """The input ended before every question was answered."""

    def __init__(self, field: str) -> None:
        super().__init__(messages.input_ended(field))
        self.field = field


def ask_in_terminal(*, console: Console, **prompt_options) -> IntakeAnswers:
    """Ask with questionary selects; Ctrl-C raises KeyboardInterrupt.

    `prompt_options` go to every questionary prompt (e.g. `input`/`output` in tests)."""

    def ask(question: Question) -> str:
        if not question.options:
            return questionary.text(
                f"{question.label}: {question.help}",
                instruction="(Enter to skip)",
                validate=lambda text: (
                    len(text) <= USE_CASE_MAX_CHARS
                    or messages.use_case_too_long(USE_CASE_MAX_CHARS)
                ),
                **prompt_options,
            ).unsafe_ask()
        choices = [
            questionary.Choice(title=_marked(question, value, label), value=value)
            for value, label in question.options
        ]
        return questionary.select(
            f"{question.label}: {question.help}",
            choices=choices,
            default=question.default,
            use_shortcuts=True,
            instruction="(arrows or number, Enter to choose)",
            **prompt_options,
        ).unsafe_ask()

    return _interview(ask, console)


def ask_line_by_line(*, read: TextIO, console: Console) -> IntakeAnswers:
    """Ask with numbered prompts, one answer per line of `read` (empty: the preselected one)."""

    def ask(question: Question) -> str:
        if not question.options:
            console.print(f"{question.label}: {question.help} (Enter to skip)")
        else:
            console.print(f"{question.label}: {question.help}")
            for number, (value, label) in enumerate(question.options, 1):
                console.print(f"  {number}) {_marked(question, value, label)}", highlight=False)
        while True:
            line = read.readline()
            if not line:
                raise InputEndedError(question.field)
            answer = _chosen(question, line.strip())
            if answer is not None:
                return answer
            console.print(_retry(question))

    return _interview(ask, console)


def _interview(ask: Callable[[Question], str], console: Console) -> IntakeAnswers:
    answers: dict[str, object] = {}
    for step, title in STEPS.items():
        console.print(f"\n[bold]{messages.step_heading(step, len(STEPS), title)}[/bold]")
        for question in IntakeAnswers.questions():
            if question.step == step:
                answer = ask(question)
                if answer or not question.optional:
                    answers[question.field] = answer
    return parse_answers(answers)


def _marked(question: Question, value: str, label: str) -> str:
    return f"{label} (default)" if value == question.default else label


def _chosen(question: Question, typed: str) -> str | None:
    """The value a typed line picks: a number, a value, or nothing for the preselected one."""
    if not question.options:
        return typed if len(typed) <= USE_CASE_MAX_CHARS else None
    if not typed:
        return question.default
    if typed.isdigit() and 1 <= int(typed) <= len(question.options):
        return question.values[int(typed) - 1]
    return typed if typed in question.values else None


def _retry(question: Question) -> str:
    if not question.options:
        return messages.use_case_too_long(USE_CASE_MAX_CHARS)
    return messages.invalid_choice(question.values)
