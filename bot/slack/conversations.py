"""Questions in conversations: @mentions in channels, direct messages, replies in the bot's threads.

Which messages are questions (answer `app_mention` in channels; `message` only in DMs and in
threads the bot has answered; never edits, deletions, joins, bots or itself) is decided in the
listeners, which return at once. The answer itself runs on the background pool: :eyes: on the
question, the engine, the answer posted in the thread, the reaction removed.
"""

import logging
import re
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack import messages
from bot.slack.blocks import FEEDBACK_DOWN, FEEDBACK_UP, answer_messages, text_message
from bot.slack.engines import Engines
from bot.slack.mrkdwn import from_slack
from bot.slack.ops import Metrics
from bot.slack.work import BackgroundWork
from bot.storage import Store
from bot.storage.store import HISTORY_MAX_AGE

log = logging.getLogger("bot.slack")

WORKING_REACTION = "eyes"
# A DM is one long conversation: only its recent turns are context for a follow-up.
DM_HISTORY_MAX_AGE = timedelta(hours=1)
# Replies in a bot's thread that only thank or acknowledge are not questions.
_ACKNOWLEDGEMENT = re.compile(
    r"^\W*(thanks?( you)?|thx|ty|ok(ay)?|cool|great|nice|got it|perfect|:[\w+-]+:)\W*$",
    re.IGNORECASE,
)
_HANDLED_SUBTYPES = (None, "thread_broadcast")


@dataclass(frozen=True)
class Question:
    """A question to answer and where: `reply_in` is the thread to post in (None: top level);
    `conversation` keys the history (the thread, or "" for a DM's top level)."""

    text: str
    user: str
    channel: str
    ts: str
    reply_in: str | None
    conversation: str
    taken_at: float = field(default_factory=time.perf_counter, compare=False)


def delivery_keys(body: dict[str, Any], event: dict[str, Any]) -> list[str]:
    """What a question is claimed by: the delivery (`event_id`, kept across Slack's retries;
    else `client_msg_id`), then the message itself, which can come as two events."""
    keys = []
    if body.get("event_id"):
        keys.append(f"event:{body['event_id']}")
    elif event.get("client_msg_id"):
        keys.append(f"client_msg:{event['client_msg_id']}")
    keys.append(f"message:{event['channel']}:{event['ts']}")
    return keys


class Conversations:
    """The listeners for questions asked in conversations, and for feedback on answers."""

    def __init__(
        self,
        *,
        engines: Engines,
        store: Store,
        work: BackgroundWork,
        client: WebClient,
        metrics: Metrics | None = None,
    ) -> None:
        self.engines = engines
        self.store = store
        self.work = work
        self.client = client
        self.metrics = metrics or Metrics()

    def register(self, app: App) -> None:
        app.event("app_mention")(self.on_mention)
        app.event("message")(self.on_message)
        app.action(FEEDBACK_UP)(self.on_feedback)
        app.action(FEEDBACK_DOWN)(self.on_feedback)

    # -- listeners (quick: decide, claim, hand over) ---------------------------------------

    def on_mention(self, body: dict, event: dict, context: dict) -> None:
        """An @mention in a channel: answer in the thread of the question."""
        bot_user_id = context.get("bot_user_id")
        if event.get("bot_id") or event.get("user") in (None, bot_user_id):
            return
        thread = event.get("thread_ts") or event["ts"]
        question = Question(
            text=from_slack(event.get("text", ""), bot_user_id=bot_user_id),
            user=event["user"],
            channel=event["channel"],
            ts=event["ts"],
            reply_in=thread,
            conversation=thread,
        )
        self._take(body, event, question, bot_user_id=bot_user_id)

    def on_message(self, body: dict, event: dict, context: dict) -> None:
        """A message: a question in a DM, or a follow-up in a thread the bot answered."""
        bot_user_id = context.get("bot_user_id")
        if (
            event.get("subtype") not in _HANDLED_SUBTYPES
            or event.get("bot_id")
            or event.get("user") in (None, bot_user_id)
        ):
            return
        text = event.get("text", "")
        thread = event.get("thread_ts")
        if event.get("channel_type") == "im":
            reply_in, conversation = thread, thread or ""
        elif (
            thread
            and thread != event["ts"]
            and f"<@{bot_user_id}>" not in text  # the app_mention of the same message answers it
            and self.store.has_answered_in(event["channel"], thread)
        ):
            reply_in, conversation = thread, thread
        else:
            return
        plain = from_slack(text, bot_user_id=bot_user_id)
        if not plain or _ACKNOWLEDGEMENT.match(plain):
            return
        question = Question(
            plain, event["user"], event["channel"], event["ts"], reply_in, conversation
        )
        self._take(body, event, question, bot_user_id=bot_user_id)

    def _take(
        self, body: dict, event: dict, question: Question, *, bot_user_id: str | None
    ) -> None:
        """Claim the question (see `delivery_keys`), then answer it on the background pool."""
        claimed = []
        for key in delivery_keys(body, event):
            if not self.store.claim(key):
                self.store.finish(claimed)  # this delivery is a duplicate: handled
                self.metrics.events_deduplicated.inc()
                log.info(messages.log_duplicate(key))
                return
            claimed.append(key)
        self.work.submit(self._handle_claimed, question, claimed, bot_user_id)

    def _handle_claimed(
        self, question: Question, keys: list[str], bot_user_id: str | None
    ) -> None:
        """Answer (or show help), then end the claims: only now is the event handled."""
        try:
            if not question.text:
                self._post_help(question, bot_user_id)
            else:
                self.answer(question)
        finally:
            self.store.finish(keys)

    def on_feedback(self, ack, body: dict, action: dict, respond) -> None:
        """👍/👎 on an answer: store the vote (one per person; a second click changes it)."""
        ack()
        vote = 1 if action["action_id"] == FEEDBACK_UP else -1
        answer_id = action.get("value")
        stored = isinstance(answer_id, str) and self.store.record_vote(
            answer_id=answer_id, user_id=body["user"]["id"], vote=vote
        )
        if stored:
            self.metrics.feedback_votes.labels("up" if vote > 0 else "down").inc()
        text = messages.feedback_thanks(vote) if stored else messages.feedback_expired()
        respond(text=text, response_type="ephemeral", replace_original=False)

    # -- background work -------------------------------------------------------------------

    def _post_help(self, question: Question, bot_user_id: str | None) -> None:
        message = text_message(messages.help_text(bot_user_id))
        self._post(question, message.as_arguments())

    def answer(self, question: Question) -> None:
        """Answer one question where it was asked, with progress shown and failures reported."""
        started = time.perf_counter()
        self._react(question, add=True)
        try:
            max_age = HISTORY_MAX_AGE if question.conversation else DM_HISTORY_MAX_AGE
            history = self.store.history(question.channel, question.conversation, max_age=max_age)
            answer = self.engines.answer(question.text, history)
            answer_id = self.store.remember_answer(
                channel=question.channel,
                thread_ts=question.conversation,
                asker=question.user,
                question=question.text,
                answer=answer.text,
                cited_docs=sorted({citation.doc for citation in answer.citations}),
            )
            pieces = answer_messages(answer, answer_id=answer_id)
            for piece in pieces:
                self._post(question, piece.as_arguments())
            self.metrics.delivered(
                "conversation",
                grounded=answer.grounded,
                seconds=time.perf_counter() - question.taken_at,
            )
            log.info(
                messages.log_answered(
                    channel=question.channel,
                    pieces=len(pieces),
                    citations=len(answer.citations),
                    grounded=answer.grounded,
                    ms=(time.perf_counter() - started) * 1000,
                )
            )
        except Exception as error:
            error_id = messages.new_error_id()
            self.metrics.error("answer")
            log.error(messages.log_answer_failed(error_id, error))
            log.debug("answer failed", exc_info=True)
            self._apologize(question, error_id)
        finally:
            self._react(question, add=False)

    def _post(self, question: Question, arguments: dict[str, Any]) -> None:
        self.client.chat_postMessage(
            channel=question.channel, thread_ts=question.reply_in, **arguments
        )

    def _apologize(self, question: Question, error_id: str) -> None:
        try:
            self._post(question, text_message(messages.apology(error_id)).as_arguments())
        except SlackApiError as error:
            self.metrics.error("slack_api")
            log.error(
                messages.log_slack_call_failed("chat.postMessage", error.response.get("error", ""))
            )

    def _react(self, question: Question, *, add: bool) -> None:
        """Show (or clear) work in progress on the question; not worth failing an answer for."""
        method = self.client.reactions_add if add else self.client.reactions_remove
        try:
            method(channel=question.channel, timestamp=question.ts, name=WORKING_REACTION)
        except SlackApiError as error:
            code = error.response.get("error", "")
            self.metrics.error("slack_api")
            log.warning(messages.log_slack_call_failed(method.__name__, code))
