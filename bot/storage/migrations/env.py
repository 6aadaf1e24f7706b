"""Alembic's entry point: migrate on the connection `bot.storage.schema` hands over.

The connection is already inside a transaction (and, on PostgreSQL, holds the schema lock),
so every revision of one upgrade commits together or not at all.
"""

from alembic import context

context.configure(
    connection=context.config.attributes["connection"],
    version_table=context.config.attributes["version_table"],
)
with context.begin_transaction():
    context.run_migrations()
