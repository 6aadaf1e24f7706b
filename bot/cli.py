"""The `ai-strategy` command: one entry point; each part of the product registers its commands."""

import typer

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
ingest_cli.register(app)
app.command()(ask)
app.command("eval")(evaluate)
app.command()(assess)
slack_cli.register(app)
sandbox_cli.register(app)
storage_cli.register(app)


def main() -> None:
    app()
