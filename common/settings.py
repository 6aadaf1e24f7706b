"""Where every settings model reads from: `AI_STRATEGY_*` variables, then `.env`, then defaults.

Lookup order, first wins: command-line flags (applied by the commands), environment variables,
`.env` in the working directory, the defaults of each model. `.env.example` documents every
variable. Each concern has a model of its own (`ingest.settings`, `bot.settings`) on this
configuration, so a model read alone sees the same values as the composed whole.
"""

from pydantic_settings import SettingsConfigDict

SETTINGS_SOURCES = SettingsConfigDict(
    env_prefix="AI_STRATEGY_", env_file=".env", extra="ignore", populate_by_name=True
)
