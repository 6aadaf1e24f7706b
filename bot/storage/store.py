"""The bot's state in one SQL database: handled events, posted answers, feedback votes.

SQLite under the data dir by default; any SQLAlchemy URL (`AI_STRATEGY_DATABASE_URL`, e.g.
PostgreSQL) when several bot processes share the work. Everything a replica must agree on goes
through it:

- `claim(key)` is an atomic insert-if-absent on a primary key (`INSERT … ON CONFLICT DO
  NOTHING` on PostgreSQL and SQLite, a caught unique violation in its own transaction on any
  other database), so of two deliveries of one event (a Slack retry, or the same event at two
  replicas) exactly one wins, even while the first is still being answered. The claim is a
  lease, renewed while the claimant lives and ended by `finish(keys)`: when the claimant dies
  before finishing, its lease lapses and Slack's next retry is handled (at least once), while
  a live claimant is never overtaken (answered once).
- `answers` holds what the bot posted: thread history for follow-ups (bounded to the latest
  turns and expiring), and what a feedback vote refers to.
- `feedback` holds one vote per person and answer, with the question, answer and cited documents
  copied in, so it outlives the pruning of answers; a 👎 may carry a reason and a comment.
- `knowledge_changes` keeps every add, update and remove of a document by an admin.
- `channel_settings` holds what admins chose for a channel in the App Home (`ChannelMode`).
- `assistant_threads` holds the context of each assistant thread (the channel the person is
  viewing, as Slack last sent it) and whether the thread has its title yet.

The schema is migrated (`bot.storage.schema`, Alembic) whenever a store opens.
"""

import hashlib
import json
import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.answering.models import Turn
from bot.storage import messages, schema
from ingest.knowledge_files import KnowledgeChange

log = logging.getLogger(__name__)

# How long things are kept: event ids well beyond Slack's retry window (about an hour);
# answers long enough to be voted on; follow-up history only for a recent conversation.
EVENT_RETENTION = timedelta(days=1)
ANSWER_RETENTION = timedelta(days=7)
HISTORY_MAX_AGE = timedelta(hours=24)
HISTORY_TURNS = 6
PRUNE_EVERY_SECONDS = 600
# Seconds to wait for a connection to a database server (readiness checks must not hang).
CONNECT_TIMEOUT_SECONDS = 5
# How long a claim on an event holds without renewal: well inside Slack's retry schedule (about
# 1 and 5 minutes after the first delivery), so a retry finds a dead claimant's lease lapsed.
EVENT_LEASE_SECONDS = 30.0

metadata = MetaData()

processed_events = Table(
    "processed_events",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("lease_until", DateTime(timezone=True), nullable=True),
    Column("done_at", DateTime(timezone=True), nullable=True),
)

answers = Table(
    "answers",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("channel", String(40), nullable=False),
    Column("thread_ts", String(40), nullable=True),
    Column("asker", String(40), nullable=False),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("cited_docs", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("answer_id", String(32), nullable=False),
    Column("user_id", String(40), nullable=False),
    Column("vote", SmallInteger, nullable=False),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("cited_docs", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # Why a 👎: one of `FeedbackReason` (None: not said), and what the person wrote.
    Column("reason", String(40), nullable=True),
    Column("comment", Text, nullable=True),
    UniqueConstraint("answer_id", "user_id", name="one_vote_per_person"),
)

knowledge_changes = Table(
    "knowledge_changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("who", String(80), nullable=False),
    Column("action", String(16), nullable=False),
    Column("doc", String(200), nullable=False),
    Column("title", Text, nullable=False),
    Column("source", Text, nullable=True),
    Column("chunks", Integer, nullable=True),
    Column("published", Boolean, nullable=False),
)

channel_settings = Table(
    "channel_settings",
    metadata,
    Column("channel", String(40), primary_key=True),
    Column("mode", String(20), nullable=False),
    Column("updated_by", String(40), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

assistant_threads = Table(
    "assistant_threads",
    metadata,
    Column("channel", String(40), primary_key=True),
    Column("thread_ts", String(40), primary_key=True),
    Column("context", Text, nullable=False),
    Column("titled", SmallInteger, nullable=False, default=0),
    Column("updated_at", DateTime(timezone=True), nullable=False, index=True),
)

# Longest comment kept with a 👎 (the modal's input allows no more).
COMMENT_MAX_CHARS = 1000
_NO_REASON = {"reason": None, "comment": None}


class ChannelMode(StrEnum):
    """What the bot answers in a channel, as admins set it in the App Home.

    `mentions`: only messages that @mention it; `asker`: also untagged follow-ups in its
    threads from the person who asked there; `anyone`: follow-ups in its threads from anyone;
    `off`: nothing at all.
    """

    MENTIONS = "mentions"
    ASKER = "asker"
    ANYONE = "anyone"
    OFF = "off"


class FeedbackReason(StrEnum):
    """Why an answer did not help: the short list offered after a 👎."""

    WRONG = "wrong"
    OFF_TOPIC = "off_topic"
    NO_ANSWER = "no_answer"
    SOURCES = "sources"
    UNCLEAR = "unclear"


class DocumentVotes(BaseModel):
    doc: str
    up: int = 0
    down: int = 0


class DownVote(BaseModel):
    question: str
    cited_docs: list[str]
    at: datetime
    reason: FeedbackReason | None = None
    comment: str | None = None


class FeedbackSummary(BaseModel):
    """What `ai-strategy feedback` prints: totals, per cited document, latest 👎 questions."""

    up: int
    down: int
    documents: list[DocumentVotes]
    recent_down: list[DownVote]
    reasons: dict[FeedbackReason, int] = {}

    @property
    def total(self) -> int:
        return self.up + self.down


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    """SQLite gives naive datetimes back; they were written in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def known_reason(value: str | None) -> FeedbackReason | None:
    known = value is not None and value in FeedbackReason._value2member_map_
    return FeedbackReason(value) if known and value is not None else None


def create_database_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets its folder created, a busy timeout and WAL journaling."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        connect_args = {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
        return create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    if backend != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _configure(connection, _record) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


_ON_CONFLICT_INSERT: dict[str, Callable[[Table], postgresql.Insert | sqlite.Insert]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}


class Store:
    """The bot's database; thread-safe (one connection per operation from the pool)."""

    def __init__(self, url: str, *, lease_seconds: float = EVENT_LEASE_SECONDS) -> None:
        self.url = url
        self.lease = timedelta(seconds=lease_seconds)
        self.engine = create_database_engine(url)
        try:
            schema.upgrade(self.engine)
        except BaseException:
            self.engine.dispose()
            raise
        self._last_prune = 0.0
        self._prune_lock = threading.Lock()
        self._held: set[str] = set()
        self._held_lock = threading.Lock()
        self._closed = threading.Event()
        self._renewer: threading.Thread | None = None

    # -- events ----------------------------------------------------------------------------

    def claim(self, key: str) -> bool:
        """Claim `key` for handling; True for one caller at a time, across threads and processes.

        True when the key is new, or when an earlier claimant's lease lapsed without `finish`
        (it died); the claim is then renewed in the background until `finish`.
        """
        self._prune_now_and_then()
        now = _now()
        claimed = self._insert_claim(key, now) or self._take_over_lapsed(key, now)
        if claimed:
            with self._held_lock:
                self._held.add(key)
            self._start_renewing()
        return claimed

    def finish(self, keys: Iterable[str]) -> None:
        """Mark claimed keys as handled: later deliveries of them are duplicates for good."""
        keys = list(keys)
        if not keys:
            return
        with self._held_lock:
            self._held.difference_update(keys)
        with self.engine.begin() as connection:
            connection.execute(
                update(processed_events)
                .where(processed_events.c.key.in_(keys))
                .values(done_at=_now(), lease_until=None)
            )

    def _insert_claim(self, key: str, now: datetime) -> bool:
        values = {"key": key, "created_at": now, "lease_until": now + self.lease}
        dialect = self.engine.dialect.name
        if dialect in _ON_CONFLICT_INSERT and self.engine.dialect.insert_returning:
            statement = (
                _ON_CONFLICT_INSERT[dialect](processed_events)
                .values(**values)
                .on_conflict_do_nothing()
                .returning(processed_events.c.key)
            )
            with self.engine.begin() as connection:
                return connection.execute(statement).first() is not None
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(processed_events).values(**values))
        except IntegrityError:
            return False
        return True

    def _take_over_lapsed(self, key: str, now: datetime) -> bool:
        """One conditional UPDATE: of racing takers, the database lets exactly one match."""
        with self.engine.begin() as connection:
            taken = connection.execute(
                update(processed_events)
                .where(
                    processed_events.c.key == key,
                    processed_events.c.done_at.is_(None),
                    processed_events.c.lease_until < now,
                )
                .values(lease_until=now + self.lease)
            )
        if taken.rowcount != 1:
            return False
        log.info(messages.log_claim_taken_over(key))
        return True

    def _start_renewing(self) -> None:
        with self._held_lock:
            if self._renewer is not None:
                return
            self._renewer = threading.Thread(
                target=self._renew_leases, name="event-lease-renewer", daemon=True
            )
        self._renewer.start()

    def _renew_leases(self) -> None:
        """Push the leases this process holds forward, three times per lease."""
        while not self._closed.wait(self.lease.total_seconds() / 3):
            with self._held_lock:
                held = list(self._held)
            if not held:
                continue
            try:
                with self.engine.begin() as connection:
                    connection.execute(
                        update(processed_events)
                        .where(
                            processed_events.c.key.in_(held),
                            processed_events.c.done_at.is_(None),
                        )
                        .values(lease_until=_now() + self.lease)
                    )
            except SQLAlchemyError as error:  # the database is away: try again next round
                log.warning(messages.log_lease_renewal_failed(len(held), error))

    def claimed(self, key: str) -> bool:
        """Whether `key` was claimed (and not pruned yet), e.g. a deleted question's mark."""
        query = select(processed_events.c.key).where(processed_events.c.key == key)
        with self.engine.connect() as connection:
            return connection.execute(query).first() is not None

    @contextmanager
    def exclusively(self, name: str) -> Iterator[bool]:
        """Hold the lock `name` across every process sharing this database while the block runs;
        yields False (and holds nothing) when another process holds it.

        On PostgreSQL a session advisory lock (released if the process dies); elsewhere always
        True: one machine, where the ingest's own file lock keeps re-ingests apart.
        """
        if self.engine.dialect.name != "postgresql":
            yield True
            return
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        with self.engine.connect() as connection:
            held = connection.execute(select(func.pg_try_advisory_lock(key))).scalar_one()
            connection.commit()
            try:
                yield bool(held)
            finally:
                if held:
                    connection.execute(select(func.pg_advisory_unlock(key)))
                    connection.commit()

    def ping(self) -> None:
        """One round trip to the database (readiness); raises when it cannot be reached."""
        with self.engine.connect() as connection:
            connection.execute(select(1)).scalar_one()

    # -- answers and history ---------------------------------------------------------------

    def remember_answer(
        self,
        *,
        channel: str,
        thread_ts: str | None,
        asker: str,
        question: str,
        answer: str,
        cited_docs: list[str],
    ) -> str:
        """Store a posted answer; returns its id (what feedback buttons carry)."""
        answer_id = uuid.uuid4().hex
        with self.engine.begin() as connection:
            connection.execute(
                insert(answers).values(
                    id=answer_id,
                    channel=channel,
                    thread_ts=thread_ts,
                    asker=asker,
                    question=question,
                    answer=answer,
                    cited_docs=json.dumps(cited_docs),
                    created_at=_now(),
                )
            )
        return answer_id

    def history(
        self,
        channel: str,
        thread_ts: str,
        *,
        turns: int = HISTORY_TURNS,
        max_age: timedelta = HISTORY_MAX_AGE,
    ) -> list[Turn]:
        """The latest turns of a conversation, oldest first: at most `turns`, none older than
        `max_age`."""
        since = _now() - max_age
        query = (
            select(answers.c.question, answers.c.answer)
            .where(answers.c.channel == channel, answers.c.thread_ts == thread_ts)
            .where(answers.c.created_at >= since)
            .order_by(answers.c.created_at.desc())
            .limit(turns)
        )
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return [Turn(question=row.question, answer=row.answer) for row in reversed(rows)]

    def has_answered_in(self, channel: str, thread_ts: str, *, asker: str | None = None) -> bool:
        """Whether the bot answered in this thread recently (so replies there may be
        follow-ups); with `asker`, whether it answered that person there."""
        since = _now() - HISTORY_MAX_AGE
        query = (
            select(answers.c.id)
            .where(answers.c.channel == channel, answers.c.thread_ts == thread_ts)
            .where(answers.c.created_at >= since)
            .limit(1)
        )
        if asker is not None:
            query = query.where(answers.c.asker == asker)
        with self.engine.connect() as connection:
            return connection.execute(query).first() is not None

    # -- feedback --------------------------------------------------------------------------

    def record_vote(self, *, answer_id: str, user_id: str, vote: int) -> bool:
        """Store a person's 👍 (+1) or 👎 (-1) on an answer; a second click changes the vote.

        False when the answer is unknown (pruned, or never stored).
        """
        if vote not in (1, -1):
            raise ValueError("vote must be +1 or -1")
        with self.engine.begin() as connection:
            row = connection.execute(select(answers).where(answers.c.id == answer_id)).first()
            if row is None:
                return False
            now = _now()
            changed = connection.execute(
                update(feedback)
                .where(feedback.c.answer_id == answer_id, feedback.c.user_id == user_id)
                # A 👍 after a 👎 takes back what was said against the answer.
                .values(vote=vote, updated_at=now, **(_NO_REASON if vote > 0 else {}))
            )
            if changed.rowcount:
                return True
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    insert(feedback).values(
                        answer_id=answer_id,
                        user_id=user_id,
                        vote=vote,
                        question=row.question,
                        answer=row.answer,
                        cited_docs=row.cited_docs,
                        created_at=now,
                        updated_at=now,
                    )
                )
        except IntegrityError:  # the same person's other click won the race: it stands
            pass
        return True

    def feedback_summary(self, *, recent: int = 10) -> FeedbackSummary:
        """Totals, votes per cited document, and the latest questions voted down."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(
                    feedback.c.vote,
                    feedback.c.question,
                    feedback.c.cited_docs,
                    feedback.c.updated_at,
                    feedback.c.reason,
                    feedback.c.comment,
                ).order_by(feedback.c.updated_at.desc())
            ).all()
        per_doc: dict[str, Counter] = {}
        for row in rows:
            for doc in json.loads(row.cited_docs):
                per_doc.setdefault(doc, Counter())["up" if row.vote > 0 else "down"] += 1
        documents = [
            DocumentVotes(doc=doc, up=counts["up"], down=counts["down"])
            for doc, counts in per_doc.items()
        ]
        documents.sort(key=lambda d: (-(d.up + d.down), d.doc))
        recent_down = [
            DownVote(
                question=row.question,
                cited_docs=json.loads(row.cited_docs),
                at=_aware(row.updated_at),
                reason=known_reason(row.reason),
                comment=row.comment,
            )
            for row in rows
            if row.vote < 0
        ][:recent]
        reasons = Counter(
            reason for row in rows if row.vote < 0 and (reason := known_reason(row.reason))
        )
        return FeedbackSummary(
            up=sum(1 for row in rows if row.vote > 0),
            down=sum(1 for row in rows if row.vote < 0),
            documents=documents,
            recent_down=recent_down,
            reasons=dict(reasons.most_common()),
        )

    # -- the knowledge base's history -------------------------------------------------------

    def record_change(self, change: KnowledgeChange) -> None:
        """Keep one add, update or remove of a document (kept for good: it is the audit trail)."""
        with self.engine.begin() as connection:
            connection.execute(insert(knowledge_changes).values(**change.model_dump()))

    def knowledge_history(self, *, latest: int = 50) -> list[KnowledgeChange]:
        """The latest changes, newest first."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(knowledge_changes)
                .order_by(knowledge_changes.c.at.desc(), knowledge_changes.c.id.desc())
                .limit(latest)
            ).all()
        return [KnowledgeChange(**{**row._mapping, "at": _aware(row.at)}) for row in rows]

    def record_reason(
        self,
        *,
        answer_id: str,
        user_id: str,
        reason: FeedbackReason | None,
        comment: str | None = None,
    ) -> bool:
        """Attach why to a person's 👎 (a reason, a comment, or both; what is None is kept).

        False when that person has no 👎 on that answer (never voted, or voted 👍 since).
        """
        values: dict[str, object] = {"updated_at": _now()}
        if reason is not None:
            values["reason"] = FeedbackReason(reason).value
        if comment is not None:
            values["comment"] = comment.strip()[:COMMENT_MAX_CHARS] or None
        with self.engine.begin() as connection:
            changed = connection.execute(
                update(feedback)
                .where(
                    feedback.c.answer_id == answer_id,
                    feedback.c.user_id == user_id,
                    feedback.c.vote < 0,
                )
                .values(**values)
            )
            return bool(changed.rowcount)

    # -- channel settings ------------------------------------------------------------------

    def channel_mode(self, channel: str) -> ChannelMode | None:
        """What admins set for `channel` (None: nothing, the default applies)."""
        with self.engine.connect() as connection:
            mode = connection.execute(
                select(channel_settings.c.mode).where(channel_settings.c.channel == channel)
            ).scalar_one_or_none()
        return (
            ChannelMode(mode)
            if isinstance(mode, str) and mode in ChannelMode._value2member_map_
            else None
        )

    def channel_modes(self) -> dict[str, ChannelMode]:
        """Every channel with a setting of its own."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(channel_settings.c.channel, channel_settings.c.mode).order_by(
                    channel_settings.c.channel
                )
            ).all()
        return {
            row.channel: ChannelMode(row.mode)
            for row in rows
            if row.mode in ChannelMode._value2member_map_
        }

    def set_channel_mode(self, channel: str, mode: ChannelMode | None, *, by: str) -> None:
        """Set (or with None, remove) the setting of a channel."""
        with self.engine.begin() as connection:
            connection.execute(
                delete(channel_settings).where(channel_settings.c.channel == channel)
            )
            if mode is not None:
                connection.execute(
                    insert(channel_settings).values(
                        channel=channel,
                        mode=ChannelMode(mode).value,
                        updated_by=by,
                        updated_at=_now(),
                    )
                )

    # -- assistant threads -----------------------------------------------------------------

    def save_thread_context(self, channel: str, thread_ts: str, context: dict[str, str]) -> None:
        """Keep the context Slack sent for an assistant thread (it replaces the previous one)."""
        encoded = json.dumps(context, sort_keys=True)
        with self.engine.begin() as connection:
            changed = connection.execute(
                update(assistant_threads)
                .where(
                    assistant_threads.c.channel == channel,
                    assistant_threads.c.thread_ts == thread_ts,
                )
                .values(context=encoded, updated_at=_now())
            )
            if changed.rowcount:
                return
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    insert(assistant_threads).values(
                        channel=channel,
                        thread_ts=thread_ts,
                        context=encoded,
                        titled=0,
                        updated_at=_now(),
                    )
                )
        except IntegrityError:  # saved meanwhile by another delivery: retry as an update
            self.save_thread_context(channel, thread_ts, context)

    def thread_context(self, channel: str, thread_ts: str) -> dict[str, str] | None:
        """The context last saved for an assistant thread (None: Slack sent none)."""
        with self.engine.connect() as connection:
            encoded = connection.execute(
                select(assistant_threads.c.context).where(
                    assistant_threads.c.channel == channel,
                    assistant_threads.c.thread_ts == thread_ts,
                )
            ).scalar_one_or_none()
        return json.loads(encoded) if encoded else None

    def claim_thread_title(self, channel: str, thread_ts: str) -> bool:
        """True once per assistant thread: the first question gives the thread its title."""
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    insert(assistant_threads).values(
                        channel=channel,
                        thread_ts=thread_ts,
                        context="{}",
                        titled=1,
                        updated_at=_now(),
                    )
                )
            return True
        except IntegrityError:
            pass
        with self.engine.begin() as connection:
            changed = connection.execute(
                update(assistant_threads)
                .where(
                    assistant_threads.c.channel == channel,
                    assistant_threads.c.thread_ts == thread_ts,
                    assistant_threads.c.titled == 0,
                )
                .values(titled=1)
            )
            return bool(changed.rowcount)

    # -- housekeeping ----------------------------------------------------------------------

    def prune(self) -> None:
        """Delete event ids and answers past their retention."""
        now = _now()
        with self.engine.begin() as connection:
            connection.execute(
                delete(processed_events).where(
                    processed_events.c.created_at < now - EVENT_RETENTION
                )
            )
            connection.execute(delete(answers).where(answers.c.created_at < now - ANSWER_RETENTION))
            connection.execute(
                delete(assistant_threads).where(
                    assistant_threads.c.updated_at < now - ANSWER_RETENTION
                )
            )

    def _prune_now_and_then(self) -> None:
        if time.monotonic() - self._last_prune < PRUNE_EVERY_SECONDS:
            return
        with self._prune_lock:
            if time.monotonic() - self._last_prune < PRUNE_EVERY_SECONDS:
                return
            self._last_prune = time.monotonic()
        self.prune()

    def close(self) -> None:
        self._closed.set()
        if self._renewer is not None:
            self._renewer.join(timeout=5)
        self.engine.dispose()
