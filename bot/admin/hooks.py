"""What the bot adds to the index commands (`ingest`, `add`, `remove`): the quality checks,
which need the answer engine, and the history of changes in the bot's database."""

from typing import TYPE_CHECKING

from ingest.cli import CommandHooks
from ingest.knowledge_files import KnowledgeChange
from ingest.settings import IndexSettings

if TYPE_CHECKING:
    from bot.settings import Settings
    from ingest.quality_gate import CheckRunner


def bot_settings(settings: IndexSettings) -> "Settings":
    """The bot's settings for the same folders (the index commands build index settings)."""
    from bot.settings import Settings

    if isinstance(settings, Settings):
        return settings
    return Settings(**{name: getattr(settings, name) for name in IndexSettings.model_fields})


def _checks(settings: IndexSettings) -> "CheckRunner | None":
    from bot.admin.checks import knowledge_checks  # loads the answer engine: only when needed

    return knowledge_checks(bot_settings(settings))


def _record(settings: IndexSettings, change: KnowledgeChange) -> None:
    from bot.storage import Store

    store = Store(bot_settings(settings).resolved_database_url)
    try:
        store.record_change(change)
    finally:
        store.close()


def _history(settings: IndexSettings, latest: int) -> list[KnowledgeChange]:
    from bot.storage import Store

    store = Store(bot_settings(settings).resolved_database_url)
    try:
        return store.knowledge_history(latest=latest)
    finally:
        store.close()


def command_hooks() -> CommandHooks:
    return CommandHooks(checks=_checks, record=_record, history=_history)
