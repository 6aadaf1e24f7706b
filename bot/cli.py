"""The `ai-strategy` command: one entry point; each part of the product registers its commands."""

import typer

from ingest import cli as ingest_cli

app = typer.Typer(
    name="ai-strategy",
    help="Decide between prompt engineering and fine-tuning, with cited answers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
ingest_cli.register(app)


def main() -> None:
    app()
