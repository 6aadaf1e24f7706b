"""End to end: Slack's AI-app surface, the App Home tab and the per-channel settings.

The real Bolt app over signed HTTP against the emulator, as in `test_slack_e2e`: the assistant
thread (suggested prompts, title, status, the viewed channel as background), the status while
answering in a channel thread and its fallback, the feedback_buttons element with a 👎 reason,
the App Home with the index facts, and a channel an admin switched off.
"""

import json

import pytest
from typer.testing import CliRunner

from bot.slack import messages
from bot.slack.blocks import ASSESSMENT_ACTION, FEEDBACK_ACTION, FEEDBACK_DOWN, FEEDBACK_UP
from bot.slack.feedback import COMMENT_ACTION, COMMENT_BLOCK, REASON_ACTION, REASON_BLOCK
from bot.slack.home import CHANNEL_ACTION, MODE_ACTION, REINDEX_ACTION
from bot.storage import ChannelMode, FeedbackReason
from ingest.pipeline import IngestSummary
from tests.slack_helpers import (
    ADMIN,
    ALICE,
    BOB,
    GENERAL,
    RANDOM,
    RecordingAnswerer,
    block_texts,
    cited_answer,
)

QUESTION = "How much labeled data does fine-tuning need?"


@pytest.fixture
def recorder() -> RecordingAnswerer:
    return RecordingAnswerer(lambda question, history=(): cited_answer(question))


@pytest.fixture
def reindexed() -> list[int]:
    return []


@pytest.fixture
def make_harness(make_harness, recorder, reindexed):
    """The bot with a recorded answerer and the session's real index behind the App Home (in
    a workspace with Slack's AI features, or without)."""

    def reindex() -> IngestSummary:
        reindexed.append(1)
        return IngestSummary(unchanged=3, chunks=42, seconds=0.5)

    def make(*, ai_features: bool = True):
        harness = make_harness(answer=recorder, reindex=reindex)
        harness.slack.workspace.ai_features = ai_features
        return harness

    return make


@pytest.fixture
def harness(make_harness):
    return make_harness()


def methods(harness) -> list[str]:
    return [call.method for call in harness.slack.calls() if call.method != "auth.test"]


def answer_post(harness, channel: str, thread_ts: str):
    """The bot's answer in a thread (the post with feedback on it)."""
    posts = harness.slack.calls.wait(
        "chat.postMessage",
        where=lambda c: (
            c.ok
            and c.response["channel"] == channel
            and c.args.get("thread_ts") == thread_ts
            and any(b.get("block_id") == "feedback" for b in c.args.get("blocks") or [])
        ),
    )
    return posts[-1]


# -- the assistant thread ------------------------------------------------------------------


def test_an_assistant_thread_gets_suggested_prompts_and_keeps_the_viewed_channel(harness):
    slack = harness.slack
    thread = slack.open_assistant_thread(ALICE, viewing=GENERAL)

    call = slack.calls.wait("assistant.threads.setSuggestedPrompts")[0]
    assert call.ok, call.response
    dm = slack.workspace.dm_with(ALICE).id
    shown = slack.assistant_thread(dm, thread)
    titles = [prompt["title"] for prompt in shown["prompts"]]
    assert titles[:-1] == list(messages.EXAMPLE_QUESTIONS)[:3]
    assert titles[-1] == "Run the assessment"
    greeting = slack.calls.wait("chat.postMessage", where=lambda c: c.ok)[0]
    assert greeting.args["thread_ts"] == thread  # greeted in the thread, not the DM
    assert harness.bot.store.thread_context(dm, thread)["channel_id"] == GENERAL

    slack.change_assistant_context(ALICE, thread, viewing=RANDOM)
    harness.settle()
    assert harness.bot.store.thread_context(dm, thread)["channel_id"] == RANDOM


def test_a_question_in_the_assistant_thread_is_titled_shown_in_progress_and_answered_there(
    harness, recorder
):
    slack = harness.slack
    slack.user_says(BOB, GENERAL, "We have 300 labeled support tickets and a tight budget.")
    harness.settle(0.1)
    thread = slack.open_assistant_thread(ALICE, viewing=GENERAL)
    slack.calls.wait("assistant.threads.setSuggestedPrompts")
    dm = slack.workspace.dm_with(ALICE).id

    slack.user_says(ALICE, dm, "What do you think we should do?", thread_ts=thread)
    answer = answer_post(harness, dm, thread)

    assert slack.assistant_thread(dm, thread)["title"] == "What do you think we should do?"
    calls = methods(harness)
    status = [
        i
        for i, call in enumerate(slack.calls())
        if call.method == "assistant.threads.setStatus" and call.args["thread_ts"] == thread
    ]
    assert status, calls
    assert status[0] < slack.calls().index(answer)  # the status shows before the answer
    assert slack.calls("assistant.threads.setStatus")[0].args["status"] == (
        messages.STATUS_SEARCHING
    )
    assert "reactions.add" not in calls  # the status replaces the :eyes: fallback
    (question, history) = recorder.asked[-1]
    assert question == "What do you think we should do?"
    # The channel she is viewing is the background of "what do you think?".
    assert [turn.question for turn in history] == [
        "We have 300 labeled support tickets and a tight budget."
    ]

    slack.user_says(ALICE, dm, "And how long would that take?", thread_ts=thread)
    harness.settle()
    assert len(slack.calls("assistant.threads.setTitle")) == 1  # titled once, by the first


def test_the_viewed_channel_is_no_background_when_the_bot_cannot_read_it(harness, recorder):
    slack = harness.slack
    slack.user_says(BOB, RANDOM, "Private chatter the bot is not part of.")
    thread = slack.open_assistant_thread(ALICE, viewing=RANDOM)  # the bot is not in #random
    dm = slack.workspace.dm_with(ALICE).id

    slack.user_says(ALICE, dm, QUESTION, thread_ts=thread)
    answer_post(harness, dm, thread)

    assert recorder.asked[-1] == (QUESTION, [])
    assert not slack.calls("conversations.history", where=lambda c: c.ok)


def test_run_the_assessment_offers_a_button_that_opens_the_modal(harness):
    slack = harness.slack
    thread = slack.open_assistant_thread(ALICE)
    dm = slack.workspace.dm_with(ALICE).id

    slack.user_says(ALICE, dm, messages.ASSISTANT_ASSESSMENT_PROMPT_MESSAGE, thread_ts=thread)
    offer = slack.calls.wait(
        "chat.postMessage",
        where=lambda c: c.ok and ASSESSMENT_ACTION in json.dumps(c.args.get("blocks")),
    )[0]
    assert offer.args["thread_ts"] == thread

    slack.click(ALICE, dm, offer.response["ts"], ASSESSMENT_ACTION)
    assert slack.calls.wait("views.open")[0].ok
    assert slack.open_views(ALICE)


# -- progress in channel threads -----------------------------------------------------------


def test_a_mention_shows_the_status_in_its_thread_before_the_answer(harness):
    slack = harness.slack
    said = slack.user_says(ALICE, GENERAL, f"@ai-strategy {QUESTION}")
    answer = answer_post(harness, GENERAL, said.ts)

    status = slack.calls("assistant.threads.setStatus")
    assert status and status[0].ok and status[0].args["thread_ts"] == said.ts
    assert slack.calls().index(status[0]) < slack.calls().index(answer)
    assert "reactions.add" not in methods(harness)
    assert answer.args["blocks"][-1]["type"] == "context_actions"


def test_without_slacks_ai_features_the_reaction_and_the_classic_buttons_stand_in(
    make_harness,
):
    harness = make_harness(ai_features=False)
    slack = harness.slack
    said = slack.user_says(ALICE, GENERAL, f"@ai-strategy {QUESTION}")
    slack.calls.wait("reactions.remove")

    posted = harness.posts(GENERAL, thread_ts=said.ts)
    assert len(posted) == 1  # the refused first try was posted again, once
    buttons = [
        element["action_id"]
        for block in posted[0].args["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert buttons == [FEEDBACK_UP, FEEDBACK_DOWN]
    calls = methods(harness)
    assert calls.index("reactions.add") < calls.index("reactions.remove")
    assert "reactions" not in slack.workspace.find_message(GENERAL, said.ts)

    slack.user_says(BOB, GENERAL, f"@ai-strategy {QUESTION}")
    slack.calls.wait("reactions.remove", count=2)
    # Learned once: neither the status nor the refused element is tried again.
    assert len(slack.calls("assistant.threads.setStatus")) == 1
    assert len(slack.calls("chat.postMessage", where=lambda c: not c.ok)) == 1


# -- feedback ------------------------------------------------------------------------------


def test_a_thumbs_down_is_acknowledged_in_the_thread_and_its_reason_stored(harness, monkeypatch):
    slack = harness.slack
    said = slack.user_says(ALICE, GENERAL, f"@ai-strategy {QUESTION}")
    answer = answer_post(harness, GENERAL, said.ts)
    answer_id = answer.args["blocks"][-1]["elements"][0]["negative_button"]["value"].split(":")[1]

    click = slack.click(
        BOB, GENERAL, answer.response["ts"], FEEDBACK_ACTION, value=f"down:{answer_id}"
    )
    assert click.status == 200
    ack = slack.calls.wait("response_url")[0]
    assert ack.args["response_type"] == "ephemeral"
    assert ack.args["thread_ts"] == said.ts  # in the answer's thread, not the channel
    (prompt,) = slack.ephemeral_for(BOB)
    assert prompt["thread_ts"] == said.ts
    assert REASON_ACTION in json.dumps(prompt["blocks"])

    slack.select(BOB, GENERAL, prompt["ts"], REASON_ACTION, FeedbackReason.SOURCES.value)
    slack.calls.wait("response_url", count=2)
    (replaced,) = slack.ephemeral_for(BOB)
    assert "Sources missing" in replaced["text"]  # the prompt was replaced by the thanks

    summary = harness.bot.store.feedback_summary()
    assert (summary.up, summary.down) == (0, 1)
    assert summary.recent_down[0].reason is FeedbackReason.SOURCES
    assert summary.reasons == {FeedbackReason.SOURCES: 1}

    from bot.cli import app

    monkeypatch.setenv("AI_STRATEGY_DATABASE_URL", harness.settings.resolved_database_url)
    result = CliRunner().invoke(app, ["feedback"])
    assert result.exit_code == 0, result.output
    assert "Sources missing or irrelevant: 1" in result.output


def test_a_thumbs_down_comment_is_written_in_a_modal_and_shown_by_the_feedback_command(
    harness, monkeypatch
):
    slack = harness.slack
    said = slack.user_says(ALICE, GENERAL, f"@ai-strategy {QUESTION}")
    answer = answer_post(harness, GENERAL, said.ts)
    answer_id = answer.args["blocks"][-1]["elements"][0]["negative_button"]["value"].split(":")[1]
    slack.click(ALICE, GENERAL, answer.response["ts"], FEEDBACK_ACTION, value=f"down:{answer_id}")
    slack.calls.wait("response_url")
    (prompt,) = slack.ephemeral_for(ALICE)

    slack.click(ALICE, GENERAL, prompt["ts"], COMMENT_ACTION)
    assert slack.calls.wait("views.open")[0].ok
    slack.submit_view(
        ALICE,
        {REASON_BLOCK: FeedbackReason.WRONG.value, COMMENT_BLOCK: "It ignored our 300 examples."},
    )
    harness.settle()

    (vote,) = harness.bot.store.feedback_summary().recent_down
    assert (vote.reason, vote.comment) == (FeedbackReason.WRONG, "It ignored our 300 examples.")
    assert not slack.open_views(ALICE)  # the modal closed

    slack.click(ALICE, GENERAL, answer.response["ts"], FEEDBACK_ACTION, value=f"up:{answer_id}")
    slack.calls.wait("response_url", count=2)
    summary = harness.bot.store.feedback_summary()
    assert (summary.up, summary.down, summary.reasons) == (1, 0, {})  # the 👍 took it back

    monkeypatch.setenv("AI_STRATEGY_DATABASE_URL", harness.settings.resolved_database_url)
    from bot.cli import app

    assert "1 votes: 👍 1, 👎 0" in CliRunner().invoke(app, ["feedback"]).output


# -- the App Home --------------------------------------------------------------------------


def home_text(harness, user: str) -> str:
    view = harness.slack.home_view(user)
    assert view is not None, "no Home tab published"
    return block_texts(view["blocks"])


def test_the_app_home_shows_the_index_facts_to_everyone_and_admin_tools_to_admins(
    harness, knowledge_index
):
    slack = harness.slack
    slack.open_home(ALICE)
    published = slack.calls.wait("views.publish")[0]
    assert published.ok, published.response
    assert published.args["user_id"] == ALICE

    version = knowledge_index.published()
    text = home_text(harness, ALICE)
    for document in version.manifest.documents.values():
        assert f"{document.title} ({document.chunks} passages)" in text
    assert f"`{version.name}`" in text
    assert f"{version.manifest.chunk_count} passages" in text
    assert "<!date^" in text  # the build time, in each reader's time zone
    assert messages.HOME_REINDEX_BUTTON not in json.dumps(slack.home_view(ALICE)["blocks"])

    slack.open_home(ADMIN)
    slack.calls.wait("views.publish", count=2)
    admin_view = json.dumps(slack.home_view(ADMIN)["blocks"])
    assert messages.HOME_REINDEX_BUTTON in admin_view
    assert "No feedback yet." in admin_view and MODE_ACTION in admin_view


def test_re_index_now_runs_for_admins_only_and_reports_in_the_home_tab(harness, reindexed):
    slack = harness.slack
    slack.open_home(ADMIN)
    slack.calls.wait("views.publish")

    slack.home_action(ADMIN, REINDEX_ACTION)
    harness.settle()
    assert reindexed == [1]
    assert "Re-indexed in 0.5 s" in home_text(harness, ADMIN)
    assert "42 chunks" in home_text(harness, ADMIN)


def set_mode_in_home(harness, channel: str, mode: str, *, opened: bool = False) -> None:
    """An admin picks the channel, then its mode, in the App Home (opened first unless it is)."""
    slack = harness.slack
    if not opened:
        slack.open_home(ADMIN)
        slack.calls.wait("views.publish")
    slack.home_action(ADMIN, CHANNEL_ACTION, channel)
    slack.home_action(ADMIN, MODE_ACTION, mode)
    harness.settle()


def test_a_channel_set_to_off_in_the_app_home_is_ignored(harness, recorder):
    slack = harness.slack
    set_mode_in_home(harness, GENERAL, ChannelMode.OFF.value)
    assert harness.bot.store.channel_mode(GENERAL) is ChannelMode.OFF
    assert f"<#{GENERAL}>: Off" in home_text(harness, ADMIN)

    said = slack.user_says(ALICE, GENERAL, f"@ai-strategy {QUESTION}")
    assert all(delivery.status == 200 for delivery in said.deliveries)
    harness.settle()
    assert not harness.posts(GENERAL)
    assert not slack.calls("assistant.threads.setStatus") and not slack.calls("reactions.add")
    assert recorder.asked == []


def test_a_channel_set_to_mentions_only_answers_no_untagged_follow_up(harness, recorder):
    slack = harness.slack
    set_mode_in_home(harness, GENERAL, ChannelMode.MENTIONS.value)

    said = slack.user_says(ALICE, GENERAL, f"@ai-strategy {QUESTION}")
    answer_post(harness, GENERAL, said.ts)
    slack.user_says(ALICE, GENERAL, "And how long does that take?", thread_ts=said.ts)
    harness.settle()
    assert [question for question, _ in recorder.asked] == [QUESTION]

    # the republished tab starts empty; back to the default (the asker)
    set_mode_in_home(harness, GENERAL, "default", opened=True)
    assert harness.bot.store.channel_mode(GENERAL) is None


def test_only_admins_change_channel_settings(harness):
    slack = harness.slack
    slack.open_home(ALICE)
    slack.calls.wait("views.publish")
    assert MODE_ACTION not in json.dumps(slack.home_view(ALICE)["blocks"])
    # A forged action from a non-admin (the picker is not shown to them) changes nothing.
    slack.open_home(ADMIN)
    slack.calls.wait("views.publish", count=2)
    admin_view = slack.home_view(ADMIN)
    slack.workspace.home_views[ALICE] = admin_view["id"]
    slack.home_action(ALICE, CHANNEL_ACTION, GENERAL)
    slack.home_action(ALICE, MODE_ACTION, ChannelMode.OFF.value)
    harness.settle()
    assert harness.bot.store.channel_mode(GENERAL) is None
