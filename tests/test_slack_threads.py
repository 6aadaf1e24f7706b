"""End to end, in threads people share: when the bot speaks up and when it keeps out.

The real Bolt app over signed HTTP against the Slack emulator, as people in a channel would use
it: the bot answers who asked it, reads a thread it is mentioned in part-way, never answers an
edit twice or a deleted question, and says clearly (log, `/readyz`) when its token lacks a scope.
"""

import logging

import httpx
import pytest

from bot.slack.blocks import FEEDBACK_ACTION
from slack_emulator import DEFAULT_SCOPES
from tests.slack_helpers import (
    ALICE,
    BOB,
    GENERAL,
    HeldAnswerer,
    RecordingAnswerer,
    errors_total,
)

QUESTION = "How much labeled data does fine-tuning need?"
CAROL = "U0CAROL"


@pytest.fixture
def recorded(make_harness, engines):
    """A harness whose answer engine (the real one) records what it was asked."""

    def make(**options):
        recorder = RecordingAnswerer(engines.answer)
        return make_harness(answer=recorder, **options), recorder

    return make


def answered_thread(harness, question: str = QUESTION) -> str:
    """Alice asks the bot in #general and it answers; the thread's ts."""
    said = harness.slack.user_says(ALICE, GENERAL, f"@ai-strategy {question}")
    harness.slack.calls.wait("chat.postMessage", where=lambda c: c.ok)
    harness.settle()
    return said.ts


def test_two_people_talking_in_an_answered_thread_get_no_reply(recorded):
    harness, recorder = recorded()
    slack = harness.slack
    thread = answered_thread(harness)

    slack.user_says(BOB, GENERAL, "I think we have far fewer examples than that.", thread_ts=thread)
    slack.user_says(BOB, GENERAL, "What does the legal team think about it?", thread_ts=thread)
    slack.user_says(ALICE, GENERAL, "bob, can you check the budget first?", thread_ts=thread)

    harness.settle()
    assert len(harness.posts(GENERAL, thread_ts=thread)) == 1
    assert len(recorder.asked) == 1


def test_a_reply_addressed_to_another_person_gets_no_reply(recorded):
    harness, recorder = recorded()
    thread = answered_thread(harness)

    harness.slack.user_says(ALICE, GENERAL, "@bob can you check the budget?", thread_ts=thread)

    harness.settle()
    assert len(harness.posts(GENERAL, thread_ts=thread)) == 1
    assert len(recorder.asked) == 1


def test_the_askers_follow_up_is_answered_and_so_is_a_tagged_colleague(recorded):
    harness, recorder = recorded()
    slack = harness.slack
    thread = answered_thread(harness)

    slack.user_says(ALICE, GENERAL, "And how long does that take?", thread_ts=thread)
    slack.calls.wait("chat.postMessage", count=2, where=lambda c: c.ok)
    slack.user_says(BOB, GENERAL, "@ai-strategy what about prompt engineering?", thread_ts=thread)
    slack.calls.wait("chat.postMessage", count=3, where=lambda c: c.ok)

    harness.settle()
    assert len(harness.posts(GENERAL, thread_ts=thread)) == 3
    assert [question for question, _ in recorder.asked][1] == "And how long does that take?"
    assert [turn.question for turn in recorder.asked[1][1]] == [QUESTION]


def test_after_the_help_a_bare_mention_gets_the_askers_question_in_its_thread_is_answered(
    recorded,
):
    harness, recorder = recorded()
    slack = harness.slack
    said = slack.user_says(ALICE, GENERAL, "@ai-strategy")
    slack.calls.wait("chat.postMessage", where=lambda c: c.ok)  # the help: "reply in my thread"
    harness.settle()

    slack.user_says(BOB, GENERAL, "I would like to know too.", thread_ts=said.ts)
    slack.user_says(ALICE, GENERAL, QUESTION, thread_ts=said.ts)

    slack.calls.wait("chat.postMessage", count=2, where=lambda c: c.ok)
    harness.settle()
    assert [question for question, _ in recorder.asked] == [QUESTION]
    assert len(harness.posts(GENERAL, thread_ts=said.ts)) == 2


@pytest.mark.parametrize(
    ("policy", "answered_from_bob"), [("anyone", True), ("mentions", False), ("asker", False)]
)
def test_the_thread_replies_setting(recorded, policy, answered_from_bob):
    harness, recorder = recorded(settings={"thread_replies": policy})
    thread = answered_thread(harness)

    harness.slack.user_says(BOB, GENERAL, "And how long does that take?", thread_ts=thread)

    harness.settle()
    assert len(recorder.asked) == (2 if answered_from_bob else 1)


def test_a_mention_part_way_through_a_thread_is_answered_from_what_people_wrote(recorded):
    harness, recorder = recorded()
    slack = harness.slack
    ws = slack.workspace
    ws.add_user(CAROL, "carol")
    ws.channels[GENERAL].members.add(CAROL)
    start = slack.user_says(
        ALICE, GENERAL, "We have 300 labeled support tickets. Should we fine-tune a model on them?"
    )
    slack.user_says(BOB, GENERAL, "Or just write better prompts with examples?", thread_ts=start.ts)
    said = slack.user_says(CAROL, GENERAL, "@ai-strategy what do you think?", thread_ts=start.ts)

    post = slack.calls.wait("chat.postMessage", where=lambda c: c.ok)[0]
    assert post.args["thread_ts"] == start.ts
    reads = slack.calls("conversations.replies")
    assert reads and reads[0].ok and reads[0].args["ts"] == start.ts
    question, history = recorder.asked[0]
    assert question == "what do you think?"
    assert [turn.question for turn in history] == [
        "We have 300 labeled support tickets. Should we fine-tune a model on them?",
        "Or just write better prompts with examples?",
    ]
    assert said.ts not in str(history)
    # The answer is about the thread's subject, with sources, not a decline.
    assert "*Sources*" in str(post.args["blocks"])


def test_a_thread_the_bot_cannot_read_degrades_to_the_message_alone(recorded, caplog):
    caplog.set_level(logging.INFO)
    scopes = [s for s in DEFAULT_SCOPES if s != "channels:history"]
    harness, recorder = recorded(scopes=scopes)
    slack = harness.slack
    start = slack.user_says(ALICE, GENERAL, "Fine-tuning or prompting for our ticket triage?")
    slack.user_says(BOB, GENERAL, f"@ai-strategy {QUESTION}", thread_ts=start.ts)

    post = slack.calls.wait("chat.postMessage", where=lambda c: c.ok)[0]
    assert post.args["thread_ts"] == start.ts
    assert recorder.asked == [(QUESTION, [])]
    assert "missing_scope channels:history" in caplog.text
    texts = [str(c.args.get("text")) for c in slack.calls("chat.postMessage")]
    assert not any("scope" in text or "error id" in text for text in texts)  # no apology


def test_a_missing_scope_is_reported_in_the_log_and_by_readyz(recorded, caplog):
    caplog.set_level(logging.INFO)
    scopes = [s for s in DEFAULT_SCOPES if s not in ("reactions:write", "mpim:history")]
    harness, _ = recorded(scopes=scopes)
    harness.bot.readiness.warm_up()

    ready = httpx.get(harness.server.url + "/readyz", timeout=30)

    assert ready.status_code == 503
    assert "slack" in ready.json()["failed"]
    detail = ready.json()["checks"]["slack"]["detail"]
    assert "mpim:history" in detail and "reactions:write" in detail
    assert "deploy/manifest.yaml" in detail
    assert "reactions:write" in caplog.text

    # A question is still answered; the reaction that could not be added is logged clearly
    # (a DM's top-level question has no thread for the status: the reaction shows progress).
    harness.slack.user_says(ALICE, harness.slack.workspace.dm_with(ALICE).id, QUESTION)
    harness.slack.calls.wait("chat.postMessage", where=lambda c: c.ok)
    harness.settle()
    assert "reactions.add failed: missing_scope reactions:write" in caplog.text


def test_an_edited_mention_is_answered_once(recorded):
    harness, recorder = recorded()
    slack = harness.slack
    said = slack.user_says(ALICE, GENERAL, f"@ai-strategy {QUESTION}")
    slack.calls.wait("chat.postMessage", where=lambda c: c.ok)
    harness.settle()

    edit = slack.user_edits(ALICE, GENERAL, said.ts, f"@ai-strategy {QUESTION} (for 3 classes)")
    assert [d.status for d in edit.deliveries] == [200, 200]  # message_changed, app_mention

    harness.settle()
    assert len(harness.posts(GENERAL)) == 1 and len(recorder.asked) == 1


def test_a_message_edited_to_mention_the_bot_is_answered_once(recorded):
    harness, recorder = recorded()
    slack = harness.slack
    said = slack.user_says(ALICE, GENERAL, QUESTION)
    slack.user_edits(ALICE, GENERAL, said.ts, f"@ai-strategy {QUESTION}")
    slack.calls.wait("chat.postMessage", where=lambda c: c.ok)
    slack.user_edits(ALICE, GENERAL, said.ts, f"@ai-strategy {QUESTION} Thanks!")

    harness.settle()
    assert len(harness.posts(GENERAL, thread_ts=said.ts)) == 1 and len(recorder.asked) == 1


def test_a_question_deleted_while_being_answered_is_not_answered(make_harness, engines):
    held = HeldAnswerer(engines.answer)
    harness = make_harness(answer=held)
    slack = harness.slack
    said = slack.user_says(ALICE, GENERAL, f"@ai-strategy {QUESTION}")
    assert held.started.wait(60)
    slack.user_deletes(ALICE, GENERAL, said.ts)
    held.release.set()

    harness.settle()
    assert harness.posts() == []
    # The status shown is taken down all the same (no reply came to clear it); that Slack
    # finds no thread left to clear it in is no error of the bot's.
    calls = slack.calls("assistant.threads.setStatus")
    assert calls[0].args["status"] and calls[-1].args["status"] == ""
    assert calls[-1].response["error"] == "invalid_thread_ts"
    assert errors_total(harness) == 0


def test_a_question_with_a_file_attached_is_answered_from_its_text(recorded):
    harness, recorder = recorded()
    slack = harness.slack
    dm = slack.workspace.dm_with(ALICE).id
    slack.user_says(ALICE, dm, QUESTION, files=["ticket-samples.csv"])
    post = slack.calls.wait("chat.postMessage", where=lambda c: c.ok)[0]
    assert post.response["channel"] == dm

    thread = answered_thread(harness)
    slack.user_says(ALICE, GENERAL, "And for prompting?", thread_ts=thread, files=["plan.pdf"])
    slack.calls.wait("chat.postMessage", count=3, where=lambda c: c.ok)
    assert [question for question, _ in recorder.asked] == [
        QUESTION,
        QUESTION,
        "And for prompting?",
    ]


def test_a_group_dm_works_like_a_channel(recorded):
    harness, recorder = recorded()
    slack = harness.slack
    ws = slack.workspace
    ws.add_group_dm("G0MPIM", (ALICE, BOB, ws.bot_user_id))
    said = slack.user_says(ALICE, "G0MPIM", f"@ai-strategy {QUESTION}")
    post = slack.calls.wait("chat.postMessage", where=lambda c: c.ok)[0]
    assert post.response["channel"] == "G0MPIM" and post.args["thread_ts"] == said.ts
    harness.settle()

    slack.user_says(BOB, "G0MPIM", "Sounds expensive.", thread_ts=said.ts)
    slack.user_says(ALICE, "G0MPIM", "And how long does that take?", thread_ts=said.ts)
    slack.calls.wait("chat.postMessage", count=2, where=lambda c: c.ok)
    harness.settle()
    assert [question for question, _ in recorder.asked] == [
        QUESTION,
        "And how long does that take?",
    ]


def test_a_mention_where_the_bot_is_not_a_member_reaches_nobody(harness):
    said = harness.slack.user_says(ALICE, "C0RANDOM", f"@ai-strategy {QUESTION}")
    assert said.deliveries == []


def test_feedback_is_acknowledged_in_the_answers_thread(harness):
    slack = harness.slack
    thread = answered_thread(harness)
    answer = harness.posts(GENERAL, thread_ts=thread)[-1]

    answer_id = answer.args["blocks"][-1]["elements"][0]["positive_button"]["value"][3:]
    click = slack.click(
        BOB, GENERAL, answer.response["ts"], FEEDBACK_ACTION, value=f"up:{answer_id}"
    )

    assert click.status == 200
    slack.calls.wait("response_url")
    (thanks,) = slack.ephemeral_for(BOB)
    assert thanks["thread_ts"] == thread and thanks["channel"] == GENERAL


def test_progress_shows_before_the_thread_is_read(recorded):
    harness, _ = recorded()
    slack = harness.slack
    start = slack.user_says(ALICE, GENERAL, "We have 300 labeled support tickets.")
    slack.user_says(BOB, GENERAL, "@ai-strategy should we fine-tune?", thread_ts=start.ts)

    slack.calls.wait("chat.postMessage", where=lambda c: c.ok)
    methods = [call.method for call in slack.calls()]
    progress = {"assistant.threads.setStatus", "reactions.add"}
    first_progress = next(i for i, method in enumerate(methods) if method in progress)
    # A thread read can wait on Slack's rate limits: whoever asked sees the bot at work first.
    assert first_progress < methods.index("conversations.replies"), methods
