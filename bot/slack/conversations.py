"""Questions in conversations: @mentions in channels, direct messages, replies in the bot's threads.

Which messages are questions (answer `app_mention` in channels; `message` only in DMs and in
threads the bot has answered, as the channel's settings allow; never edits, deletions, joins,
bots or itself) is decided in the listeners, which return at once. The answer itself runs on
the background pool: progress shown (`bot.slack.progress`), the engine, the answer posted in
the thread.
"""

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.answering.models import Turn
from bot.slack import messages
from bot.slack.blocks import SlackMessage, answer_messages, has_native_feedback, text_message
from bot.slack.channel_settings import ChannelSettings
from bot.slack.engines import Engines
from bot.slack.mrkdwn import from_slack
from bot.slack.ops import Metrics
from bot.slack.progress import Progress
from bot.slack.work import BackgroundWork
from bot.storage import ChannelMode, Store
from bot.storage.store import HISTORY_MAX_AGE

log = logging.getLogger("bot.slack")

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
    # Turns from elsewhere that the question may lean on (the channel the person is viewing),
    # read on the background pool, before the conversation's own turns.
    background: Callable[[], Sequence[Turn]] | None = field(default=None, compare=False)

    def with_background(self, background: Callable[[], Sequence[Turn]]) -> "Question":
        return replace(self, background=background)


def is_acknowledgement(text: str) -> bool:
    """A reply that only thanks or acknowledges (not a question)."""
    return bool(_ACKNOWLEDGEMENT.match(text))


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
        channels: ChannelSettings | None = None,
    ) -> None:
        self.engines = engines
        self.store = store
        self.work = work
        self.client = client
        self.metrics = metrics or Metrics()
        self.channels = channels or ChannelSettings(store=store, default=ChannelMode.ASKER)
        self.progress = Progress(client=client, metrics=self.metrics)
        # Slack's feedback_buttons element until a workspace refuses it (then classic buttons).
        self.native_feedback = True

    def register(self, app: App) -> None:
        app.event("app_mention")(self.on_mention)
        app.event("message")(self.on_message)

    # -- listeners (quick: decide, claim, hand over) ---------------------------------------

    def on_mention(self, body: dict, event: dict, context: dict) -> None:
        """An @mention in a channel: answer in the thread of the question."""
        bot_user_id = context.get("bot_user_id")
        if (
            event.get("bot_id")
            or event.get("user") in (None, bot_user_id)
            or not self.channels.answers_mentions(event["channel"])
        ):
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
        self.take(body, event, question, bot_user_id=bot_user_id)

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
            and self._follows_up(event["channel"], thread, event["user"])
        ):
            reply_in, conversation = thread, thread
        else:
            return
        plain = from_slack(text, bot_user_id=bot_user_id)
        if not plain or is_acknowledgement(plain):
            return
        question = Question(
            plain, event["user"], event["channel"], event["ts"], reply_in, conversation
        )
        self.take(body, event, question, bot_user_id=bot_user_id)

    def _follows_up(self, channel: str, thread: str, user: str) -> bool:
        """An untagged reply in a thread the bot answered in, from whom the channel allows."""
        if not self.store.has_answered_in(channel, thread):
            return False
        from_asker = self.store.has_answered_in(channel, thread, asker=user)
        return self.channels.answers_follow_up(channel, from_asker=from_asker)

    def take(
        self,
        body: dict,
        event: dict,
        question: Question,
        *,
        bot_user_id: str | None,
        reply: SlackMessage | None = None,
    ) -> None:
        """Claim the question (see `delivery_keys`), then answer it on the background pool
        (with `reply`: post that instead of an answer)."""
        claimed = []
        for key in delivery_keys(body, event):
            if not self.store.claim(key):
                self.store.finish(claimed)  # this delivery is a duplicate: handled
                self.metrics.events_deduplicated.inc()
                log.info(messages.log_duplicate(key))
                return
            claimed.append(key)
        if reply is None and not question.text:
            reply = text_message(messages.help_text(bot_user_id))
        self.work.submit(self._handle_claimed, question, claimed, reply)

    def _handle_claimed(
        self, question: Question, keys: list[str], reply: SlackMessage | None
    ) -> None:
        """Answer (or post `reply`), then end the claims: only now is the event handled."""
        try:
            if reply is not None:
                self._post(question, reply.as_arguments())
            else:
                self.answer(question)
        finally:
            self.store.finish(keys)

    # -- background work -------------------------------------------------------------------

    def answer(self, question: Question) -> None:
        """Answer one question where it was asked, with progress shown and failures reported."""
        started = time.perf_counter()
        shown = self.progress.start(
            channel=question.channel, message_ts=question.ts, thread_ts=question.reply_in
        )
        replied = False
        try:
            max_age = HISTORY_MAX_AGE if question.conversation else DM_HISTORY_MAX_AGE
            history = self.store.history(question.channel, question.conversation, max_age=max_age)
            if question.background is not None:
                history = [*question.background(), *history]
            answer = self.engines.answer(question.text, history)
            answer_id = self.store.remember_answer(
                channel=question.channel,
                thread_ts=question.conversation,
                asker=question.user,
                question=question.text,
                answer=answer.text,
                cited_docs=sorted({citation.doc for citation in answer.citations}),
            )
            pieces = answer_messages(
                answer, answer_id=answer_id, native_feedback=self.native_feedback
            )
            for piece in pieces:
                self._post_piece(question, piece, answer, answer_id)
                replied = True
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
            replied = self._apologize(question, error_id)
        finally:
            self.progress.done(shown, replied=replied)

    def _post(self, question: Question, arguments: dict[str, Any]) -> None:
        self.client.chat_postMessage(
            channel=question.channel, thread_ts=question.reply_in, **arguments
        )

    def _post_piece(self, question: Question, piece: SlackMessage, answer, answer_id: str) -> None:
        """Post one message of an answer; a workspace that refuses the feedback_buttons
        element gets the classic buttons, from now on."""
        try:
            self._post(question, piece.as_arguments())
        except SlackApiError as error:
            code = error.response.get("error", "")
            if code != "invalid_blocks" or not has_native_feedback(piece.blocks):
                raise
            log.warning(messages.log_native_feedback_refused(code))
            self.native_feedback = False
            classic = answer_messages(answer, answer_id=answer_id, native_feedback=False)[-1]
            self._post(question, classic.as_arguments())

    def _apologize(self, question: Question, error_id: str) -> bool:
        """Tell the asker the answer failed; False when even that could not be posted."""
        try:
            self._post(question, text_message(messages.apology(error_id)).as_arguments())
            return True
        except SlackApiError as error:
            self.metrics.error("slack_api")
            log.error(
                messages.log_slack_call_failed("chat.postMessage", error.response.get("error", ""))
            )
            return False
