"""`Sandbox`: the Slack emulator, the real bot over HTTP and the page, together on loopback.

The bot is the app `ai-strategy serve` runs in HTTP mode (same Bolt app, same Starlette
adapter under uvicorn), configured with a generated signing secret and bot token that only it
and the emulator know, and `SLACK_API_URL` pointed at the emulator. The emulator sends the app
signed requests when the person on the page acts, and the page shows the emulator's state.
"""

import secrets
from typing import Self

from pydantic import SecretStr

from bot.sandbox.page import SandboxPage
from bot.sandbox.snapshot import Person
from bot.settings import Settings
from bot.slack.app import SlackBot, create_app
from bot.slack.engines import Engines
from bot.slack.server import EVENTS_PATH, ThreadedServer, create_http_app
from bot.storage import Store
from slack_emulator import SlackEmulator

PERSON = Person(id="U0YOU", name="you")
CHANNEL = "C0GENERAL"
LOOPBACK = "127.0.0.1"


class Sandbox:
    """A local Slack workspace with the bot installed, and a page to use it as one person.

    `port` is the page's (0 picks a free one); the emulator and the bot listen on free
    loopback ports of their own. The bot's state (feedback, answered threads) goes to the
    database of `settings`, as `serve` would.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        engines: Engines,
        host: str = LOOPBACK,
        port: int = 3000,
        person: Person = PERSON,
    ) -> None:
        self.person = person
        self.engines = engines
        self.emulator = SlackEmulator(
            serve=ThreadedServer,
            signing_secret=secrets.token_hex(32),
            bot_token=f"xoxb-sandbox-{secrets.token_hex(24)}",
        )
        self._join_workspace()
        self.settings = self._bot_settings(settings)
        self.page = SandboxPage(self.emulator, person)
        try:
            # Bound now, so that a port in use fails here, before anything has started.
            self._page_server = ThreadedServer(self.page.app(), host=host, port=port)
        except OSError:
            self.emulator.stop()
            raise
        self._bot_server: ThreadedServer | None = None
        self.bot: SlackBot | None = None

    def _join_workspace(self) -> None:
        ws = self.emulator.workspace
        ws.add_user(self.person.id, self.person.name)
        ws.channels[CHANNEL].members.add(self.person.id)
        ws.dm_with(self.person.id)

    def _bot_settings(self, settings: Settings) -> Settings:
        return settings.model_copy(
            update={
                "slack_bot_token": SecretStr(self.emulator.bot_token),
                "slack_signing_secret": SecretStr(self.emulator.signing_secret),
                "slack_app_token": None,
                "slack_api_url": self.emulator.api_url,
                "admin_users": [*settings.admin_users, self.person.id],
            }
        )

    @property
    def url(self) -> str:
        """The page's address."""
        return self._page_server.url

    @property
    def bot_url(self) -> str:
        """The bot's Request URL."""
        if self._bot_server is None:
            raise RuntimeError("the sandbox is not started")
        return self._bot_server.url + EVENTS_PATH

    def start(self) -> str:
        """Start the emulator, the bot (connected to it) and the page; returns the page's URL."""
        try:
            self.emulator.start()
            self.bot = create_app(
                self.settings,
                engines=self.engines,
                store=Store(
                    self.settings.resolved_database_url,
                    lease_seconds=self.settings.event_lease_seconds,
                ),
            )
            self._bot_server = ThreadedServer(create_http_app(self.bot), host=LOOPBACK, port=0)
            self._bot_server.start()
            self.emulator.connect(self.bot_url)
            return self._page_server.start()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the page, then the bot (finishing answers in flight), then the emulator."""
        self.page.close()
        self._page_server.stop()
        if self._bot_server is not None:
            self._bot_server.stop()
        if self.bot is not None:
            self.bot.close(wait=True)
        self.emulator.stop()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
