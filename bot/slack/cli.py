"""`ai-strategy serve` (the Slack bot) and `ai-strategy feedback` (what people thought of it).

Exit status of `serve`: 2 when Slack credentials are missing, 1 when the bot cannot start
(no index yet, Slack rejects the token or cannot be reached); otherwise it runs until stopped.
"""

import json
import logging
import signal
import threading
import time
from typing import Annotated

import typer
from rich.console import Console

from bot.settings import Settings
from bot.slack import messages
from ingest.cli import DataDir, KnowledgeDir, configure_logging, settings_with

EXIT_FAILED = 1
EXIT_USAGE = 2

stderr = Console(stderr=True)
log = logging.getLogger("bot.slack")


def missing_credentials(settings: Settings) -> list[str]:
    """The Slack variables `serve` needs that are not set, for the mode the settings select."""
    missing = [] if settings.slack_bot_token else ["SLACK_BOT_TOKEN"]
    if settings.slack_app_token is None and settings.slack_signing_secret is None:
        missing.append("SLACK_SIGNING_SECRET")
    return missing


def serve(
    port: Annotated[
        int | None, typer.Option("--port", min=1, max=65535, help="HTTP port [env PORT].")
    ] = None,
    host: Annotated[str, typer.Option("--host", help="HTTP interface to listen on.")] = "0.0.0.0",
    knowledge_dir: KnowledgeDir = None,
    data_dir: DataDir = None,
) -> None:
    """Run the Slack bot: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on /slack/events."""
    from slack_bolt.error import BoltError
    from slack_sdk.errors import SlackApiError, SlackClientError

    from bot.slack.app import create_app
    from bot.slack.engines import Engines
    from bot.storage import Store
    from ingest.index import KnowledgeIndex
    from ingest.store import IndexNotBuiltError

    configure_logging()
    settings = settings_with(Settings, knowledge_dir, data_dir)
    missing = missing_credentials(settings)
    if missing:
        stderr.print(f"[red]{messages.missing_credentials(missing)}[/red]")
        raise typer.Exit(EXIT_USAGE)
    index = KnowledgeIndex(settings)
    try:
        version = index.version
    except IndexNotBuiltError as error:
        stderr.print(f"[red]{messages.no_index(error)}[/red]")
        raise typer.Exit(EXIT_FAILED) from None
    finally:
        index.close()
    log.info(messages.log_index_version(version))
    store = Store(settings.resolved_database_url)
    engines = Engines.from_settings(settings)
    try:
        bot = create_app(settings, engines=engines, store=store)
    except (BoltError, SlackApiError, SlackClientError, OSError) as error:
        store.close()
        stderr.print(f"[red]{messages.cannot_reach_slack(settings.slack_api_url, error)}[/red]")
        raise typer.Exit(EXIT_FAILED) from None
    threading.Thread(target=_warm_up, args=(engines,), daemon=True).start()
    # SIGTERM (how process managers stop a service) ends the bot as Ctrl-C does: answers in
    # flight are finished first. In HTTP mode uvicorn shuts down gracefully, then re-raises the
    # signal to this handler.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if settings.slack_app_token is not None:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            log.info(messages.serving_socket_mode())
            handler = SocketModeHandler(bot.app, settings.slack_app_token.get_secret_value())
            try:
                handler.start()
            finally:
                handler.close()
        else:
            from bot.slack.server import create_http_app, serve_forever

            bound_port = port or settings.port
            log.info(messages.serving_http(host, bound_port))
            serve_forever(create_http_app(bot.app), host=host, port=bound_port)
    except KeyboardInterrupt:
        pass
    finally:
        bot.close(wait=True)
        log.info(messages.log_stopped())


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _warm_up(engines) -> None:
    """Answer one question nobody asked, so models and indexes are loaded before the first person
    asks (the first answer of a process otherwise takes many seconds)."""
    started = time.perf_counter()
    try:
        engines.answer(messages.EXAMPLE_QUESTIONS[0], ())
    except Exception as error:
        log.warning(messages.log_unexpected_error(messages.new_error_id(), error))
        return
    log.info(messages.log_warmed_up(time.perf_counter() - started))


def feedback(
    data_dir: DataDir = None,
    recent: Annotated[
        int, typer.Option(min=0, max=100, help="How many 👎 questions to list.")
    ] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Summarize the 👍/👎 votes people gave the bot's answers."""
    from bot.storage import Store

    settings = settings_with(Settings, None, data_dir)
    store = Store(settings.resolved_database_url)
    try:
        summary = store.feedback_summary(recent=recent)
    finally:
        store.close()
    if as_json:
        print(json.dumps(summary.model_dump(mode="json") | {"total": summary.total}))
        return
    print(messages.feedback_totals(summary.up, summary.down))
    if summary.documents:
        print(messages.feedback_documents_heading())
        for document in summary.documents:
            print(f"  {document.doc}: 👍 {document.up}  👎 {document.down}")
    if summary.recent_down:
        print(messages.feedback_recent_heading())
        for vote in summary.recent_down:
            cited = ", ".join(vote.cited_docs) or "-"
            print(f"  {vote.at:%Y-%m-%d %H:%M}  {vote.question}  [{cited}]")


def register(app: typer.Typer) -> None:
    """Add the Slack commands to a typer application."""
    app.command()(serve)
    app.command()(feedback)
