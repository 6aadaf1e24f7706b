"""`ai-strategy db upgrade`: migrate the bot's database to the latest schema.

`serve` migrates on start too; this is for a deployment that migrates before rolling out new
replicas. Exit status: 0 the database is at the latest revision; 1 it could not be migrated
(nothing changed: each upgrade commits whole or not at all).
"""

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from bot.settings import Settings
from bot.storage import messages
from common.options import DataDir, settings_with

EXIT_FAILED = 1

stderr = Console(stderr=True)
db_app = typer.Typer(help="The bot's database (event claims, answers, feedback).")


@db_app.command()
def upgrade(
    data_dir: DataDir = None,
    url: Annotated[
        str | None, typer.Option("--url", help="SQLAlchemy URL [env AI_STRATEGY_DATABASE_URL].")
    ] = None,
) -> None:
    """Apply the schema migrations the database has not had yet."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from bot.storage import schema
    from bot.storage.store import create_database_engine

    settings = settings_with(Settings, None, data_dir)
    database_url = url or settings.resolved_database_url
    shown = make_url(database_url).render_as_string(hide_password=True)
    engine = create_database_engine(database_url)
    try:
        revision = schema.upgrade(engine)
    except (SQLAlchemyError, OSError) as error:
        stderr.print(f"[red]{escape(messages.cannot_upgrade(shown, error))}[/red]")
        raise typer.Exit(EXIT_FAILED) from None
    finally:
        engine.dispose()
    print(messages.upgraded(revision, shown))


def register(app: typer.Typer) -> None:
    """Add `db` and its subcommands to a typer application."""
    app.add_typer(db_app, name="db")
