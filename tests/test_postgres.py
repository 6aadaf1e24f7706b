"""The bot's state on a real PostgreSQL server (Debian's package), as replicas share it.

Each test session starts a private cluster in a temporary folder (`initdb`, `pg_ctl`, as the
`postgres` user when running as root) on a loopback port with password authentication; each
test gets a database of its own.
"""

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from glob import glob
from pathlib import Path

import httpx
import psycopg
import pytest

from bot.slack.conversations import delivery_keys
from bot.slack.engines import Engines
from bot.slack.local import LocalSlack
from bot.slack.server import EVENTS_PATH, ThreadedServer
from bot.storage import Store
from slack_emulator import SlackEmulator
from slack_emulator.requests import (
    JSON,
    SignedSender,
    app_mention_event,
    event_body,
)
from tests.migration_checks import assert_upgraded_with_data_kept, create_old_database
from tests.serve_process import ServeProcess, bot_environment, free_port, metric
from tests.slack_helpers import (
    ALICE,
    BOB,
    BOT_TOKEN,
    GENERAL,
    QUESTIONS,
    SIGNING_SECRET,
    cited_answer,
)


def postgres_binary(name: str) -> str | None:
    """`initdb`/`pg_ctl` on the PATH, or in Debian's versioned folder (not on the PATH)."""
    found = shutil.which(name)
    if found:
        return found
    for folder in sorted(glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.access(f"{folder}/{name}", os.X_OK):
            return f"{folder}/{name}"
    return None


def require_postgres() -> None:
    """Skip when PostgreSQL is not installed here, unless in CI (which installs it): fail."""
    if postgres_binary("initdb") and postgres_binary("pg_ctl"):
        return
    reason = "PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql"
    if os.environ.get("CI"):
        pytest.fail(reason + " (CI must install it)")
    pytest.skip(reason)


class PostgresServer:
    """A private PostgreSQL cluster on 127.0.0.1, password-protected, stopped with `stop()`."""

    user = "ai_strategy"

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="ai-strategy-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.password = "pg-" + secrets.token_hex(12)
        self._as_postgres = os.geteuid() == 0  # initdb refuses to run as root

    def _run(self, *command: str) -> None:
        if self._as_postgres:
            command = ("runuser", "-u", "postgres", "--", *command)
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)

    def init(self) -> "PostgresServer":
        password_file = self.folder / "password"
        password_file.write_text(self.password + "\n")
        if self._as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
            shutil.chown(password_file, "postgres", "postgres")
        self._run(
            postgres_binary("initdb"), "-D", str(self.data), "-U", self.user,
            f"--pwfile={password_file}", "--auth=scram-sha-256", "-E", "UTF8", "--no-sync",
        )  # fmt: skip
        return self

    def start(self) -> "PostgresServer":
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off "
            "-c max_connections=200"
        )
        self._run(
            postgres_binary("pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", str(self.folder / "server.log"), "-w", "-t", "60", "start",
        )  # fmt: skip
        return self

    def stop(self) -> None:
        self._run(postgres_binary("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh database; its SQLAlchemy URL."""
        name = "test_" + secrets.token_hex(6)
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=self.user, password=self.password,
            dbname="postgres", autocommit=True,
        ) as connection:  # fmt: skip
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@pytest.fixture(scope="session")
def postgres():
    require_postgres()
    server = PostgresServer().init().start()
    yield server
    server.stop()
    server.remove()


@pytest.fixture
def database_url(postgres) -> str:
    return postgres.new_database()


# -- the store on PostgreSQL ---------------------------------------------------------------


@pytest.mark.slow
def test_a_key_is_claimed_once_by_racing_threads_of_two_stores(database_url):
    stores = [Store(database_url), Store(database_url)]  # as two replicas would
    barrier = threading.Barrier(24)

    def race(store: Store) -> bool:
        barrier.wait()
        return store.claim("event:Ev1")

    with ThreadPoolExecutor(24) as pool:
        wins = list(pool.map(race, [stores[i % 2] for i in range(24)]))
    assert sorted(wins) == [False] * 23 + [True]
    assert stores[1].claim("event:Ev2") and not stores[0].claim("event:Ev2")
    for store in stores:
        store.close()


@pytest.mark.slow
def test_replicas_starting_together_create_the_tables_once(database_url):
    barrier = threading.Barrier(6)
    errors = []

    def start() -> Store:
        barrier.wait()
        try:
            return Store(database_url)
        except Exception as error:
            errors.append(error)
            raise

    with ThreadPoolExecutor(6) as pool:
        stores = [f.result() for f in [pool.submit(start) for _ in range(6)]]
    assert errors == []
    assert stores[0].engine.dialect.name == "postgresql"
    for store in stores:
        store.close()


@pytest.mark.slow
def test_feedback_history_and_pruning_on_postgres(database_url):
    store = Store(database_url)
    answer_id = store.remember_answer(
        channel="C1", thread_ts="1.0", asker="U1", question="How much data?",
        answer="Hundreds of examples [1].", cited_docs=["doc-a"],
    )  # fmt: skip
    assert store.record_vote(answer_id=answer_id, user_id="U2", vote=-1)
    assert store.record_vote(answer_id=answer_id, user_id="U2", vote=1)  # changed, not added
    assert store.record_vote(answer_id=answer_id, user_id="U3", vote=-1)
    assert not store.record_vote(answer_id="unknown", user_id="U2", vote=1)
    summary = store.feedback_summary()
    assert (summary.up, summary.down) == (1, 1)
    assert summary.documents[0].doc == "doc-a" and summary.recent_down[0].at.tzinfo
    assert [turn.question for turn in store.history("C1", "1.0")] == ["How much data?"]
    assert store.has_answered_in("C1", "1.0")
    store.prune()
    store.ping()
    store.close()


@pytest.mark.slow
def test_a_postgres_database_of_the_release_before_migrations_is_upgraded_with_its_data(
    database_url,
):
    create_old_database(database_url)
    assert_upgraded_with_data_kept(database_url)


# -- two bot processes sharing one database ------------------------------------------------


def mention_body(slack: SlackEmulator, text: str) -> bytes:
    """A person's @mention, stored in the emulated workspace; its Events API body."""
    ws = slack.workspace
    with ws.lock:
        channel = ws.resolve_channel(GENERAL)
        message = ws.add_message(
            channel, user=ALICE, text=f"<@{ws.bot_user_id}> {text}", thread_ts=None
        )
    return event_body(ws, app_mention_event(message, channel.id)), message["ts"]


@pytest.mark.slow
def test_two_bot_processes_sharing_postgres_answer_each_retried_event_once(
    postgres, database_url, indexed_settings, tmp_path
):
    slack = SlackEmulator(serve=ThreadedServer, signing_secret=SIGNING_SECRET, bot_token=BOT_TOKEN)
    slack.start()
    env = bot_environment(
        slack,
        data_dir=indexed_settings.data_dir,
        knowledge_dir=indexed_settings.knowledge_dir,
        AI_STRATEGY_DATABASE_URL=database_url,
        AI_STRATEGY_LOG_FORMAT="json",
    )
    bots = [ServeProcess(env, workdir=tmp_path / name).start() for name in ("a", "b")]
    senders = [SignedSender(bot.url + EVENTS_PATH, SIGNING_SECRET) for bot in bots]
    try:
        for bot in bots:
            assert bot.wait_ready()["checks"]["database"]["detail"] == "postgresql ok"
        slack.connect(bots[0].url + EVENTS_PATH)  # where Slack sends the bot's own posts
        questions = QUESTIONS[:6]
        threads = []
        with ThreadPoolExecutor(4) as pool:
            for question in questions:
                body, ts = mention_body(slack, question)
                threads.append(ts)
                # The first delivery at one replica and Slack's retry at the other, at once.
                deliveries = [
                    pool.submit(senders[0].send, "event", body, JSON),
                    pool.submit(senders[1].send, "event", body, JSON, retry_num=1),
                ]
                assert [d.result().status for d in deliveries] == [200, 200]
            # And a late retry, after the answer may be out.
            late = pool.submit(senders[1].send, "event", body, JSON, retry_num=2).result()
            assert late.status == 200

        def answered() -> bool:
            posts = slack.calls("chat.postMessage", where=lambda c: c.ok)
            return {p.args.get("thread_ts") for p in posts} >= set(threads)

        slack.calls.wait_until(answered, timeout=60)
        time.sleep(1.0)  # room for a duplicate answer to show up, if there were one
        posts = slack.calls("chat.postMessage", where=lambda c: c.ok)
        assert sorted(p.args["thread_ts"] for p in posts) == sorted(threads)

        samples = [bot.metrics() for bot in bots]
        delivered = sum(
            metric(s, name, surface="conversation")
            for s in samples
            for name in ("ai_strategy_answers_total", "ai_strategy_declines_total")
        )
        duplicates = sum(metric(s, "ai_strategy_events_deduplicated_total") for s in samples)
        assert delivered == len(questions)
        assert duplicates == len(questions) + 1
        assert all(metric(s, "ai_strategy_errors_total", kind="answer") == 0 for s in samples)
    finally:
        for sender in senders:
            sender.close()
        codes = [bot.stop() for bot in bots]
        slack.stop()
    assert codes == [0, 0], [bot.output() for bot in bots]
    for bot in bots:
        assert postgres.password not in bot.output()


@pytest.mark.slow
def test_readyz_names_the_database_while_postgres_is_down_and_recovers(indexed_settings):
    require_postgres()
    server = PostgresServer().init().start()
    slack = SlackEmulator(serve=ThreadedServer, signing_secret=SIGNING_SECRET, bot_token=BOT_TOKEN)
    slack.start()
    engines = Engines(
        answer=lambda question, history=(): cited_answer(question), recommend=None, reindex=None
    )
    settings = indexed_settings.model_copy(update={"database_url": server.new_database()})
    local = LocalSlack.start(settings, engines=engines, emulator=slack)
    readyz = local.server.url + "/readyz"
    try:
        assert httpx.get(readyz).json()["checks"]["database"]["detail"] == "postgresql ok"
        server.stop()
        down = httpx.get(readyz, timeout=20)
        assert down.status_code == 503 and down.json()["failed"] == ["database"]
        assert "cannot reach the database" in down.json()["checks"]["database"]["detail"]
        assert server.password not in down.text
        server.start()
        assert httpx.get(readyz).status_code == 200
        said = slack.user_says(BOB, GENERAL, "@ai-strategy How much data does fine-tuning need?")
        slack.calls.wait("chat.postMessage", where=lambda c: c.ok)
        assert local.bot.store.has_answered_in(GENERAL, said.ts)
    finally:
        local.close()
        server.stop()
        server.remove()


@pytest.mark.slow
def test_one_reindex_at_a_time_across_replicas(database_url):
    first, second = Store(database_url), Store(database_url)
    with first.exclusively("reindex") as ours:
        assert ours
        with second.exclusively("reindex") as theirs:
            assert not theirs  # another replica is re-indexing: busy
        with second.exclusively("something else") as other:
            assert other
    with second.exclusively("reindex") as theirs:
        assert theirs  # released when the first finished
    first.close()
    second.close()


CLAIMANT = """
import sys, time
from bot.storage import Store
url, lease, mode, *keys = sys.argv[1:]
store = Store(url, lease_seconds=float(lease))
assert all(store.claim(key) for key in keys)
print("claimed", flush=True)
if mode == "die":
    import os, signal
    os.kill(os.getpid(), signal.SIGKILL)  # as a replica dying mid-answer
time.sleep(120)
"""


def claim_in_another_process(url: str, lease: float, mode: str, keys: list[str]):
    """A process that claims `keys` as a replica would, then dies at once or lives on."""
    process = subprocess.Popen(
        [sys.executable, "-c", CLAIMANT, url, str(lease), mode, *keys],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout.readline().strip() == "claimed"
    if mode == "die":
        process.communicate(timeout=30)  # reaped, its pipe closed
        assert process.returncode == -signal.SIGKILL
    return process


@pytest.mark.slow
def test_a_retry_after_the_claimant_was_killed_is_answered_once_and_a_live_claim_holds(
    database_url, indexed_settings, tmp_path
):
    lease = 2.0
    slack = SlackEmulator(serve=ThreadedServer, signing_secret=SIGNING_SECRET, bot_token=BOT_TOKEN)
    slack.start()
    env = bot_environment(
        slack,
        data_dir=indexed_settings.data_dir,
        knowledge_dir=indexed_settings.knowledge_dir,
        AI_STRATEGY_DATABASE_URL=database_url,
        AI_STRATEGY_EVENT_LEASE_SECONDS=str(lease),
    )
    bot = ServeProcess(env, workdir=tmp_path / "bot").start()
    sender = SignedSender(bot.url + EVENTS_PATH, SIGNING_SECRET)
    live = None
    try:
        bot.wait_ready()
        slack.connect(bot.url + EVENTS_PATH)
        orphaned, orphaned_ts = mention_body(slack, QUESTIONS[0])
        held, _ = mention_body(slack, QUESTIONS[1])

        def keys(body: bytes) -> list[str]:
            envelope = json.loads(body)
            return delivery_keys(envelope, envelope["event"])

        claim_in_another_process(database_url, lease, "die", keys(orphaned))
        live = claim_in_another_process(database_url, lease, "live", keys(held))
        # Slack's first retry comes while the dead claimant's lease still holds: a duplicate.
        assert sender.send("event", orphaned, JSON, retry_num=1).status == 200
        time.sleep(lease * 1.5 + 0.5)
        # Later retries: the dead claim lapsed and is answered; the live one is never taken.
        assert sender.send("event", orphaned, JSON, retry_num=2).status == 200
        assert sender.send("event", held, JSON, retry_num=1).status == 200

        def answered() -> bool:
            posts = slack.calls("chat.postMessage", where=lambda c: c.ok)
            return orphaned_ts in {p.args.get("thread_ts") for p in posts}

        slack.calls.wait_until(answered, timeout=60)
        assert sender.send("event", orphaned, JSON, retry_num=3).status == 200  # handled now
        time.sleep(1.5)
        posts = slack.calls("chat.postMessage", where=lambda c: c.ok)
        assert [p.args.get("thread_ts") for p in posts] == [orphaned_ts]
        assert metric(bot.metrics(), "ai_strategy_events_deduplicated_total") == 3
        assert "took over event:" in bot.output()
    finally:
        if live is not None:
            live.kill()
            live.communicate()
        sender.close()
        code = bot.stop()
        slack.stop()
    assert code == 0, bot.output()
