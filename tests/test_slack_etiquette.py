"""Which thread replies are for the bot, and what a thread read gives as history (no model)."""

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.slack.etiquette import (
    addressed_to_someone_else,
    is_acknowledgement,
    takes_thread_reply,
    wants_help,
)
from bot.slack.metrics import Metrics
from bot.slack.thread_context import THREAD_CHARACTERS, THREAD_MESSAGES, read_thread

BOT = "U0AIBOT"


@pytest.mark.parametrize(
    "text",
    [
        "<@U0BOB> can you check the budget?",
        "<@U0AIBOT> and <@U0BOB>, thoughts?",
        "@bob can you check?",
        "bob, can you check the budget first?",
        "Alice: what did legal say?",
        "hey carol, did you try it?",
    ],
)
def test_replies_addressed_to_someone_else(text):
    assert addressed_to_someone_else(text, bot_user_id=BOT)


@pytest.mark.parametrize(
    "text",
    [
        "And how long does that take?",
        "<@U0AIBOT> what about the cost?",
        "So, what about the cost?",
        "Thanks, that helps. Does it need a GPU?",
        "Fine-tuning: is it worth it for 300 examples?",
        "Ok, and for prompting?",
    ],
)
def test_replies_for_whoever_is_answering(text):
    assert not addressed_to_someone_else(text, bot_user_id=BOT)


def test_the_policies():
    question = "And how long does that take?"
    take = lambda policy, asker: takes_thread_reply(  # noqa: E731
        policy, from_asker=asker, slack_text=question, bot_user_id=BOT
    )
    assert take("asker", True) is None
    assert take("asker", False) == "not from the person who asked"
    assert take("anyone", False) is None
    assert take("mentions", True) is not None
    assert (
        takes_thread_reply(
            "anyone", from_asker=True, slack_text="bob, is that right?", bot_user_id=BOT
        )
        == "addressed to someone else"
    )
    assert is_acknowledgement("thanks!") and not is_acknowledgement("thanks, but why?")


@pytest.mark.parametrize(
    "text",
    [
        *("hi", "Hello there!", ":wave:", "👋", "good morning, all", "help", "What can you do?"),
        *("???", "*?*", "#general", "@bob", "...", "```\n```", "https://example.com"),
    ],
)
def test_a_greeting_or_a_request_for_help_wants_the_help(text):
    assert wants_help(text) and not is_acknowledgement(text)


@pytest.mark.parametrize(
    "text",
    ["hi, how much data do we need?", "hey bob", "thanks!", ":+1:", "help me choose", "1?", "PE?"],
)
def test_what_does_not_want_the_help(text):
    assert not wants_help(text)


class ThreadPages:
    """`conversations.replies` answered from a list, in pages as Slack gives them."""

    def __init__(self, messages, *, page=3, error=None):
        self.messages, self.page, self.error, self.calls = messages, page, error, 0

    def conversations_replies(self, *, channel, ts, limit, cursor=None):
        self.calls += 1
        if self.error:
            response = SlackResponse(
                client=None, http_verb="POST", api_url="", req_args={}, headers={},
                status_code=200, data={"ok": False, "error": self.error, "needed": "x:y"},
            )  # fmt: skip
            raise SlackApiError("failed", response)
        start = int(cursor or 0)
        replies = self.messages[1:]
        chunk = replies[start : start + self.page - 1]
        end = start + len(chunk)
        more = end < len(replies)
        return {
            "messages": [self.messages[0], *chunk],
            "has_more": more,
            "response_metadata": {"next_cursor": str(end) if more else ""},
        }


def message(n: int, *, user: str = "U0ALICE", text: str | None = None) -> dict:
    return {"ts": f"{100 + n}.000100", "user": user, "text": text or f"message {n}"}


def read(client, before: int = 999):
    return read_thread(
        client,
        channel="C0GENERAL",
        thread_ts=message(0)["ts"],
        before_ts=f"{100 + before}.000100",
        bot_user_id=BOT,
        metrics=Metrics(),
    )


def test_a_thread_read_pages_and_pairs_the_bots_replies_with_the_question_before():
    thread = [
        message(0, text="Fine-tuning or prompting?"),
        message(1, user=BOT, text="Prompting first [1]."),
        message(2, user="U0BOB", text="Why first?"),
        {**message(3, user="U0APP"), "bot_id": "B0OTHER"},  # another app: not a person
        {**message(4), "subtype": "channel_join"},
        message(5, text="<@U0AIBOT> what do you think?"),
    ]
    client = ThreadPages(thread, page=2)
    turns = read(client, before=5)
    assert client.calls == 5  # one reply per page
    assert [(t.question, t.answer) for t in turns] == [
        ("Fine-tuning or prompting?", "Prompting first [1]."),
        ("Why first?", ""),
    ]


def test_a_thread_read_keeps_the_newest_within_its_budget():
    many = [message(n) for n in range(THREAD_MESSAGES + 10)]
    turns = read(ThreadPages(many, page=200))
    assert [t.question for t in turns] == [f"message {n}" for n in range(10, THREAD_MESSAGES + 10)]

    long = [message(n, text=f"{n} " + "x" * 900) for n in range(10)]
    turns = read(ThreadPages(long, page=200))
    assert sum(len(t.question) for t in turns) <= THREAD_CHARACTERS
    assert turns[-1].question.startswith("9 ")  # the newest is kept


def test_a_thread_that_cannot_be_read_gives_no_history():
    assert read(ThreadPages([message(0)], error="missing_scope")) == []
    assert read(ThreadPages([message(0)], error="not_in_channel")) == []
