"""Baseline: the schema that shipped before migrations (created by `create_all`).

A database created by that release already has these tables and is only stamped; a new one
gets them here. The definitions are a frozen copy: later changes are later revisions.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "processed_events" not in existing:
        op.create_table(
            "processed_events",
            sa.Column("key", sa.String(200), primary_key=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        )
        op.create_index(
            "ix_processed_events_created_at", "processed_events", ["created_at"]
        )
    if "answers" not in existing:
        op.create_table(
            "answers",
            sa.Column("id", sa.String(32), primary_key=True),
            sa.Column("channel", sa.String(40), nullable=False),
            sa.Column("thread_ts", sa.String(40), nullable=True),
            sa.Column("asker", sa.String(40), nullable=False),
            sa.Column("question", sa.Text, nullable=False),
            sa.Column("answer", sa.Text, nullable=False),
            sa.Column("cited_docs", sa.Text, nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        )
        op.create_index("ix_answers_created_at", "answers", ["created_at"])
    if "feedback" not in existing:
        op.create_table(
            "feedback",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("answer_id", sa.String(32), nullable=False),
            sa.Column("user_id", sa.String(40), nullable=False),
            sa.Column("vote", sa.SmallInteger, nullable=False),
            sa.Column("question", sa.Text, nullable=False),
            sa.Column("answer", sa.Text, nullable=False),
            sa.Column("cited_docs", sa.Text, nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
            sa.UniqueConstraint("answer_id", "user_id", name="one_vote_per_person"),
        )


def downgrade() -> None:
    op.drop_table("feedback")
    op.drop_table("answers")
    op.drop_table("processed_events")
