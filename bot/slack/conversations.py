"""Questions in conversations: @mentions in channels and group DMs, direct messages, and replies
in the bot's threads (assistant threads come through `bot.slack.assistant`, then `take`).

Which messages are questions is decided in the listeners, which return at once:
- `app_mention` in channels and group DMs (its `message` twin is not answered again), unless
  an admin switched the channel off; an edit re-sent as `app_mention` with `edited` is
  answered only if the original never was.
- `message` in DMs; in a channel thread the bot answered (or replied in otherwise, as with the
  help a bare mention gets), only what the channel's setting (`bot.slack.channel_settings`)
  and `bot.slack.etiquette` let through (by default the asker's own follow-ups, not
  addressed to someone else).
- never edits (`message_changed`), joins, other apps or the bot itself; a deletion marks the
  question withdrawn, so an answer still being prepared is not posted.
Messages with a file attached (`file_share`) are answered from their text; files shared in a
DM are offered to be added to the knowledge base when an admin shares them
(`bot.slack.uploads`).

The answer itself runs on the background pool through `bot.slack.delivery`, with progress
shown meanwhile (`bot.slack.progress`). Mentioned part-way through a thread, the bot reads the
thread first (`bot.slack.thread_context`) so the question is understood from what people wrote
there.
"""

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, cast

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.answering.models import Turn
from bot.slack import messages
from bot.slack.blocks import SlackMessage, text_message
from bot.slack.channel_settings import ChannelSettings
from bot.slack.delivery import Delivery, Question, best_effort_client, slack_call_failed
from bot.slack.engines import Engines
from bot.slack.etiquette import (
    ThreadReplies,
    is_acknowledgement,
    takes_thread_reply,
    wants_help,
)
from bot.slack.metrics import Metrics
from bot.slack.mrkdwn import from_slack
from bot.slack.progress import Progress
from bot.slack.thread_context import read_thread
from bot.slack.uploads import Uploads
from bot.slack.work import BackgroundWork
from bot.storage import ChannelMode, Store
from bot.storage.store import HISTORY_MAX_AGE

log = logging.getLogger("bot.slack")

# A DM is one long conversation: only its recent turns are context for a follow-up.
DM_HISTORY_MAX_AGE = timedelta(hours=1)
# Message subtypes that are people asking; others (edits, joins, bots) are not questions.
QUESTION_SUBTYPES = (None, "thread_broadcast", "file_share")
# Turns from elsewhere a question leans on (the channel the person is viewing), read on the
# background pool, before the conversation's own.
Background = Callable[[], Sequence[Turn]]


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


def dm_message_key(channel: str, ts: str) -> str:
    """The mark of a message of a DM's own conversation (a question asked at its top level, an
    answer to it): a thread under it is that conversation's follow-up, no assistant thread."""
    return f"dm:{channel}:{ts}"


def replied_key(channel: str, thread: str, user: str | None = None) -> str:
    """The mark of a reply other than an answer (the help a bare mention gets, an offer) posted
    in a thread, to `user`: what people write there next may be for the bot, as after an
    answer."""
    return f"replied:{channel}:{thread}" + (f":{user}" if user else "")


def question_of(
    event: dict,
    text: str,
    *,
    reply_in: str | None,
    conversation: str,
    surface: str = "conversation",
) -> Question:
    """The question a message asks, and where it is answered."""
    return Question(
        text=text,
        user=event["user"],
        channel=event["channel"],
        surface=surface,
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
        channels: ChannelSettings | None = None,
        delivery: Delivery | None = None,
        uploads: Uploads | None = None,
    ) -> None:
        self.store = store
        self.uploads = uploads
        self.work = work
        self.client = client
        # What an answer can do without (progress, the thread read first) never waits it out.
        self.best_effort = best_effort_client(client)
        self.metrics = metrics or Metrics()
        self.channels = channels or ChannelSettings(store=store, default=ChannelMode.ASKER)
        self.delivery = delivery or Delivery(engines=engines, store=store, metrics=self.metrics)
        self.progress = Progress(client=self.best_effort, metrics=self.metrics)

    def register(self, app: App) -> None:
        app.event("app_mention")(self.on_mention)
        app.event("message")(self.on_message)

    # -- listeners (quick: decide, claim, hand over) ---------------------------------------

    def on_mention(self, body: dict, event: dict, context: dict) -> None:
        """An @mention in a channel or group DM: answer in the thread of the question."""
        bot_user_id = context.get("bot_user_id")
        if (
            event.get("bot_id")
            or event.get("user") in (None, bot_user_id)
            or not self.channels.answers_mentions(event["channel"])
        ):
            return
        thread = event.get("thread_ts") or event["ts"]
        text = from_slack(event.get("text", ""), bot_user_id=bot_user_id)
        if is_acknowledgement(text):  # "@ai-strategy thanks!": nothing to answer
            return
        question = question_of(event, text, reply_in=thread, conversation=thread)
        # Part-way through a thread: what people wrote before is the context.
        read_first = thread != event["ts"]
        self.take(body, event, question, bot_user_id=bot_user_id, read_thread_first=read_first)

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
        question = question_of(event, plain, reply_in=reply_in, conversation=conversation)
        if event.get("channel_type") == "im" and self.offer_files(
            body, event, question, bot_user_id=bot_user_id, has_text=bool(plain)
        ):
            return
        if is_acknowledgement(plain) or not (plain or event.get("channel_type") == "im"):
            return  # nothing asked (a bare mention in a DM gets the help, as in a channel)
        self.take(body, event, question, bot_user_id=bot_user_id)

    def offer_files(
        self,
        body: dict,
        event: dict,
        question: Question,
        *,
        bot_user_id: str | None,
        has_text: bool,
    ) -> bool:
        """Reply to files shared in a DM (an assistant thread too) with the offer to add them
        (`bot.slack.uploads`); False when the message is to be answered as usual."""
        offer = self.uploads.reply_to(event, has_text=has_text) if self.uploads else None
        if offer is None:
            return False
        self.take(body, event, question, bot_user_id=bot_user_id, reply=offer)
        return True

    def _is_follow_up(self, event: dict, text: str, *, bot_user_id: str | None) -> bool:
        """An untagged reply in a channel thread the bot answered, meant for the bot (as the
        channel's setting, else `AI_STRATEGY_THREAD_REPLIES`, has it)."""
        thread = event.get("thread_ts")
        if (
            not thread
            or thread == event["ts"]
            or f"<@{bot_user_id}>" in text  # the app_mention of the same message answers it
            or not self._replied_in(event["channel"], thread)
        ):
            return False
        mode = self.channels.mode(event["channel"])
        if mode is ChannelMode.OFF:
            return False
        from_asker = self._replied_in(event["channel"], thread, to=event["user"])
        reason = takes_thread_reply(
            cast(ThreadReplies, mode.value),  # every mode but `off` is a thread-replies policy
            from_asker=from_asker,
            slack_text=text,
            bot_user_id=bot_user_id,
        )
        if reason is not None:
            log.info(
                messages.log_left_alone(reason),
                extra={"channel": event["channel"], "ts": event["ts"], "reason": reason},
            )
        return reason is None

    def _replied_in(self, channel: str, thread: str, *, to: str | None = None) -> bool:
        """Whether the bot answered in the thread recently (to that person), or replied there
        otherwise (`replied_key`)."""
        return self.store.has_answered_in(channel, thread, asker=to) or self.store.claimed(
            replied_key(channel, thread, to)
        )

    def mark(self, key: str) -> None:
        """Leave a mark in the store (a claim finished at once), for every replica to see."""
        if self.store.claim(key):
            self.store.finish([key])

    def _withdraw(self, event: dict) -> None:
        deleted = event.get("deleted_ts") or (event.get("previous_message") or {}).get("ts")
        if deleted:
            self.mark(withdrawn_key(event["channel"], deleted))

    def take(
        self,
        body: dict,
        event: dict,
        question: Question,
        *,
        bot_user_id: str | None,
        read_thread_first: bool = False,
        background: Background | None = None,
        reply: SlackMessage | None = None,
    ) -> None:
        """Claim the question (see `delivery_keys`), then answer it on the background pool
        (with `reply`: post that instead of an answer)."""
        claimed: list[str] = []
        for key in delivery_keys(body, event):
            if not self.store.claim(key):
                self.store.finish(claimed)  # this delivery is a duplicate: handled
                self.metrics.events_deduplicated.inc()
                log.info(messages.log_duplicate(key), extra={"key": key})
                return
            claimed.append(key)
        if reply is None and (not question.text or wants_help(question.text)):
            reply = text_message(messages.help_text(bot_user_id))
        self.work.submit(
            self._handle_claimed,
            question,
            claimed,
            bot_user_id,
            read_thread_first,
            background,
            reply,
        )

    def _handle_claimed(
        self,
        question: Question,
        keys: list[str],
        bot_user_id: str | None,
        read_thread_first: bool,
        background: Background | None,
        reply: SlackMessage | None,
    ) -> None:
        """Answer (or post `reply`), then end the claims: only now is the event handled."""
        try:
            if reply is not None:
                self._post_reply(question, reply)
            else:
                self.answer(question, bot_user_id, read_thread_first, background)
        finally:
            self.store.finish(keys)

    # -- background work -------------------------------------------------------------------

    def _post_reply(self, question: Question, reply: SlackMessage) -> None:
        try:
            self._poster(question)(reply)
        except SlackApiError as error:
            slack_call_failed(self.metrics, "chat.postMessage", error)
            return
        self._mark_replied(question)

    def _mark_replied(self, question: Question) -> None:
        """The bot replied in the question's thread with something other than an answer (help,
        an apology): the asker's untagged replies there are for it too, as after an answer."""
        if question.reply_in:
            self.mark(replied_key(question.channel, question.reply_in))
            self.mark(replied_key(question.channel, question.reply_in, question.user))

    def answer(
        self,
        question: Question,
        bot_user_id: str | None = None,
        read_thread_first: bool = False,
        background: Background | None = None,
    ) -> None:
        """Answer one question where it was asked, with progress shown and failures reported."""
        posted: list[SlackMessage] = []
        answered = self.delivery.answer(
            question,
            post=self._poster(question, posted),
            history=lambda: self._history(question, bot_user_id, read_thread_first, background),
            progress=self.progress.showing(
                channel=question.channel,
                message_ts=question.ts or "",
                thread_ts=question.reply_in,
                replied=lambda: bool(posted),
            ),
            still_wanted=lambda: (
                not self.store.claimed(withdrawn_key(question.channel, question.ts or ""))
            ),
        )
        if posted and not answered:  # an apology asked them to try again: in this thread
            self._mark_replied(question)

    def _history(
        self,
        question: Question,
        bot_user_id: str | None,
        read_thread_first: bool,
        background: Background | None,
    ) -> list[Turn]:
        if read_thread_first and question.reply_in and question.ts:
            turns = read_thread(
                self.best_effort,
                channel=question.channel,
                thread_ts=question.reply_in,
                before_ts=question.ts,
                bot_user_id=bot_user_id,
                metrics=self.metrics,
            )
            if turns:
                return turns
        max_age = HISTORY_MAX_AGE if question.conversation else DM_HISTORY_MAX_AGE
        stored = self.store.history(question.channel, question.conversation or "", max_age=max_age)
        return [*background(), *stored] if background is not None else stored

    def _poster(self, question: Question, posted: list[SlackMessage] | None = None):
        """Posts in the question's thread (and keeps what was posted in `posted`); at the top
        level of a DM, the question and what is posted are marked (`dm_message_key`)."""

        def post(message: SlackMessage) -> None:
            response = self.client.chat_postMessage(
                channel=question.channel, thread_ts=question.reply_in, **message.as_arguments()
            )
            if question.conversation == "" and question.ts:  # the top level of a DM
                self.mark(dm_message_key(question.channel, question.ts))
                self.mark(dm_message_key(question.channel, str(response.get("ts", ""))))
            if posted is not None:
                posted.append(message)

        return post
