"""The Bolt app: listeners for conversations and `/ai-strategy` over the engines and the store.

`create_app` takes its collaborators (engines, store, Web API client) as arguments, so tests
and the sandbox run the same app against the emulator and inject a failing engine at this
boundary. Requests are verified with the signing secret before anything else runs; a failed
check is logged without the request body (Bolt's own check would log the whole body, and with
it people's messages).
"""

import functools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, cast

from slack_bolt import App, BoltRequest
from slack_bolt.middleware.request_verification import RequestVerification
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.settings import Settings
from bot.slack import messages
from bot.slack.assistant import AssistantThreads
from bot.slack.channel_settings import ChannelSettings
from bot.slack.command import SlashCommand
from bot.slack.conversations import Conversations
from bot.slack.delivery import Delivery
from bot.slack.engines import Engines
from bot.slack.feedback import Feedback
from bot.slack.home import AppHome
from bot.slack.metrics import Metrics
from bot.slack.ops import Readiness
from bot.slack.reindex import Reindexer
from bot.slack.uploads import Uploads
from bot.slack.work import BackgroundWork
from bot.storage import ChannelMode, Store

log = logging.getLogger("bot.slack")

WEB_API_TIMEOUT_SECONDS = 30
# Where the error handler leaves the error id of a request it handled, in the request context.
ERROR_ID_KEY = "ai_strategy_error_id"
# Bolt's listeners only decide, claim and hand over (see bot.slack.work): a few threads do.
LISTENER_THREADS = 8


class MissingCredentialsError(RuntimeError):
    """A Slack token or the signing secret is not set; the message names the variables."""


class QuietRequestVerification(RequestVerification):
    """Bolt's signature and timestamp check, logging the rejection without the request body."""

    def _debug_log_error(self, signature, timestamp, body) -> None:
        log.warning(messages.log_invalid_signature(timestamp))


def web_client(settings: Settings) -> WebClient:
    """A Web API client for the bot token at `SLACK_API_URL`, retrying what is worth retrying:
    rate limits (after `Retry-After`; not for what an answer can do without, see
    `bot.slack.delivery.best_effort_client`), 500/503 answers and dropped connections."""
    if settings.slack_bot_token is None:
        raise MissingCredentialsError("SLACK_BOT_TOKEN")
    return WebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=WEB_API_TIMEOUT_SECONDS,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def guard_listeners(app: App, report: Callable[[Exception], str]) -> None:
    """Wrap every registered listener so that whatever it raises on a payload it did not
    expect is reported (one line, an error id) and acknowledged as Slack expects, the slash
    command telling the person the id; Bolt never sees it, so it neither answers 500 nor, for a
    listener that had acknowledged already, loses that acknowledgement (bolt-python 1.30
    overwrites it with its error response)."""
    # Bolt has no public hook around listeners; its custom listeners have `arg_names`.
    for listener in cast(list[Any], app._listeners):
        own_arguments = list(listener.arg_names)
        listener.ack_function = _guarded(listener.ack_function, own_arguments, report)
        listener.arg_names = own_arguments + [
            name for name in ("ack", "body") if name not in own_arguments
        ]


def _guarded(
    function: Callable[..., Any], own_arguments: list[str], report: Callable[[Exception], str]
) -> Callable[..., Any]:
    @functools.wraps(function)
    def guarded(**arguments: Any) -> Any:
        try:
            return function(**{k: v for k, v in arguments.items() if k in own_arguments})
        except Exception as error:
            error_id = report(error)
            ack = arguments.get("ack")
            if ack is not None and ack.response is None:
                body = arguments.get("body")
                if isinstance(body, dict) and isinstance(body.get("command"), str):
                    ack(text=messages.request_failed(error_id))
                else:
                    ack()
            return None

    return guarded


@dataclass
class SlackBot:
    """The Bolt app and what it owns, so the server can shut it down cleanly."""

    app: App
    store: Store
    work: BackgroundWork
    readiness: Readiness
    metrics: Metrics = field(default_factory=Metrics)
    listeners: ThreadPoolExecutor | None = None
    # What the HTTP server verifies requests with; None in Socket Mode (nothing is accepted).
    signing_secret: str | None = field(default=None, repr=False)

    def close(self, *, wait: bool = True) -> None:
        """Stop taking work; finish what was taken (with `wait`), then release the database.

        Listeners still running hand their work over first, so that nothing acknowledged to
        Slack is dropped.
        """
        if self.readiness is not None:
            self.readiness.start_draining()
        if self.listeners is not None:
            self.listeners.shutdown(wait=wait)
        self.work.shutdown(wait=wait)
        self.store.close()


def create_app(
    settings: Settings,
    *,
    engines: Engines,
    store: Store,
    client: WebClient | None = None,
    work: BackgroundWork | None = None,
) -> SlackBot:
    """The Bolt app answering in Slack; `client` defaults to the bot token at `SLACK_API_URL`.

    Calls `auth.test` once, to learn the bot's own user id (and to fail early on a bad token).
    """
    if settings.slack_signing_secret is None and settings.slack_app_token is None:
        raise MissingCredentialsError("SLACK_SIGNING_SECRET")
    client = client or web_client(settings)
    secret = settings.slack_signing_secret
    verification = QuietRequestVerification(secret.get_secret_value()) if secret else None
    listeners = ThreadPoolExecutor(
        max_workers=LISTENER_THREADS, thread_name_prefix="ai-strategy-listener"
    )
    app = App(
        name="ai-strategy",
        client=client,
        # Socket Mode requests are not signed (Bolt skips the check for them).
        request_verification_enabled=False,
        before_authorize=verification,
        process_before_response=False,
        listener_executor=listeners,
    )
    metrics = Metrics()
    work = work or BackgroundWork()
    work.on_error = lambda: metrics.error("background")
    channels = ChannelSettings(store=store, default=ChannelMode(settings.thread_replies))
    reindexer = Reindexer(engines=engines, store=store, metrics=metrics)
    # One delivery path for every answer (and one memory of whether the workspace takes the
    # feedback_buttons element).
    delivery = Delivery(engines=engines, store=store, metrics=metrics)
    uploads = Uploads(settings=settings, client=client, work=work, reindexer=reindexer)
    uploads.register(app)
    conversations = Conversations(
        uploads=uploads,
        engines=engines,
        store=store,
        work=work,
        client=client,
        metrics=metrics,
        channels=channels,
        delivery=delivery,
    )
    # The assistant middleware first: it takes the messages of assistant threads.
    AssistantThreads(conversations=conversations, store=store).register(app)
    conversations.register(app)
    Feedback(store=store, client=client, metrics=metrics).register(app)
    SlashCommand(
        settings=settings,
        engines=engines,
        store=store,
        work=work,
        client=client,
        metrics=metrics,
        reindexer=reindexer,
        delivery=delivery,
    ).register(app)
    AppHome(
        settings=settings,
        engines=engines,
        store=store,
        client=client,
        work=work,
        metrics=metrics,
        channels=channels,
        reindexer=reindexer,
    ).register(app)

    def report(error: Exception, request_context: dict | None = None) -> str:
        """One short line with an error id (Bolt's own would log a traceback at ERROR)."""
        error_id = messages.new_error_id()
        if request_context is not None:
            request_context[ERROR_ID_KEY] = error_id
        metrics.error("listener")
        log.error(messages.log_listener_failed(error_id, error))
        log.debug("listener failed", exc_info=error)
        return error_id

    guard_listeners(app, report)

    @app.error
    def on_unhandled_error(error: Exception, request: BoltRequest) -> None:
        """What failed in Bolt's own matching or middleware (a payload Bolt could not read):
        reported, and the id left on the request, so the HTTP server acknowledges it instead
        of answering Bolt's 500 (see `bot.slack.server.acknowledgement_after_error`)."""
        report(error, request.context)

    readiness = Readiness(engines=engines, store=store, client=client, metrics=metrics)
    return SlackBot(
        app=app,
        store=store,
        work=work,
        metrics=metrics,
        readiness=readiness,
        listeners=listeners,
        signing_secret=secret.get_secret_value() if secret else None,
    )
