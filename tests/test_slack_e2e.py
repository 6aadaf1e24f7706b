"""End to end: the real Bolt app over real HTTP, driven by the Slack emulator as people would.

Requests are signed as Slack signs them and shaped as Slack documents them; the bot calls the
emulator's Web API, whose call log and state the tests read. The main flows use the real answer
engine and the real recommendation over the session's index of knowledge/.
"""

import json
import logging
import time

import httpx
import pytest
from typer.testing import CliRunner

from bot.assessment import IntakeAnswers, recommend
from bot.slack import messages
from bot.slack.blocks import FEEDBACK_ACTION, RECOMMENDATION_EVENT, SHARE_ACTION
from bot.slack.conversations import delivery_keys
from bot.slack.modal import LAST_STEP, questions_of
from bot.slack.server import EVENTS_PATH
from tests.slack_helpers import (
    ADMIN,
    ALICE,
    BOB,
    GENERAL,
    RANDOM,
    HeldAnswerer,
    RecordingAnswerer,
    block_texts,
    cited_answer,
)

QUESTION = "How much labeled data does fine-tuning need?"


def event_type(delivery) -> str:
    return json.loads(delivery.body)["event"]["type"]


# -- conversations -------------------------------------------------------------------------


def test_mention_is_answered_in_its_thread_with_sources_and_feedback_buttons(harness, caplog):
    caplog.set_level(logging.INFO)
    slack = harness.slack
    said = slack.user_says(ALICE, GENERAL, f"@ai-strategy {QUESTION}")

    assert [event_type(d) for d in said.deliveries] == ["message", "app_mention"]
    assert all(d.status == 200 and d.seconds < 3 for d in said.deliveries)
    # The first answer of the session loads the model and the lexical index: a loaded CI
    # machine may take a while.
    post = slack.calls.wait("chat.postMessage", where=lambda c: c.ok, timeout=60)[0]
    assert post.args["thread_ts"] == said.ts
    reply = slack.replies(GENERAL, said.ts)[0]
    texts = block_texts(reply["blocks"])
    assert "[1]" in texts and "*Sources*" in texts
    sources = [
        b for b in reply["blocks"] if b["type"] == "context" and "*Sources*" in block_texts([b])
    ]
    assert sources and "[1] " in block_texts(sources)
    feedback = reply["blocks"][-1]
    assert feedback["type"] == "context_actions"
    assert [e["action_id"] for e in feedback["elements"]] == [FEEDBACK_ACTION]
    assert reply["text"]  # the fallback for notifications

    methods = [c.method for c in slack.calls() if c.method != "auth.test"]
    # Progress shows in the thread until the answer is posted (which clears it).
    assert methods.index("assistant.threads.setStatus") < methods.index("chat.postMessage")
    harness.settle()
    assert len(harness.posts()) == 1  # the message event of the same post is not answered again
    assert QUESTION not in caplog.text  # message text stays out of the logs


def test_direct_message_is_answered_in_the_dm(harness):
    slack = harness.slack
    dm = slack.workspace.dm_with(ALICE).id
    said = slack.user_says(ALICE, dm, QUESTION)

    assert [event_type(d) for d in said.deliveries] == ["message"]
    post = slack.calls.wait("chat.postMessage", where=lambda c: c.ok)[0]
    assert post.response["channel"] == dm
    assert not post.args.get("thread_ts")  # a DM answer is not tucked into a thread
    assert "*Sources*" in block_texts(post.args["blocks"])


@pytest.mark.parametrize("under", ["answer", "question"])
def test_a_reply_in_a_thread_of_the_dm_is_a_follow_up_of_the_dm(make_harness, engines, under):
    recorder = RecordingAnswerer(engines.answer)
    harness = make_harness(answer=recorder)
    slack = harness.slack
    dm = slack.workspace.dm_with(ALICE).id
    said = slack.user_says(ALICE, dm, QUESTION)
    answer = slack.calls.wait("chat.postMessage", where=lambda c: c.ok)[0]
    thread = answer.response["ts"] if under == "answer" else said.ts
    harness.settle()  # she reads the answer first

    slack.user_says(ALICE, dm, "And how long does that take?", thread_ts=thread)
    slack.calls.wait("chat.postMessage", count=2, where=lambda c: c.ok)
    slack.user_says(ALICE, dm, "And what does it cost?", thread_ts=thread)
    slack.calls.wait("chat.postMessage", count=3, where=lambda c: c.ok)

    assert [call.args.get("thread_ts") for call in harness.posts(dm)] == [None, thread, thread]
    histories = [[turn.question for turn in history] for _, history in recorder.asked]
    assert histories == [[], [QUESTION], [QUESTION, "And how long does that take?"]]
    assert slack.calls("assistant.threads.setTitle") == []  # no assistant thread


def test_the_askers_reply_in_the_bots_thread_is_a_follow_up_with_its_history(make_harness, engines):
    recorder = RecordingAnswerer(engines.answer)
    harness = make_harness(answer=recorder)
    slack = harness.slack
    said = slack.user_says(ALICE, GENERAL, f"@ai-strategy {QUESTION}")
    slack.calls.wait("chat.postMessage", where=lambda c: c.ok)

    follow_up = slack.user_says(ALICE, GENERAL, "And how long does that take?", thread_ts=said.ts)

    assert [event_type(d) for d in follow_up.deliveries] == ["message"]
    slack.calls.wait("chat.postMessage", count=2, where=lambda c: c.ok)
    assert all(call.args["thread_ts"] == said.ts for call in harness.posts())
    (_, history), (second, follow_history) = recorder.asked
    assert history == [] and second == "And how long does that take?"
    assert [turn.question for turn in follow_history] == [QUESTION]


def test_what_the_bot_does_not_answer(make_harness, engines):
    recorder = RecordingAnswerer(engines.answer)
    harness = make_harness(answer=recorder)
    slack, ws = harness.slack, harness.slack.workspace
    chatter = slack.user_says(ALICE, GENERAL, "Lunch anyone?")  # no mention
    slack.user_says(BOB, GENERAL, "@ai-strategy thanks!")  # nothing asked
    slack.user_says(BOB, GENERAL, "me!", thread_ts=chatter.ts)  # a thread the bot is not in
    base = {"channel": GENERAL, "channel_type": "channel", "event_ts": ws.next_ts()}
    ignored = [
        {
            "type": "message",
            "subtype": "message_changed",
            "hidden": True,
            **base,
            "message": {
                "type": "message",
                "user": ALICE,
                "text": f"<@{ws.bot_user_id}> edited",
                "ts": chatter.ts,
            },
        },
        {
            "type": "message",
            "subtype": "message_deleted",
            "hidden": True,
            "deleted_ts": chatter.ts,
            **base,
        },
        {
            "type": "message",
            "subtype": "channel_join",
            "user": BOB,
            "text": "<@U0BOB> has joined",
            "ts": ws.next_ts(),
            **base,
        },
        {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": "B0OTHER",
            "text": "a webhook",
            "ts": ws.next_ts(),
            **base,
        },
        {
            "type": "message",
            "user": "U0OTHERBOT",
            "bot_id": "B0OTHER",
            "text": "another bot",
            "ts": ws.next_ts(),
            **base,
        },
        {
            "type": "app_mention",
            "user": ws.bot_user_id,
            "bot_id": ws.bot_id,
            "text": f"<@{ws.bot_user_id}> me",
            "ts": ws.next_ts(),
            "channel": GENERAL,
            "event_ts": ws.next_ts(),
        },
    ]
    assert all(slack.deliver_event(event).status == 200 for event in ignored)

    harness.settle()
    assert recorder.asked == []
    assert harness.posts() == [] and slack.calls("reactions.add") == []


@pytest.mark.parametrize(
    "after", ["", "  \n", "\u200b\u2060", " hi there!", " help?", " ???", " *?*"]
)
def test_a_bare_mention_gets_help(harness, after):
    said = harness.slack.user_says(ALICE, GENERAL, f"@ai-strategy{after}")
    post = harness.slack.calls.wait("chat.postMessage", where=lambda c: c.ok)[0]
    assert post.args["thread_ts"] == said.ts
    assert "/ai-strategy" in post.args["text"] and "Try:" in post.args["text"]


@pytest.mark.parametrize("greeting", ["hello", ":wave:", "help", "@ai-strategy"])
def test_a_greeting_in_a_dm_gets_help(harness, greeting):
    dm = harness.slack.workspace.dm_with(ALICE).id
    harness.slack.user_says(ALICE, dm, greeting)
    post = harness.slack.calls.wait("chat.postMessage", where=lambda c: c.ok)[0]
    assert post.response["channel"] == dm and "Try:" in post.args["text"]


def test_a_retry_arriving_while_the_first_attempt_runs_is_not_answered_twice(make_harness, engines):
    held = HeldAnswerer(engines.answer)
    harness = make_harness(answer=held)
    slack = harness.slack
    said = slack.user_says(ALICE, GENERAL, f"@ai-strategy {QUESTION}")
    mention = next(d for d in said.deliveries if event_type(d) == "app_mention")
    assert held.started.wait(60)

    retries = [slack.redeliver(mention, retry_num=n, reason="http_timeout") for n in (1, 2, 3)]
    assert [r.status for r in retries] == [200, 200, 200]
    assert max(r.seconds for r in retries) < 3
    held.release.set()
    slack.calls.wait("chat.postMessage", where=lambda c: c.ok)
    harness.settle()
    assert len(harness.posts(GENERAL)) == 1
    assert len(slack.calls("assistant.threads.setStatus")) == 1


def test_a_question_is_claimed_by_its_delivery_and_by_its_message():
    event = {"channel": "C1", "ts": "1.5", "client_msg_id": "m-1"}
    assert delivery_keys({"event_id": "Ev1"}, event) == ["event:Ev1", "message:C1:1.5"]
    assert delivery_keys({}, event) == ["client_msg:m-1", "message:C1:1.5"]


def test_two_replicas_sharing_a_database_answer_a_redelivered_event_once(
    make_harness, indexed_settings, engines, tmp_path
):
    from bot.slack.app import create_app
    from bot.slack.server import ThreadedServer, create_http_app
    from bot.storage import Store

    harness = make_harness()
    replica = create_app(
        harness.settings, engines=engines, store=Store(harness.settings.resolved_database_url)
    )
    server = ThreadedServer(create_http_app(replica))
    server.start()
    try:
        said = harness.slack.user_says(ALICE, GENERAL, f"@ai-strategy {QUESTION}")
        mention = next(d for d in said.deliveries if event_type(d) == "app_mention")
        harness.slack.connect(server.url + EVENTS_PATH)
        assert harness.slack.redeliver(mention).status == 200
        harness.slack.calls.wait("chat.postMessage", where=lambda c: c.ok)
        harness.settle()
        assert replica.work.wait_idle(30)
        assert len(harness.posts(GENERAL)) == 1
    finally:
        server.stop()
        replica.close()


def test_bad_signature_and_stale_timestamp_are_rejected_and_not_logged(harness, caplog):
    caplog.set_level(logging.DEBUG)
    slack, ws = harness.slack, harness.slack.workspace
    secret_question = "What is the launch plan for Project Nightingale?"
    event = {
        "type": "app_mention",
        "user": ALICE,
        "text": f"<@{ws.bot_user_id}> {secret_question}",
        "ts": ws.next_ts(),
        "channel": GENERAL,
        "event_ts": ws.next_ts(),
    }
    from slack_emulator.requests import JSON, event_body

    body = event_body(ws, event)
    forged = slack.send_raw("event", body, JSON, signing_secret="not-the-secret")
    stale = slack.send_raw("event", body, JSON, timestamp=int(time.time()) - 6 * 60)

    assert (forged.status, stale.status) == (401, 401)
    harness.settle()
    assert [c.method for c in slack.calls()] == ["auth.test"]
    assert "Nightingale" not in caplog.text
    assert "invalid signature" in caplog.text


def test_a_rate_limited_post_is_retried_after_retry_after(harness):
    slack = harness.slack
    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    said = slack.user_says(ALICE, GENERAL, f"@ai-strategy {QUESTION}")

    limited, posted = slack.calls.wait("chat.postMessage", count=2)[:2]
    assert (limited.status, posted.status) == (429, 200)
    assert posted.at - limited.at >= 1.0
    harness.settle()
    assert [c.args["thread_ts"] for c in harness.posts()] == [said.ts]


def test_an_engine_failure_is_an_apology_with_an_error_id_and_the_bot_keeps_serving(
    make_harness, engines, caplog
):
    failures = iter([RuntimeError("the engine broke")])

    def failing_once(question, history=()):
        failure = next(failures, None)
        if failure:
            raise failure
        return engines.answer(question, history)

    harness = make_harness(answer=failing_once)
    slack = harness.slack
    first = slack.user_says(ALICE, GENERAL, f"@ai-strategy {QUESTION}")
    apology = slack.calls.wait("chat.postMessage", where=lambda c: c.ok)[0]
    harness.settle()

    assert apology.args["thread_ts"] == first.ts
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    error_id = errors[0].getMessage().split("error id ")[1].split("]")[0]
    assert f"`{error_id}`" in apology.args["text"]
    assert "reactions" not in slack.workspace.find_message(GENERAL, first.ts)
    assert not slack.calls("reactions.add")  # the status showed progress instead

    second = slack.user_says(BOB, GENERAL, f"@ai-strategy {QUESTION}")
    slack.calls.wait("chat.postMessage", count=2, where=lambda c: c.ok)
    assert "*Sources*" in block_texts(harness.posts(thread_ts=second.ts)[0].args["blocks"])


def test_after_an_apology_the_asker_can_try_again_in_the_thread_without_a_mention(
    make_harness, engines
):
    failures = iter([RuntimeError("the engine broke")])

    def failing_once(question, history=()):
        if next(failures, None):
            raise RuntimeError("the engine broke")
        return engines.answer(question, history)

    harness = make_harness(answer=failing_once)
    slack = harness.slack
    first = slack.user_says(ALICE, GENERAL, f"@ai-strategy {QUESTION}")
    slack.calls.wait("chat.postMessage", where=lambda c: c.ok)
    harness.settle()

    slack.user_says(ALICE, GENERAL, QUESTION, thread_ts=first.ts)  # "please try again"

    slack.calls.wait("chat.postMessage", count=2, where=lambda c: c.ok)
    retried = harness.posts(thread_ts=first.ts)[1]
    assert "*Sources*" in block_texts(retried.args["blocks"])


def test_a_long_answer_is_split_into_messages_slack_accepts(make_harness):
    paragraph = (
        "**Fine-tuning** adapts a model's weights with labeled examples [1]; see "
        "[the guide](https://example.com/guide?a=1&b=2) and remember `x < y` [2].\n\n"
        "- a point about data [1]\n- a point about cost [2]\n\n"
    )
    long_text = paragraph * 250  # about 60,000 characters

    harness = make_harness(
        answer=lambda question, history=(): cited_answer(question, long_text, citations=14)
    )
    said = harness.slack.user_says(ALICE, GENERAL, f"@ai-strategy {QUESTION}")
    harness.slack.calls.wait(
        "chat.postMessage", where=lambda c: "context_actions" in json.dumps(c.args["blocks"])
    )

    calls = harness.slack.calls("chat.postMessage")
    assert all(call.ok for call in calls), [c.response for c in calls if not c.ok]
    assert len(calls) >= 5
    assert all(call.args["thread_ts"] == said.ts for call in calls)
    assert "*Sources*" not in block_texts(calls[0].args["blocks"])
    last = calls[-1].args["blocks"]
    assert "*Sources*" in block_texts(last) and last[-1]["type"] == "context_actions"


# -- feedback ------------------------------------------------------------------------------


def test_a_feedback_click_is_stored_and_summarized(harness, monkeypatch):
    slack = harness.slack
    slack.user_says(ALICE, GENERAL, f"@ai-strategy {QUESTION}")
    post = slack.calls.wait("chat.postMessage", where=lambda c: c.ok)[0]

    answer_id = post.args["blocks"][-1]["elements"][0]["positive_button"]["value"][3:]
    clicks = [
        slack.click(BOB, GENERAL, post.response["ts"], FEEDBACK_ACTION, value=f"down:{answer_id}"),
        slack.click(ALICE, GENERAL, post.response["ts"], FEEDBACK_ACTION, value=f"up:{answer_id}"),
    ]

    assert [c.status for c in clicks] == [200, 200]
    thanks = slack.calls.wait("response_url", count=2)
    assert all(call.args["response_type"] == "ephemeral" for call in thanks)
    summary = harness.bot.store.feedback_summary()
    assert (summary.up, summary.down) == (1, 1)
    assert summary.documents  # the documents the answer cited are kept with the votes
    assert summary.recent_down[0].question == QUESTION

    from bot.cli import app

    monkeypatch.setenv("AI_STRATEGY_DATABASE_URL", harness.settings.resolved_database_url)
    result = CliRunner().invoke(app, ["feedback"])
    assert result.exit_code == 0, result.output
    assert "2 votes: 👍 1, 👎 1 (50% helpful)" in result.output
    assert QUESTION in result.output
    data = json.loads(CliRunner().invoke(app, ["feedback", "--json"]).output)
    assert (data["up"], data["down"], data["total"]) == (1, 1, 2)


# -- /ai-strategy --------------------------------------------------------------------------


def test_the_command_opens_the_intake_modal_at_once(harness):
    slack = harness.slack
    delivery = slack.run_command(ALICE, GENERAL)

    assert delivery.status == 200 and delivery.seconds < 3
    opened = slack.calls.wait("views.open")[0]
    assert opened.ok  # the trigger was used within its 3 seconds
    (view,) = slack.open_views(ALICE)
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert [b["block_id"] for b in inputs] == [q.field for q in questions_of(1)]
    for block, question in zip(inputs, questions_of(1), strict=True):
        if question.options:
            assert [o["value"] for o in block["element"]["options"]] == list(question.values)


def choose(question):
    """An answer to one intake question: the last option, or a short use case."""
    return question.values[-1] if question.options else "Classify support tickets by product area."


def test_the_modal_walk_ends_in_a_recommendation_by_dm_that_can_be_shared(harness, knowledge_index):
    slack = harness.slack
    slack.run_command(ALICE, GENERAL)
    slack.calls.wait("views.open")
    answers = {}

    too_long = {q.field: choose(q) for q in questions_of(1)} | {"use_case": "x" * 600}
    assert slack.submit_view(ALICE, too_long).status == 200
    (view,) = slack.open_views(ALICE)
    assert set(view["errors"]) == {"use_case"}  # shown under its input; the step stays
    for step in range(1, LAST_STEP + 1):
        values = {q.field: choose(q) for q in questions_of(step)}
        answers |= values
        delivery = slack.submit_view(ALICE, values)
        assert delivery.status == 200 and delivery.seconds < 3
        assert len(slack.open_views(ALICE)) == (step + 1 if step < LAST_STEP else 0)

    post = slack.calls.wait("chat.postMessage", where=lambda c: c.ok)[0]
    assert post.args["channel"] == ALICE  # a DM from the app, by user id
    assert post.response["channel"] == slack.workspace.dm_with(ALICE).id
    expected = recommend(IntakeAnswers.model_validate(answers), knowledge_index).report()
    assert post.args["metadata"] == {
        "event_type": RECOMMENDATION_EVENT,
        "event_payload": {
            "recommendation": expected["recommendation"],
            "confidence": expected["confidence"],
        },
    }
    blocks = post.args["blocks"]
    assert blocks[0]["type"] == "header"
    assert "*Sources*" in block_texts(blocks) and "[1]" in block_texts(blocks)

    shared = slack.click(ALICE, post.response["channel"], post.response["ts"], SHARE_ACTION)
    assert shared.status == 200
    in_channel = slack.calls.wait("chat.postMessage", count=2, where=lambda c: c.ok)[1]
    assert in_channel.response["channel"] == GENERAL
    assert in_channel.args["metadata"] == post.args["metadata"]
    assert SHARE_ACTION not in json.dumps(in_channel.args["blocks"])
    assert f"<@{ALICE}>" in block_texts(in_channel.args["blocks"])


def test_sharing_to_a_channel_the_bot_is_not_in_explains_what_to_do(harness):
    slack = harness.slack
    slack.run_command(ALICE, RANDOM)
    slack.calls.wait("views.open")
    for step in range(1, LAST_STEP + 1):
        slack.submit_view(ALICE, {q.field: choose(q) for q in questions_of(step)})
    post = slack.calls.wait("chat.postMessage", where=lambda c: c.ok)[0]

    slack.click(ALICE, post.response["channel"], post.response["ts"], SHARE_ACTION)

    refusal = slack.calls.wait("response_url")[0]
    assert "/invite @ai-strategy" in refusal.args["text"]


def walk_to_a_recommendation(slack, channel):
    slack.run_command(ALICE, channel)
    slack.calls.wait("views.open")
    for step in range(1, LAST_STEP + 1):
        slack.submit_view(ALICE, {q.field: choose(q) for q in questions_of(step)})
    return slack.calls.wait("chat.postMessage", where=lambda c: c.ok)[0]


def test_a_recommendation_asked_for_in_a_dm_says_how_to_share_instead_of_a_button(harness):
    slack = harness.slack
    slack.workspace.add_dm("D0ALICEBOB", (ALICE, BOB))

    post = walk_to_a_recommendation(slack, "D0ALICEBOB")

    assert SHARE_ACTION not in json.dumps(post.args["blocks"])  # the bot cannot post there
    assert messages.SHARE_FROM_A_CHANNEL in block_texts(post.args["blocks"])


def test_an_old_share_button_for_a_dm_does_not_advise_an_invite(harness):
    slack = harness.slack
    slack.workspace.add_dm("D0ALICEBOB", (ALICE, BOB))
    post = walk_to_a_recommendation(slack, GENERAL)
    dm, ts = post.response["channel"], post.response["ts"]
    (shown,) = [m for m in slack.workspace.channels[dm].messages if m["ts"] == ts]
    (button,) = next(b for b in shown["blocks"] if b.get("block_id") == "share")["elements"]
    button["value"] = json.dumps(json.loads(button["value"]) | {"channel": "D0ALICEBOB"})

    slack.click(ALICE, dm, ts, SHARE_ACTION)

    refusal = slack.calls.wait("response_url")[0]
    assert "direct message" in refusal.args["text"] and "/invite" not in refusal.args["text"]


def test_a_question_after_the_command_is_answered_only_to_the_asker(harness):
    slack = harness.slack
    delivery = slack.run_command(ALICE, GENERAL, QUESTION)

    assert delivery.message()["text"] == messages.LOOKING_UP
    answer = slack.calls.wait("response_url")[0]
    assert answer.args["response_type"] == "ephemeral"
    assert "*Sources*" in block_texts(answer.args["blocks"])
    harness.settle()
    assert harness.posts() == []
    assert any(m.get("blocks") for m in slack.ephemeral_for(ALICE))


@pytest.mark.parametrize("text", ["help", "Help?", "frobnicate", "???", "?? !!"])
def test_help_and_unknown_words_get_the_usage(harness, text):
    delivery = harness.slack.run_command(ALICE, GENERAL, text)
    assert delivery.message()["text"] == messages.USAGE


@pytest.mark.parametrize("user", [ALICE, ADMIN])
@pytest.mark.parametrize(
    "text", ["add few-shot examples or fine-tune?", "Remove the need for labeled data, how?"]
)
def test_a_question_starting_with_add_or_remove_is_answered_not_taken_as_a_change(
    harness, user, text
):
    slack = harness.slack
    delivery = slack.run_command(user, GENERAL, text)
    assert delivery.message()["text"] == messages.LOOKING_UP
    answer = slack.calls.wait("response_url")[0]
    assert answer.args["response_type"] == "ephemeral" and answer.args["blocks"]


def test_reindex_runs_for_an_admin_and_reports_the_summary(make_harness, engines):
    runs = []

    def counted_reindex():
        runs.append(1)
        return engines.reindex()

    harness = make_harness(reindex=counted_reindex)
    slack = harness.slack
    refused = slack.run_command(ALICE, GENERAL, "reindex")
    assert refused.message()["text"] == messages.REINDEX_REFUSED

    started = slack.run_command(ADMIN, GENERAL, "reindex")
    assert started.message()["text"] == messages.REINDEX_STARTED and started.seconds < 3
    report = slack.calls.wait("response_url", timeout=120)[0]
    assert report.args["user"] == ADMIN and "Re-indexed" in report.args["text"]
    harness.settle()
    assert len(runs) == 1


def test_healthz(harness):
    assert httpx.get(harness.server.url + "/healthz").json() == {"status": "ok"}
