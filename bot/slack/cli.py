"""`ai-strategy serve` (the Slack bot) and `ai-strategy feedback` (what people thought of it).

Exit status of `serve`: 2 when Slack credentials are missing, 1 when the bot cannot start (no
index yet, the index or the database cannot be reached, Slack rejects the token or cannot be
reached); otherwise it runs until stopped, and exits 0 after a graceful stop (1 when answers
were still in flight after AI_STRATEGY_DRAIN_SECONDS).
"""

import json
import logging
import os
import signal
import sys
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from pydantic import SecretStr
from rich.console import Console
from rich.markup import escape

from bot.settings import Settings
from bot.slack import messages
from common.logs import configure_logging
from common.options import DataDir, KnowledgeDir, settings_with

if TYPE_CHECKING:
    from bot.slack.app import SlackBot

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
    """Run the Slack bot: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on /slack/events.

    Both modes serve /healthz, /readyz and /metrics on the HTTP port. SIGTERM (or Ctrl-C) stops
    the bot gracefully: /readyz turns 503, answers in flight are finished, then it exits.
    """
    from slack_bolt.error import BoltError
    from slack_sdk.errors import SlackApiError, SlackClientError
    from sqlalchemy.exc import SQLAlchemyError

    from bot.slack.app import create_app
    from bot.slack.engines import Engines
    from bot.storage import Store
    from ingest.errors import IndexNotBuiltError
    from ingest.index import KnowledgeIndex

    settings = settings_with(Settings, knowledge_dir, data_dir)
    configure_logging(log_format=settings.log_format, secrets=settings.secret_values())
    missing = missing_credentials(settings)
    if missing:
        _fail(settings, messages.missing_credentials(missing), EXIT_USAGE)
    index = KnowledgeIndex(settings)
    try:
        version = index.version
    except IndexNotBuiltError as error:
        _fail(settings, messages.no_index(error))
    except Exception as error:
        _fail(settings, messages.cannot_open_index(error))
    finally:
        index.close()
    log.info(messages.log_index_version(version))
    try:
        store = Store(settings.resolved_database_url, lease_seconds=settings.event_lease_seconds)
    except SQLAlchemyError as error:
        _fail(settings, messages.cannot_open_database(error))
    engines = Engines.from_settings(settings)
    try:
        bot = create_app(settings, engines=engines, store=store)
    except (BoltError, SlackApiError, SlackClientError, OSError) as error:
        store.close()
        _fail(settings, messages.cannot_reach_slack(settings.slack_api_url, error))
    bot.readiness.warm_up_in_background()
    # SIGTERM (how process managers stop a service) stops the bot as Ctrl-C does; while the
    # HTTP server runs, it drains first (see `bot.slack.server`).
    signal.signal(signal.SIGTERM, _interrupt)
    bound_port = port or settings.port
    drained = True
    try:
        if settings.slack_app_token is not None:
            drained = _serve_socket_mode(
                bot, settings, settings.slack_app_token, host=host, port=bound_port
            )
        else:
            from bot.slack.server import serve_http

            log.info(messages.serving_http(host, bound_port))
            drained = serve_http(
                bot,
                host=host,
                port=bound_port,
                drain_seconds=settings.drain_seconds,
                max_body_bytes=settings.max_request_bytes,
            )
    except KeyboardInterrupt:
        pass
    finally:
        if drained:
            bot.close(wait=True)
            log.info(messages.LOG_STOPPED)
    # Stopped (if not drained, AI_STRATEGY_DRAIN_SECONDS is up, logged, and the answers still
    # running are dropped): nothing is left to finish. The process ends here, without the
    # interpreter's teardown, where native libraries' exit-time destructors race their own
    # threads and sometimes abort a cleanly stopped bot (SIGABRT, "terminate called…").
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0 if drained else EXIT_FAILED)


def _serve_socket_mode(
    bot: "SlackBot", settings: Settings, app_token: SecretStr, *, host: str, port: int
) -> bool:
    """Socket Mode, with the probes on a small HTTP server; returns once stopped: False when
    answers were still in flight after AI_STRATEGY_DRAIN_SECONDS."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from starlette.applications import Starlette

    from bot.slack.ops import ops_routes
    from bot.slack.server import ThreadedServer, wait_for_answers_in_flight

    try:
        probes = ThreadedServer(
            Starlette(routes=ops_routes(bot.readiness, bot.metrics, bot.work)), host=host, port=port
        )
    except OSError as error:  # the port is taken
        _fail(settings, messages.cannot_listen(host, port, error))
    probes.start()
    handler = SocketModeHandler(bot.app, app_token.get_secret_value())
    bot.readiness.socket_connected = handler.client.is_connected
    log.info(messages.serving_socket_mode(host, port))
    try:
        handler.start()
    except KeyboardInterrupt:
        pass
    finally:
        # Draining: not ready any more, no new work from Slack, answers in flight finished.
        # A second SIGTERM ends the process at once.
        bot.readiness.start_draining()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        handler.close()
        try:
            drained = wait_for_answers_in_flight(bot, seconds=settings.drain_seconds)
        finally:
            probes.stop()
    return drained


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _fail(settings: Settings, message: str, code: int = EXIT_FAILED) -> NoReturn:
    """A clear one-line reason the bot cannot start (a JSON line in JSON mode), and exit."""
    if settings.log_format == "json":
        log.error(message)
    else:
        stderr.print(f"[red]{escape(message)}[/red]")
    raise typer.Exit(code)


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
        print(messages.FEEDBACK_DOCUMENTS_HEADING)
        for document in summary.documents:
            print(f"  {document.doc}: 👍 {document.up}  👎 {document.down}")
    if summary.reasons:
        print(messages.FEEDBACK_REASONS_HEADING)
        labels = messages.FEEDBACK_REASON_LABELS
        for reason, count in summary.reasons.items():
            print(f"  {labels.get(reason, reason)}: {count}")
    if summary.recent_down:
        print(messages.FEEDBACK_RECENT_HEADING)
        labels = messages.FEEDBACK_REASON_LABELS
        for vote in summary.recent_down:
            cited = ", ".join(vote.cited_docs) or "-"
            why = f"  ({labels.get(vote.reason, vote.reason)})" if vote.reason else ""
            print(f"  {vote.at:%Y-%m-%d %H:%M}  {vote.question}  [{cited}]{why}")
            if vote.comment:
                print(f"      “{' '.join(vote.comment.split())}”")


def register(app: typer.Typer) -> None:
    """Add the Slack commands to a typer application."""
    app.command()(serve)
    app.command()(feedback)
