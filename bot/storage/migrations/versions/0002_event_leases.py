"""Event claims carry a lease: a claim whose process died can be taken over by a retry.

`lease_until` is when an unfinished claim lapses; `done_at` is when the event was handled.
Events recorded before this revision were handled under the old at-most-once rule, so they
count as done.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "processed_events", sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "processed_events", sa.Column("done_at", sa.DateTime(timezone=True), nullable=True)
    )
    events = sa.table("processed_events", sa.column("created_at"), sa.column("done_at"))
    op.execute(events.update().values(done_at=events.c.created_at))


def downgrade() -> None:
    op.drop_column("processed_events", "done_at")
    op.drop_column("processed_events", "lease_until")
