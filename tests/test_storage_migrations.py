"""The bot's database evolves through migrations; event claims are leases (SQLite here; the
same checks on PostgreSQL are in test_postgres.py)."""

import time

from typer.testing import CliRunner

from bot.cli import app
from bot.storage import Store, schema
from tests.migration_checks import assert_upgraded_with_data_kept, create_old_database


def url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'state.sqlite3'}"


def test_a_database_of_the_release_before_migrations_is_upgraded_with_its_data(tmp_path):
    create_old_database(url(tmp_path))
    assert_upgraded_with_data_kept(url(tmp_path))


def test_db_upgrade_command_migrates_and_says_to_which_revision(tmp_path):
    create_old_database(url(tmp_path))
    result = CliRunner().invoke(app, ["db", "upgrade", "--url", url(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"revision {schema.head_revision()}" in result.output
    assert_upgraded_with_data_kept_after_cli(url(tmp_path))


def assert_upgraded_with_data_kept_after_cli(database_url: str) -> None:
    from sqlalchemy import create_engine

    assert schema.current_revision(create_engine(database_url)) == schema.head_revision()
    store = Store(database_url)
    assert not store.claim("event:Old1")
    store.close()


def test_db_upgrade_names_a_database_it_cannot_open(tmp_path):
    (tmp_path / "folder").mkdir()
    target = f"sqlite:///{tmp_path / 'folder'}"  # a directory, not a database file
    result = CliRunner().invoke(app, ["db", "upgrade", "--url", target])
    assert result.exit_code == 1
    assert "Could not migrate the database" in result.output and "Traceback" not in result.output


# Short leases keep these tests quick; renewal runs three times per lease, so a loaded
# machine would have to stall the renewer for two thirds of one to break a live lease.
LEASE = 0.5


def test_a_claim_whose_claimant_died_lapses_and_is_taken_over_once(tmp_path):
    dead = Store(url(tmp_path), lease_seconds=LEASE)
    assert dead.claim("event:Ev1")
    dead.close()  # stops renewing, as a killed process would, without finishing
    retry = Store(url(tmp_path), lease_seconds=LEASE)
    assert not retry.claim("event:Ev1")  # the lease still holds
    time.sleep(LEASE * 1.2)
    other = Store(url(tmp_path), lease_seconds=LEASE)
    assert retry.claim("event:Ev1")  # lapsed: the retry is handled
    assert not other.claim("event:Ev1")  # by one taker only
    retry.finish(["event:Ev1"])
    time.sleep(LEASE * 1.2)
    assert not other.claim("event:Ev1")  # handled: a duplicate for good
    retry.close()
    other.close()


def test_a_live_claimant_keeps_its_lease_beyond_its_length(tmp_path):
    live = Store(url(tmp_path), lease_seconds=LEASE)
    other = Store(url(tmp_path), lease_seconds=LEASE)
    assert live.claim("event:Ev2")
    deadline = time.monotonic() + LEASE * 2.5
    while time.monotonic() < deadline:
        assert not other.claim("event:Ev2")
        time.sleep(LEASE / 5)
    live.close()
    other.close()
