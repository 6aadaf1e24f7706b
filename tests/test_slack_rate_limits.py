"""End to end, in the fast tier: Slack rate-limits what an answer can do without.

The answer itself waits out `Retry-After` (see `test_slack_e2e`); progress, the thread read
before answering and the assistant thread's title do not: each is tried once, and the answer
goes out at once without it.
"""

import pytest

from tests.slack_helpers import (
    ALICE,
    BOB,
    GENERAL,
    RecordingAnswerer,
    cited_answer,
    start_fake_engine_harness,
)

QUESTION = "How much labeled data does fine-tuning need?"


@pytest.fixture
def recorder() -> RecordingAnswerer:
    return RecordingAnswerer(lambda question, history=(): cited_answer(question))


@pytest.fixture
def harness(tmp_path, recorder):
    harness = start_fake_engine_harness(tmp_path, recorder)
    yield harness
    harness.close()


def answered(harness, channel: str, thread_ts: str | None):
    return harness.slack.calls.wait(
        "chat.postMessage",
        where=lambda c: (
            c.ok and c.response["channel"] == channel and c.args.get("thread_ts") == thread_ts
        ),
    )


def test_a_rate_limited_status_is_not_waited_for_the_reaction_stands_in(harness):
    slack = harness.slack
    slack.fail_next("assistant.threads.setStatus", times=3, retry_after=1)

    said = slack.user_says(ALICE, GENERAL, f"@ai-strategy {QUESTION}")

    answered(harness, GENERAL, said.ts)
    harness.settle()
    assert len(slack.calls("assistant.threads.setStatus")) == 1
    assert [c.args["timestamp"] for c in slack.calls("reactions.add") if c.ok] == [said.ts]


def test_a_rate_limited_reaction_is_not_waited_for(harness):
    slack = harness.slack
    dm = slack.workspace.dm_with(ALICE).id
    slack.fail_next("reactions.add", times=3, retry_after=1)

    slack.user_says(ALICE, dm, QUESTION)

    answered(harness, dm, None)
    harness.settle()
    assert len(slack.calls("reactions.add")) == 1


def test_a_thread_that_cannot_be_read_for_now_is_not_waited_for(harness, recorder):
    slack = harness.slack
    root = slack.user_says(BOB, GENERAL, "We have 300 labeled support tickets.")
    slack.fail_next("conversations.replies", times=3, retry_after=1)

    slack.user_says(ALICE, GENERAL, "@ai-strategy should we fine-tune?", thread_ts=root.ts)

    answered(harness, GENERAL, root.ts)
    assert len(slack.calls("conversations.replies")) == 1
    assert recorder.asked == [("should we fine-tune?", [])]  # answered on its own


def test_a_rate_limited_assistant_title_is_not_waited_for(harness):
    slack = harness.slack
    dm = slack.workspace.dm_with(ALICE).id
    thread = slack.open_assistant_thread(ALICE)
    slack.fail_next("assistant.threads.setTitle", times=3, retry_after=1)

    slack.user_says(ALICE, dm, QUESTION, thread_ts=thread)

    slack.calls.wait(
        "chat.postMessage",
        where=lambda c: (
            c.ok and any(b.get("block_id") == "feedback" for b in c.args.get("blocks") or [])
        ),
    )
    assert len(slack.calls("assistant.threads.setTitle")) == 1
