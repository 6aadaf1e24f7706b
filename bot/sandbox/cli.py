"""`ai-strategy sandbox` (the bot on a local Slack-like page) and `ai-strategy start` (run it).

`start` runs the bot in your Slack workspace (`serve`) when Slack credentials are configured,
and the sandbox when none are, and says which it did. Both index `knowledge/` first when
there is no index yet. Exit status: 1 when the index cannot be built or the port is taken;
otherwise they run until stopped (Ctrl-C or SIGTERM).
"""

import logging
import signal
import threading
from typing import Annotated

import typer
from rich.console import Console

from bot.sandbox import messages
from bot.settings import Settings
from common.logs import configure_logging
from common.options import DataDir, KnowledgeDir, settings_with

EXIT_FAILED = 1
SLACK_CREDENTIALS = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN")

stderr = Console(stderr=True)
log = logging.getLogger("bot.sandbox")

Port = Annotated[
    int | None,
    typer.Option("--port", min=0, max=65535, help="Port of the page (0: any free port; env PORT)."),
]


def ensure_index(settings: Settings) -> None:
    """Run the ingest, with its progress shown, when the knowledge folder has no index yet."""
    from ingest import cli as ingest_cli
    from ingest.errors import IndexNotBuiltError
    from ingest.index import KnowledgeIndex

    index = KnowledgeIndex(settings)
    try:
        if index.version:
            return
    except IndexNotBuiltError:
        stderr.print(messages.no_index_yet(settings.knowledge_dir))
    finally:
        index.close()
    try:
        ingest_cli.ingest(knowledge_dir=settings.knowledge_dir, data_dir=settings.data_dir)
    except typer.Exit as outcome:
        if outcome.exit_code != ingest_cli.EXIT_SKIPPED:  # skipped files are named; go on
            stderr.print(f"[red]{messages.INGEST_FAILED}[/red]")
            raise typer.Exit(EXIT_FAILED) from None


def run_sandbox(settings: Settings, *, host: str, port: int) -> None:
    """Index if needed, warm the engines up, start the sandbox and serve until stopped."""
    from bot.sandbox.sandbox import Sandbox
    from bot.slack.engines import Engines
    from bot.slack.messages import EXAMPLE_QUESTIONS

    ensure_index(settings)
    engines = Engines.from_settings(settings)
    stderr.print(messages.WARMING_UP)
    try:
        engines.answer(EXAMPLE_QUESTIONS[0], ())
    except Exception:  # the bot apologizes per question; the page is still worth showing
        log.warning("the answer engine failed its warm-up question", exc_info=True)
    try:
        sandbox = Sandbox(settings, engines=engines, host=host, port=port)
    except OSError as error:
        stderr.print(f"[red]{messages.port_in_use(host, port, error)}[/red]")
        raise typer.Exit(EXIT_FAILED) from None
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        sandbox.start()
        print(
            messages.sandbox_ready(
                sandbox.url, sandbox.bot_url, sandbox.emulator.api_url, sandbox.person.name
            ),
            flush=True,
        )
        while not stop.wait(0.5):  # a timed wait, so that Ctrl-C is handled promptly
            pass
    except KeyboardInterrupt:
        pass
    finally:
        stderr.print(messages.STOPPING)
        sandbox.stop()


def sandbox(
    port: Port = None,
    host: Annotated[
        str, typer.Option("--host", help="Interface of the page (keep it local).")
    ] = "127.0.0.1",
    knowledge_dir: KnowledgeDir = None,
    data_dir: DataDir = None,
) -> None:
    """Try the bot without a Slack workspace: a local Slack-like page wired to the real bot."""
    configure_logging()
    settings = settings_with(Settings, knowledge_dir, data_dir)
    run_sandbox(settings, host=host, port=settings.port if port is None else port)


def configured_credentials(settings: Settings) -> list[str]:
    """The Slack credentials set in the environment or .env."""
    values = (settings.slack_bot_token, settings.slack_signing_secret, settings.slack_app_token)
    return [
        name for name, value in zip(SLACK_CREDENTIALS, values, strict=True) if value is not None
    ]


def start(
    port: Port = None,
    host: Annotated[
        str | None,
        typer.Option(
            "--host",
            help="Interface to listen on (default 127.0.0.1 for the sandbox, 0.0.0.0 for the bot).",
        ),
    ] = None,
    knowledge_dir: KnowledgeDir = None,
    data_dir: DataDir = None,
) -> None:
    """Run it: the Slack bot when Slack tokens are configured, else the local sandbox."""
    from bot.slack.cli import serve

    configure_logging()
    settings = settings_with(Settings, knowledge_dir, data_dir)
    bound_port = settings.port if port is None else port
    if not configured_credentials(settings):
        print(messages.starting_sandbox(list(SLACK_CREDENTIALS[:2])), flush=True)
        run_sandbox(settings, host=host or "127.0.0.1", port=bound_port)
        return
    ensure_index(settings)
    if settings.slack_app_token is not None:
        print(messages.STARTING_BOT_SOCKET_MODE, flush=True)
    else:
        print(messages.starting_bot_http(host or "0.0.0.0", bound_port), flush=True)
    serve(
        port=bound_port or None,
        host=host or "0.0.0.0",
        knowledge_dir=knowledge_dir,
        data_dir=data_dir,
    )


def register(app: typer.Typer) -> None:
    """Add `sandbox` and `start` to a typer application."""
    app.command()(sandbox)
    app.command()(start)
