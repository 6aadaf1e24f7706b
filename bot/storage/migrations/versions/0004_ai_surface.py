"""The AI-app surface: why a 👎 (reason, comment), per-channel settings, assistant threads.

`feedback.reason` / `feedback.comment`: what a person said after a 👎 (both optional).
`channel_settings`: what admins chose for a channel in the App Home.
`assistant_threads`: the context Slack sent for each assistant thread (the channel the person
is viewing) and whether the thread has its title.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("feedback", sa.Column("reason", sa.String(40), nullable=True))
    op.add_column("feedback", sa.Column("comment", sa.Text, nullable=True))
    op.create_table(
        "channel_settings",
        sa.Column("channel", sa.String(40), primary_key=True),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("updated_by", sa.String(40), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "assistant_threads",
        sa.Column("channel", sa.String(40), primary_key=True),
        sa.Column("thread_ts", sa.String(40), primary_key=True),
        sa.Column("context", sa.Text, nullable=False),
        sa.Column("titled", sa.SmallInteger, nullable=False, server_default="0"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_assistant_threads_updated_at", "assistant_threads", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_assistant_threads_updated_at", "assistant_threads")
    op.drop_table("assistant_threads")
    op.drop_table("channel_settings")
    op.drop_column("feedback", "comment")
    op.drop_column("feedback", "reason")
