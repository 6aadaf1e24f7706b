"""What every upgrade of a database made by the pre-migration release must keep (SQLite, PG)."""

import json
from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, insert

from bot.storage import Store, schema
from bot.storage.store import metadata
from tests import schema_before_migrations as old


def create_old_database(url: str) -> None:
    """The database a deployment of the previous release has, with one row in every table."""
    engine = create_engine(url)
    now = datetime.now(UTC)
    old.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(insert(old.processed_events).values(key="event:Old1", created_at=now))
        connection.execute(
            insert(old.answers).values(
                id="a" * 32, channel="C1", thread_ts="1.0", asker="U1",
                question="How much data?", answer="Hundreds [1].",
                cited_docs=json.dumps(["doc-a"]), created_at=now,
            )
        )  # fmt: skip
        connection.execute(
            insert(old.feedback).values(
                answer_id="a" * 32, user_id="U2", vote=-1, question="How much data?",
                answer="Hundreds [1].", cited_docs=json.dumps(["doc-a"]),
                created_at=now, updated_at=now,
            )
        )  # fmt: skip
    engine.dispose()


def assert_upgraded_with_data_kept(url: str) -> None:
    """Open the old database as the new release does; everything is there and still works."""
    before = create_engine(url)
    assert schema.current_revision(before) is None
    before.dispose()
    store = Store(url)
    try:
        assert schema.current_revision(store.engine) == schema.head_revision()
        with store.engine.connect() as connection:
            drift = compare_metadata(MigrationContext.configure(connection), metadata)
        assert drift == [], f"the tables in store.py differ from the migrated schema: {drift}"
        assert not store.claim("event:Old1")  # handled before the upgrade: still a duplicate
        assert store.claim("event:New1") and not store.claim("event:New1")
        assert [turn.question for turn in store.history("C1", "1.0")] == ["How much data?"]
        summary = store.feedback_summary()
        assert (summary.up, summary.down) == (0, 1)
        assert store.record_vote(answer_id="a" * 32, user_id="U2", vote=1)
        assert (store.feedback_summary().up, store.feedback_summary().down) == (1, 0)
    finally:
        store.close()
    reopened = Store(url)  # a second start finds nothing to do
    assert schema.current_revision(reopened.engine) == schema.head_revision()
    reopened.close()
