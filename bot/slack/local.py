"""The real bot on loopback, wired to the Slack emulator: for tests, benchmarks and the sandbox.

The bot runs exactly as `ai-strategy serve` runs it in HTTP mode (Bolt app, Starlette, uvicorn,
with `/healthz`, `/readyz` and `/metrics`) with its Web API pointed at the emulator, and the
emulator sends it signed requests.
"""

from dataclasses import dataclass

from pydantic import SecretStr

from bot.settings import Settings
from bot.slack.app import SlackBot, create_app
from bot.slack.engines import Engines
from bot.slack.server import EVENTS_PATH, ThreadedServer, create_http_app
from bot.storage import Store
from slack_emulator import SlackEmulator


@dataclass
class LocalSlack:
    """A running emulator + bot pair; `close()` stops both."""

    slack: SlackEmulator
    bot: SlackBot
    server: ThreadedServer
    settings: Settings

    @classmethod
    def start(
        cls,
        settings: Settings,
        *,
        engines: Engines,
        emulator: SlackEmulator | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> "LocalSlack":
        """Start the emulator (unless given, started), then the bot pointed at it, and connect them.

        The bot's Slack settings (token, signing secret, API URL) are the emulator's; the rest
        (data dir, database, admins) come from `settings`.
        """
        slack = emulator or SlackEmulator(serve=ThreadedServer)
        api_url = slack.api_url if emulator else slack.start()
        settings = settings.model_copy(
            update={
                "slack_bot_token": SecretStr(slack.bot_token),
                "slack_signing_secret": SecretStr(slack.signing_secret),
                "slack_app_token": None,
                "slack_api_url": api_url,
            }
        )
        store = Store(settings.resolved_database_url, lease_seconds=settings.event_lease_seconds)
        bot = create_app(settings, engines=engines, store=store)
        bot.readiness.warm_up_in_background()
        server = ThreadedServer(create_http_app(bot), host=host, port=port)
        server.start()
        slack.connect(server.url + EVENTS_PATH)
        return cls(slack=slack, bot=bot, server=server, settings=settings)

    @property
    def events_url(self) -> str:
        return self.server.url + EVENTS_PATH

    def close(self) -> None:
        """Stop the bot (finishing answers in flight), then the emulator."""
        self.server.stop()
        self.bot.close(wait=True)
        self.slack.stop()
