"""Settings of the bot, one pydantic-settings model per concern, composed in `Settings`.

`AnsweringSettings` (the optional LLM), `SlackSettings` (credentials, who may do what),
`ServerSettings` (the HTTP server), `DatabaseSettings` (feedback and event de-duplication),
with the index's concerns (`ingest.settings`) and logging's (`common.logs`). Slack credentials
use Slack's usual variable names (no prefix); everything else is `AI_STRATEGY_*`. Values come
from the environment, then `.env`, then the defaults here.
"""

import re
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode

from bot.slack.etiquette import ThreadReplies
from common.logs import LogSettings
from common.settings import SETTINGS_SOURCES
from ingest.settings import DataSettings, IndexSettings


class AnsweringSettings(BaseSettings):
    """The chat model that composes answers when one is configured."""

    model_config = SETTINGS_SOURCES

    llm: str | None = Field(
        None,
        description="LangChain chat model for composing answers, `provider:model` "
        "(e.g. `openai:gpt-4o-mini`); unset means the offline extractive composer.",
    )
    llm_timeout_seconds: float = Field(20.0, gt=0, description="Give up on the LLM after this.")
    llm_base_url: str | None = Field(
        None,
        description="API base URL of the chat model's provider, for an OpenAI-compatible "
        "server or gateway (e.g. `http://localhost:8080/v1`); unset: the provider's own.",
    )
    llm_api_key: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("AI_STRATEGY_LLM_API_KEY", "OPENAI_API_KEY", "llm_api_key"),
        description="API key for the chat model's provider (OpenAI's usual variable works too).",
    )
    llm_max_retries: int = Field(
        1, ge=0, le=5, description="Retries of a rate-limited (429) or failed (5xx) LLM call."
    )
    llm_streaming: bool = Field(
        False, description="Read the LLM's reply as a stream (for gateways that only stream)."
    )


class SlackSettings(BaseSettings):
    """The Slack app's credentials and API, and who the bot answers or obeys."""

    model_config = SETTINGS_SOURCES

    slack_bot_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_BOT_TOKEN", "slack_bot_token")
    )
    slack_signing_secret: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "slack_signing_secret")
    )
    slack_app_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_APP_TOKEN", "slack_app_token")
    )
    slack_api_url: str = Field(
        "https://slack.com/api/",
        validation_alias=AliasChoices("SLACK_API_URL", "slack_api_url"),
        description="Slack Web API base URL; tests and the sandbox point it at the emulator.",
    )
    admin_users: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Slack user ids allowed to run `/ai-strategy reindex`, `add` and `remove`, "
        "and to change the channel settings in the App Home.",
    )
    thread_replies: ThreadReplies = Field(
        "asker",
        description="Untagged replies in a channel thread the bot answered: `asker` (only from "
        "the person who asked it there), `anyone`, or `mentions` (never; tag the bot). Admins "
        "override it per channel in the App Home.",
    )

    @field_validator("slack_api_url")
    @classmethod
    def _web_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        return value

    @field_validator("admin_users", mode="before")
    @classmethod
    def _split_comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value


class ServerSettings(BaseSettings):
    """The HTTP server that takes Slack's events."""

    model_config = SETTINGS_SOURCES

    port: int = Field(
        3000, validation_alias=AliasChoices("PORT", "AI_STRATEGY_PORT", "port"), ge=1, le=65535
    )
    max_request_bytes: int = Field(
        1024 * 1024,
        ge=1024,
        description="Largest request body /slack/events reads; longer ones are refused (413) "
        "while being read.",
    )
    drain_seconds: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="On SIGTERM, how long to wait for answers in flight (readiness is 503 "
        "meanwhile) before stopping.",
    )


class DatabaseSettings(DataSettings):
    """The bot's database: feedback, de-duplication of Slack events, history of changes."""

    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL for feedback and event de-duplication; "
        "default SQLite in the data dir.",
    )
    event_lease_seconds: float = Field(
        30.0,
        ge=1,
        le=3600,
        description="How long a replica's claim on a Slack event holds without renewal; a "
        "retry after a crashed replica's lease lapsed is answered.",
    )

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'state.sqlite3').resolve()}"


class Settings(
    IndexSettings, AnsweringSettings, SlackSettings, ServerSettings, DatabaseSettings, LogSettings
):
    """Everything the `ai-strategy` commands read from the environment."""

    def secret_values(self) -> list[str]:
        """Every secret these settings hold, for the log redaction filter."""
        from sqlalchemy.engine import make_url

        secrets = [
            secret.get_secret_value()
            for secret in (
                self.slack_bot_token,
                self.slack_signing_secret,
                self.slack_app_token,
                self.chroma_auth_token,
                self.llm_api_key,
            )
            if secret is not None
        ]
        if self.database_url:
            password = make_url(self.database_url).password
            if password:
                secrets.append(str(password))
        return secrets
