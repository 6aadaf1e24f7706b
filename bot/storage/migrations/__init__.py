"""Alembic migrations of the bot's database; `bot.storage.schema` runs them."""
