"""Questions in conversations: @mentions in channels and group DMs, direct messages, and replies
in the bot's threads.

Which messages are questions is decided in the listeners, which return at once:
- `app_mention` in channels and group DMs (its `message` twin is not answered again); an edit
  re-sent as `app_mention` with `edited` is answered only if the original never was.
- `message` in DMs; in a channel thread the bot answered, only what `bot.slack.etiquette`
  lets through (by default the asker's own follow-ups, not addressed to someone else).
- never edits (`message_changed`), joins, other apps or the bot itself; a deletion marks the
  question withdrawn, so an answer still being prepared is not posted.
Messages with a file attached (`file_share`) are answered from their text.

The answer itself runs on the background pool through `bot.slack.delivery`, with :eyes: on the
question meanwhile. Mentioned part-way through a thread, the bot reads the thread first
(`bot.slack.thread_context`) so the question is understood from what people wrote there.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.answering.models import Turn
from bot.slack import messages
from bot.slack.blocks import FEEDBACK_DOWN, FEEDBACK_UP, SlackMessage, text_message
from bot.slack.delivery import Delivery, Question, slack_call_failed
from bot.slack.engines import Engines
from bot.slack.etiquette import ThreadReplies, is_acknowledgement, takes_thread_reply
from bot.slack.mrkdwn import from_slack
from bot.slack.ops import Metrics
from bot.slack.thread_context import read_thread
from bot.slack.work import BackgroundWork
from bot.storage import Store
from bot.storage.store import HISTORY_MAX_AGE

log = logging.getLogger("bot.slack")

WORKING_REACTION = "eyes"
# A DM is one long conversation: only its recent turns are context for a follow-up.
DM_HISTORY_MAX_AGE = timedelta(hours=1)
# Message subtypes that are people asking; others (edits, joins, bots) are not questions.
QUESTION_SUBTYPES = (None, "thread_broadcast", "file_share")


def delivery_keys(body: dict[str, Any], event: dict[str, Any]) -> list[str]:
    """What a question is claimed by: the delivery (`event_id`, kept across Slack's retries;
    else `client_msg_id`), then the message itself, which can come as two events, and again
    when edited."""
    keys = []
    if body.get("event_id"):
        keys.append(f"event:{body['event_id']}")
    elif event.get("client_msg_id"):
        keys.append(f"client_msg:{event['client_msg_id']}")
    keys.append(message_key(event["channel"], event["ts"]))
    return keys


def message_key(channel: str, ts: str) -> str:
    return f"message:{channel}:{ts}"


def withdrawn_key(channel: str, ts: str) -> str:
    return f"deleted:{channel}:{ts}"


def _question(event: dict, text: str, *, reply_in: str | None, conversation: str) -> Question:
    return Question(
        text=text,
        user=event["user"],
        channel=event["channel"],
        surface="conversation",
        ts=event["ts"],
        reply_in=reply_in,
        conversation=conversation,
    )


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
        thread_replies: ThreadReplies = "asker",
    ) -> None:
        self.store = store
        self.work = work
        self.client = client
        self.metrics = metrics or Metrics()
        self.thread_replies = thread_replies
        self.delivery = Delivery(engines=engines, store=store, metrics=self.metrics)

    def register(self, app: App) -> None:
        app.event("app_mention")(self.on_mention)
        app.event("message")(self.on_message)
        app.action(FEEDBACK_UP)(self.on_feedback)
        app.action(FEEDBACK_DOWN)(self.on_feedback)

    # -- listeners (quick: decide, claim, hand over) ---------------------------------------

    def on_mention(self, body: dict, event: dict, context: dict) -> None:
        """An @mention in a channel or group DM: answer in the thread of the question."""
        bot_user_id = context.get("bot_user_id")
        if event.get("bot_id") or event.get("user") in (None, bot_user_id):
            return
        thread = event.get("thread_ts") or event["ts"]
        text = from_slack(event.get("text", ""), bot_user_id=bot_user_id)
        question = _question(event, text, reply_in=thread, conversation=thread)
        # Part-way through a thread: what people wrote before is the context.
        read_first = thread != event["ts"]
        self._take(body, event, question, bot_user_id=bot_user_id, read_thread_first=read_first)

    def on_message(self, body: dict, event: dict, context: dict) -> None:
        """A message: a question in a DM, or a follow-up in a thread the bot answered."""
        bot_user_id = context.get("bot_user_id")
        if event.get("subtype") == "message_deleted":
            self._withdraw(event)
            return
        if (
            event.get("subtype") not in QUESTION_SUBTYPES
            or event.get("bot_id")
            or event.get("user") in (None, bot_user_id)
        ):
            return
        text = event.get("text", "")
        thread = event.get("thread_ts")
        if event.get("channel_type") == "im":
            reply_in, conversation = thread, thread or ""
        elif not self._is_follow_up(event, text, bot_user_id=bot_user_id):
            return
        else:
            reply_in, conversation = thread, thread
        plain = from_slack(text, bot_user_id=bot_user_id)
        if not plain or is_acknowledgement(plain):
            return
        question = _question(event, plain, reply_in=reply_in, conversation=conversation)
        self._take(body, event, question, bot_user_id=bot_user_id)

    def _is_follow_up(self, event: dict, text: str, *, bot_user_id: str | None) -> bool:
        """An untagged reply in a channel thread the bot answered, meant for the bot."""
        thread = event.get("thread_ts")
        if (
            not thread
            or thread == event["ts"]
            or f"<@{bot_user_id}>" in text  # the app_mention of the same message answers it
            or not self.store.has_answered_in(event["channel"], thread)
        ):
            return False
        from_asker = self.store.has_answered_in(event["channel"], thread, asker=event["user"])
        reason = takes_thread_reply(
            self.thread_replies, from_asker=from_asker, slack_text=text, bot_user_id=bot_user_id
        )
        if reason is not None:
            log.info(
                messages.log_left_alone(reason),
                extra={"channel": event["channel"], "ts": event["ts"], "reason": reason},
            )
        return reason is None

    def _withdraw(self, event: dict) -> None:
        deleted = event.get("deleted_ts") or (event.get("previous_message") or {}).get("ts")
        if deleted:
            key = withdrawn_key(event["channel"], deleted)
            if self.store.claim(key):
                self.store.finish([key])

    def _take(
        self,
        body: dict,
        event: dict,
        question: Question,
        *,
        bot_user_id: str | None,
        read_thread_first: bool = False,
    ) -> None:
        """Claim the question (see `delivery_keys`), then answer it on the background pool."""
        claimed = []
        for key in delivery_keys(body, event):
            if not self.store.claim(key):
                self.store.finish(claimed)  # this delivery is a duplicate: handled
                self.metrics.events_deduplicated.inc()
                log.info(messages.log_duplicate(key), extra={"key": key})
                return
            claimed.append(key)
        self.work.submit(self._handle_claimed, question, claimed, bot_user_id, read_thread_first)

    def _handle_claimed(
        self,
        question: Question,
        keys: list[str],
        bot_user_id: str | None,
        read_thread_first: bool,
    ) -> None:
        """Answer (or show help), then end the claims: only now is the event handled."""
        try:
            if not question.text:
                self._post_help(question, bot_user_id)
            else:
                self.answer(question, bot_user_id, read_thread_first)
        finally:
            self.store.finish(keys)

    def on_feedback(self, ack, body: dict, action: dict, respond) -> None:
        """👍/👎 on an answer: store the vote (one per person; a second click changes it), and
        say thanks in the answer's thread, where the click was."""
        ack()
        vote = 1 if action["action_id"] == FEEDBACK_UP else -1
        answer_id = action.get("value")
        stored = isinstance(answer_id, str) and self.store.record_vote(
            answer_id=answer_id, user_id=body["user"]["id"], vote=vote
        )
        if stored:
            self.metrics.feedback_votes.labels("up" if vote > 0 else "down").inc()
        text = messages.feedback_thanks(vote) if stored else messages.feedback_expired()
        respond(
            text=text,
            response_type="ephemeral",
            replace_original=False,
            thread_ts=(body.get("container") or {}).get("thread_ts"),
        )

    # -- background work -------------------------------------------------------------------

    def _post_help(self, question: Question, bot_user_id: str | None) -> None:
        try:
            self._poster(question)(text_message(messages.help_text(bot_user_id)))
        except SlackApiError as error:
            slack_call_failed(self.metrics, "chat.postMessage", error)

    def answer(
        self, question: Question, bot_user_id: str | None = None, read_thread_first: bool = False
    ) -> None:
        """Answer one question where it was asked, with progress shown and failures reported."""
        self.delivery.answer(
            question,
            post=self._poster(question),
            history=self._history(question, bot_user_id, read_thread_first),
            progress=self._working_on(question),
            still_wanted=lambda: not self.store.claimed(
                withdrawn_key(question.channel, question.ts or "")
            ),
        )

    def _history(
        self, question: Question, bot_user_id: str | None, read_thread_first: bool
    ) -> list[Turn]:
        if read_thread_first and question.reply_in and question.ts:
            turns = read_thread(
                self.client,
                channel=question.channel,
                thread_ts=question.reply_in,
                before_ts=question.ts,
                bot_user_id=bot_user_id,
                metrics=self.metrics,
            )
            if turns:
                return turns
        max_age = HISTORY_MAX_AGE if question.conversation else DM_HISTORY_MAX_AGE
        return self.store.history(question.channel, question.conversation or "", max_age=max_age)

    def _poster(self, question: Question):
        def post(message: SlackMessage) -> None:
            self.client.chat_postMessage(
                channel=question.channel, thread_ts=question.reply_in, **message.as_arguments()
            )

        return post

    @contextmanager
    def _working_on(self, question: Question) -> Iterator[None]:
        """:eyes: on the question while the answer is prepared."""
        self._react(question, add=True)
        try:
            yield
        finally:
            self._react(question, add=False)

    def _react(self, question: Question, *, add: bool) -> None:
        """Show (or clear) work in progress on the question; not worth failing an answer for."""
        method = self.client.reactions_add if add else self.client.reactions_remove
        try:
            method(channel=question.channel, timestamp=question.ts, name=WORKING_REACTION)
        except SlackApiError as error:
            slack_call_failed(
                self.metrics, "reactions.add" if add else "reactions.remove", error
            )
