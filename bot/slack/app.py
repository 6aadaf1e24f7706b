"""The Bolt app: listeners for conversations and `/ai-strategy` over the engines and the store.

`create_app` takes its collaborators (engines, store, Web API client) as arguments, so tests
and the sandbox run the same app against the emulator and inject a failing engine at this
boundary. Requests are verified with the signing secret before anything else runs; a failed
check is logged without the request body (Bolt's own check would log the whole body, and with
it people's messages).
"""

import logging
from dataclasses import dataclass

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
from bot.slack.work import BackgroundWork
from bot.storage import Store

log = logging.getLogger("bot.slack")

WEB_API_TIMEOUT_SECONDS = 30


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

    def close(self, *, wait: bool = True) -> None:
        """Finish the answers in flight (with `wait`), then release the database."""
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
    app = App(
        name="ai-strategy",
        client=client,
        # Socket Mode requests are not signed (Bolt skips the check for them).
        request_verification_enabled=False,
        before_authorize=verification,
        process_before_response=False,
    )
    work = work or BackgroundWork()
    Conversations(engines=engines, store=store, work=work, client=client).register(app)
    SlashCommand(
        settings=settings, engines=engines, store=store, work=work, client=client
    ).register(app)
    return SlackBot(app=app, store=store, work=work)
