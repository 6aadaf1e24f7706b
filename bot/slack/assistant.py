"""The assistant thread: Slack's AI-app container, on Bolt's `Assistant` middleware.

- `assistant_thread_started`: a short greeting and suggested prompts (the example questions,
  plus "Run the assessment"); the context Slack sends (the channel the person is viewing) is
  kept.
- `assistant_thread_context_changed`: the new context is kept.
- A message in the thread: the first one titles the thread; "Run the assessment" is answered
  with a button that opens the assessment; any other is a question, answered in the thread
  like every other question (`Conversations.take`, then `bot.slack.delivery`), with the recent
  messages of the channel the person is viewing as the conversation's background when the bot
  can read them (`bot.slack.thread_context.read_channel`).
- Bolt's middleware takes every thread of a DM for an assistant thread; one under a question
  or an answer of the DM itself (`dm_message_key`) gets no title, and the DM's recent
  conversation is its background, so that it is understood as a follow-up.

The thread context lives in the SQL store (`SqlThreadContextStore`) rather than in the
metadata of the bot's first reply (Bolt's default, a `conversations.replies` and a
`chat.update` per change), so every replica reads it with one query.
"""

import functools
from typing import Any

from slack_bolt import Assistant, BoltContext
from slack_bolt.context.assistant.thread_context import AssistantThreadContext
from slack_bolt.context.assistant.thread_context_store.store import AssistantThreadContextStore
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import SectionBlock

from bot.slack import messages
from bot.slack.blocks import SlackMessage, assessment_offer
from bot.slack.conversations import (
    DM_HISTORY_MAX_AGE,
    Background,
    Conversations,
    dm_message_key,
    question_of,
)
from bot.slack.delivery import slack_call_failed
from bot.slack.etiquette import has_no_words, is_acknowledgement
from bot.slack.mrkdwn import from_slack
from bot.slack.thread_context import read_channel
from bot.storage import Store

MAX_PROMPTS = 4  # Slack shows at most four suggested prompts


class SqlThreadContextStore(AssistantThreadContextStore):
    """Bolt's thread context store, over the bot's SQL store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def save(self, *, channel_id: str, thread_ts: str, context: dict[str, str]) -> None:
        self.store.save_thread_context(channel_id, thread_ts, dict(context))

    def find(self, *, channel_id: str, thread_ts: str) -> AssistantThreadContext | None:
        context = self.store.thread_context(channel_id, thread_ts)
        return AssistantThreadContext(context) if context else None


def suggested_prompts() -> list[dict[str, str]]:
    """The example questions, and the assessment, as Slack's `{title, message}` prompts."""
    questions = list(messages.EXAMPLE_QUESTIONS)[: MAX_PROMPTS - 1]
    return [{"title": question, "message": question} for question in questions] + [
        {
            "title": messages.ASSESSMENT_PROMPT,
            "message": messages.ASSISTANT_ASSESSMENT_PROMPT_MESSAGE,
        }
    ]


def is_assessment_request(text: str) -> bool:
    plain = " ".join(text.lower().split()).rstrip(".!")
    return plain in (
        messages.ASSESSMENT_PROMPT.lower(),
        messages.ASSISTANT_ASSESSMENT_PROMPT_MESSAGE.lower(),
    )


def assessment_offer_message() -> SlackMessage:
    """The answer to "Run the assessment": the button that opens the assessment modal."""
    return SlackMessage(
        text=messages.ASSISTANT_ASSESSMENT_OFFER,
        blocks=[
            SectionBlock(text=messages.ASSISTANT_ASSESSMENT_OFFER).to_dict(),
            assessment_offer({}),
        ],
    )


class AssistantThreads:
    """The listeners of the assistant thread, as a Bolt `Assistant`."""

    def __init__(self, *, conversations: Conversations, store: Store) -> None:
        self.conversations = conversations
        self.store = store
        self.assistant = Assistant(thread_context_store=SqlThreadContextStore(store))
        self.assistant.thread_started(self.on_thread_started)
        self.assistant.thread_context_changed(self.on_context_changed)
        self.assistant.user_message(self.on_user_message)

    def on_thread_started(
        self, payload: dict, say, set_suggested_prompts, save_thread_context
    ) -> None:
        """Greet, suggest prompts, and keep the context Slack sent with the thread."""
        context = payload["assistant_thread"].get("context") or {}
        if context.get("channel_id"):
            save_thread_context(context)
        say(messages.ASSISTANT_GREETING)
        set_suggested_prompts(prompts=suggested_prompts(), title=messages.ASSISTANT_PROMPTS_TITLE)

    def on_context_changed(self, payload: dict, save_thread_context) -> None:
        """The person moved to another channel with the thread open: keep the new context."""
        save_thread_context(payload["assistant_thread"].get("context") or {})

    def on_user_message(
        self, body: dict, payload: dict, context: BoltContext, get_thread_context
    ) -> None:
        """A message in the thread: title the thread once, then answer it there.

        A thread under a question or an answer of the DM itself is no assistant thread: it
        gets no title, and the DM's conversation is its background."""
        bot_user_id = context.bot_user_id
        event: dict[str, Any] = payload
        if event.get("subtype") not in (None, "file_share") or event.get("user") in (
            None,
            bot_user_id,
        ):
            return
        text = from_slack(event.get("text", ""), bot_user_id=bot_user_id)
        if text and is_acknowledgement(text):
            return
        channel, thread = event["channel"], event["thread_ts"]
        assistant = not self.store.claimed(dm_message_key(channel, thread))
        titled = text and not has_no_words(text)
        if titled and assistant and self.store.claim_thread_title(channel, thread):
            try:
                self.conversations.best_effort.assistant_threads_setTitle(
                    channel_id=channel, thread_ts=thread, title=messages.thread_title(text)
                )
            except SlackApiError as error:
                slack_call_failed(self.conversations.metrics, "assistant.threads.setTitle", error)
        question = question_of(
            event,
            text,
            reply_in=thread,
            conversation=thread,
            surface="assistant" if assistant else "conversation",
        )
        if self.conversations.offer_files(
            body, event, question, bot_user_id=bot_user_id, has_text=bool(text)
        ):
            return
        if is_assessment_request(text):
            self.conversations.take(
                body, event, question, bot_user_id=bot_user_id, reply=assessment_offer_message()
            )
            return
        self.conversations.take(
            body,
            event,
            question,
            bot_user_id=bot_user_id,
            background=self._background(channel, assistant, get_thread_context, bot_user_id),
        )

    def _background(
        self, channel: str, assistant: bool, get_thread_context, bot_user_id: str | None
    ) -> Background:
        """What a question leans on besides its thread: in an assistant thread, the channel the
        person is viewing (when the bot can read it); else the DM's recent conversation, which
        a thread of the DM itself grew out of (and which a reply under an answer whose mark is
        still being written needs too)."""
        viewed = (get_thread_context() or {}).get("channel_id") if assistant else None
        if not viewed:
            return functools.partial(self.store.history, channel, "", max_age=DM_HISTORY_MAX_AGE)
        return functools.partial(
            read_channel,
            self.conversations.best_effort,
            channel=viewed,
            bot_user_id=bot_user_id,
            metrics=self.conversations.metrics,
        )

    def register(self, app) -> None:
        app.assistant(self.assistant)
