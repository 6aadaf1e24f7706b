"""The Bolt app: listeners for conversations and `/ai-strategy` over the engines and the store.

`create_app` takes its collaborators (engines, store, Web API client) as arguments, so tests
and the sandbox run the same app against the emulator and inject a failing engine at this
boundary. Requests are verified with the signing secret before anything else runs; a failed
check is logged without the request body (Bolt's own check would log the whole body, and with
it people's messages).
"""

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from slack_bolt import App
from slack_bolt.middleware.request_verification import RequestVerification
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.settings import Settings
from bot.slack import messages
from bot.slack.command import SlashCommand
from bot.slack.conversations import Conversations
from bot.slack.engines import Engines
from bot.slack.ops import Metrics, Readiness
from bot.slack.work import BackgroundWork
from bot.storage import Store

log = logging.getLogger("bot.slack")

WEB_API_TIMEOUT_SECONDS = 30
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
    rate limits (after `Retry-After`), 500/503 answers and dropped connections."""
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


@dataclass
class SlackBot:
    """The Bolt app and what it owns, so the server can shut it down cleanly."""

    app: App
    store: Store
    work: BackgroundWork
    metrics: Metrics = field(default_factory=Metrics)
    readiness: Readiness | None = None
    listeners: ThreadPoolExecutor | None = None

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
    Conversations(engines=engines, store=store, work=work, client=client, metrics=metrics).register(
        app
    )
    SlashCommand(
        settings=settings, engines=engines, store=store, work=work, client=client, metrics=metrics
    ).register(app)

    @app.error
    def on_listener_error(error: Exception) -> None:
        """One short line with an error id (Bolt's own would log a traceback at ERROR)."""
        metrics.error("listener")
        log.error(messages.log_listener_failed(messages.new_error_id(), error))
        log.debug("listener failed", exc_info=error)

    readiness = Readiness(engines=engines, store=store, client=client, metrics=metrics)
    return SlackBot(
        app=app,
        store=store,
        work=work,
        metrics=metrics,
        readiness=readiness,
        listeners=listeners,
    )
