"""The `ai-strategy` command: one entry point; each part of the product registers its commands.

Whatever the command, a bad setting ends in one message naming it and its allowed values (exit
2), a path that cannot be used or a server that cannot be reached in one message naming it and
what to do (exit 1); never a traceback (`AI_STRATEGY_LOG_LEVEL`-independent: tracebacks of
real bugs still surface).

A command imports only its own part: `ask` never imports the Slack app, the sandbox, the
assessment's terminal UI or the database layer, so a cold `ask` starts in a fraction of the
time. `--help` and any command not in `_PART_OF` register every part.
"""

import sys
from importlib import import_module

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from bot import errors

# command name -> the module whose `register(app)` adds it
_PART_OF = {
    "ingest": "ingest.cli",
    "add": "ingest.cli",
    "remove": "ingest.cli",
    "search": "ingest.cli",
    "model": "ingest.cli",
    "ask": "bot.answering.cli",
    "eval": "bot.answering.cli",
    "assess": "bot.assessment.cli",
    "serve": "bot.slack.cli",
    "feedback": "bot.slack.cli",
    "sandbox": "bot.sandbox.cli",
    "start": "bot.sandbox.cli",
    "db": "bot.storage.cli",
}
_PARTS = tuple(dict.fromkeys(_PART_OF.values()))


def build_app(parts: tuple[str, ...] = _PARTS) -> typer.Typer:
    """The application with the commands of `parts` (every part by default)."""
    application = typer.Typer(
        name="ai-strategy",
        help="Decide between prompt engineering and fine-tuning, with cited answers.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )

    @application.callback()
    def _commands() -> None:
        """Decide between prompt engineering and fine-tuning, with cited answers."""

    for part in parts:
        module = import_module(part)
        if part == "ingest.cli":  # with the bot's quality checks and history of changes
            from bot.admin.hooks import command_hooks

            module.register(application, hooks=command_hooks())
        else:
            module.register(application)
    return application


def __getattr__(name: str) -> typer.Typer:
    if name == "app":  # the whole application, built on first use (tests drive it)
        application = build_app()
        globals()["app"] = application
        return application
    raise AttributeError(name)


def main() -> None:
    """Run the command line; turn the failures a user can fix into one clear message."""
    command = sys.argv[1] if len(sys.argv) > 1 else None
    part = _PART_OF.get(command or "")
    try:
        build_app((part,) if part else _PARTS)()
    except ValidationError as error:
        _exit(errors.invalid_settings(error), errors.EXIT_USAGE)
    except errors.USER_FIXABLE as error:
        _exit(errors.describe(error), errors.EXIT_FAILED)


def _exit(message: str, code: int) -> None:
    Console(stderr=True).print(f"[red]{escape(message)}[/red]", soft_wrap=True)
    sys.exit(code)
