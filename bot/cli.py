"""The `ai-strategy` command: one entry point; each part of the product registers its commands.

Whatever the command, a bad setting ends in one message naming it and its allowed values (exit
2), a path that cannot be used or a server that cannot be reached in one message naming it and
what to do (exit 1); never a traceback (`AI_STRATEGY_LOG_LEVEL`-independent: tracebacks of
real bugs still surface).
"""

import sys

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from bot import errors

from bot.admin.hooks import command_hooks
from bot.answering.cli import ask, evaluate
from bot.assessment.cli import assess
from bot.sandbox import cli as sandbox_cli
from bot.slack import cli as slack_cli
from bot.storage import cli as storage_cli
from ingest import cli as ingest_cli

app = typer.Typer(
    name="ai-strategy",
    help="Decide between prompt engineering and fine-tuning, with cited answers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
ingest_cli.register(app, hooks=command_hooks())
app.command()(ask)
app.command("eval")(evaluate)
app.command()(assess)
slack_cli.register(app)
sandbox_cli.register(app)
storage_cli.register(app)


def main() -> None:
    """Run the command line; turn the failures a user can fix into one clear message."""
    try:
        app()
    except ValidationError as error:
        _exit(errors.invalid_settings(error), errors.EXIT_USAGE)
    except errors.USER_FIXABLE as error:
        _exit(errors.describe(error), errors.EXIT_FAILED)


def _exit(message: str, code: int) -> None:
    Console(stderr=True).print(f"[red]{escape(message)}[/red]", soft_wrap=True)
    sys.exit(code)
