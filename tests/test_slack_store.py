"""The bot's store: atomic claims across threads and processes, bounded history, feedback votes."""

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from bot.storage import ChannelMode, FeedbackReason, Store
from bot.storage.store import COMMENT_MAX_CHARS, HISTORY_TURNS, answers, processed_events


def url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'nested' / 'state.sqlite3'}"


def test_a_key_is_claimed_once_by_racing_threads_and_by_two_stores_on_one_database(tmp_path):
    stores = [Store(url(tmp_path)), Store(url(tmp_path))]  # as two replicas would
    barrier = threading.Barrier(16)
    wins = []

    def race(store: Store) -> None:
        barrier.wait()
        wins.append(store.claim("event:Ev123"))

    threads = [threading.Thread(target=race, args=(stores[i % 2],)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == [False] * 15 + [True]
    assert stores[0].claim("event:Ev124") is True
    for store in stores:
        store.close()


def remember(store: Store, question: str, *, channel="C1", thread="1.0") -> str:
    return store.remember_answer(
        channel=channel,
        thread_ts=thread,
        asker="U1",
        question=question,
        answer=f"answer to {question}",
        cited_docs=["doc-a", "doc-b"],
    )


def test_history_is_per_thread_bounded_and_expiring(tmp_path):
    store = Store(url(tmp_path))
    for n in range(HISTORY_TURNS + 3):
        remember(store, f"q{n}")
    remember(store, "elsewhere", thread="2.0")

    history = store.history("C1", "1.0")
    assert [turn.question for turn in history] == [f"q{n}" for n in range(3, HISTORY_TURNS + 3)]
    assert store.has_answered_in("C1", "1.0") and not store.has_answered_in("C1", "3.0")

    with store.engine.begin() as connection:
        connection.execute(update(answers).values(created_at=datetime.now(UTC) - timedelta(days=2)))
    assert store.history("C1", "1.0") == []
    assert not store.has_answered_in("C1", "1.0")
    assert len(store.history("C1", "1.0", max_age=timedelta(days=3))) == HISTORY_TURNS


def test_votes_one_per_person_changeable_and_summarized(tmp_path):
    store = Store(url(tmp_path))
    helpful, unhelpful = remember(store, "good question"), remember(store, "bad question")

    assert store.record_vote(answer_id=helpful, user_id="U1", vote=1)
    assert store.record_vote(answer_id=unhelpful, user_id="U1", vote=1)
    assert store.record_vote(answer_id=unhelpful, user_id="U1", vote=-1)  # changed their mind
    assert store.record_vote(answer_id=unhelpful, user_id="U2", vote=-1)
    assert not store.record_vote(answer_id="unknown", user_id="U1", vote=1)

    summary = store.feedback_summary()
    assert (summary.up, summary.down, summary.total) == (1, 2, 3)
    assert [(d.doc, d.up, d.down) for d in summary.documents] == [("doc-a", 1, 2), ("doc-b", 1, 2)]
    assert [vote.question for vote in summary.recent_down] == ["bad question", "bad question"]


def test_pruning_drops_old_event_ids_and_answers_but_keeps_votes(tmp_path):
    store = Store(url(tmp_path))
    answer_id = remember(store, "old question")
    store.record_vote(answer_id=answer_id, user_id="U1", vote=-1)
    store.claim("event:old")
    long_ago = datetime.now(UTC) - timedelta(days=30)
    with store.engine.begin() as connection:
        connection.execute(update(answers).values(created_at=long_ago))
        connection.execute(update(processed_events).values(created_at=long_ago))

    store.prune()

    assert store.claim("event:old") is True
    assert not store.record_vote(answer_id=answer_id, user_id="U2", vote=1)
    assert store.feedback_summary().recent_down[0].question == "old question"


def test_a_thumbs_down_keeps_its_reason_and_comment_until_taken_back(tmp_path):
    store = Store(url(tmp_path))
    answer_id = remember(store, "How much data?")
    assert not store.record_reason(answer_id=answer_id, user_id="U2", reason=FeedbackReason.WRONG)
    store.record_vote(answer_id=answer_id, user_id="U2", vote=-1)
    assert store.record_reason(answer_id=answer_id, user_id="U2", reason=FeedbackReason.WRONG)
    long_comment = "x" * 5000
    assert store.record_reason(answer_id=answer_id, user_id="U2", reason=None, comment=long_comment)
    (vote,) = store.feedback_summary().recent_down
    assert vote.reason is FeedbackReason.WRONG  # a comment alone keeps the reason picked before
    assert vote.comment == "x" * COMMENT_MAX_CHARS
    assert store.feedback_summary().reasons == {FeedbackReason.WRONG: 1}

    store.record_vote(answer_id=answer_id, user_id="U2", vote=1)
    summary = store.feedback_summary()
    assert (summary.up, summary.down, summary.reasons) == (1, 0, {})
    assert not store.record_reason(answer_id=answer_id, user_id="U2", reason=FeedbackReason.WRONG)
    store.close()


def test_channel_settings_and_assistant_threads_are_shared_by_replicas(tmp_path):
    first, second = Store(url(tmp_path)), Store(url(tmp_path))
    first.set_channel_mode("C1", ChannelMode.OFF, by="U0ADMIN")
    assert second.channel_mode("C1") is ChannelMode.OFF and second.channel_mode("C2") is None
    second.set_channel_mode("C1", ChannelMode.MENTIONS, by="U0ADMIN")
    assert first.channel_modes() == {"C1": ChannelMode.MENTIONS}
    first.set_channel_mode("C1", None, by="U0ADMIN")
    assert second.channel_modes() == {}

    first.save_thread_context("D1", "1.0", {"channel_id": "C1"})
    second.save_thread_context("D1", "1.0", {"channel_id": "C2"})
    assert first.thread_context("D1", "1.0") == {"channel_id": "C2"}
    assert first.thread_context("D1", "2.0") is None
    assert [first.claim_thread_title("D1", "1.0"), second.claim_thread_title("D1", "1.0")] == [
        True,
        False,
    ]
    assert second.claim_thread_title("D1", "3.0")  # a thread Slack sent no context for
    for store in (first, second):
        store.close()
