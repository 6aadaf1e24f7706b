"""Work in progress on a question: Slack's assistant status, or the :eyes: reaction.

`assistant.threads.setStatus` ("Searching the knowledge base…") shows under the thread's
composer in assistant threads and, since it accepts `chat:write`, in channel threads; Slack
clears it when the reply is posted. Where it cannot be shown (a top-level DM message has no
thread; a workspace or token without the method) the question gets :eyes: instead, taken off
once the answer is posted. A method that is not available at all is not asked again.
"""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack import messages
from bot.slack.delivery import slack_call_failed, slack_error_code
from bot.slack.metrics import Metrics

log = logging.getLogger("bot.slack")

WORKING_REACTION = "eyes"
# Answers meaning the status cannot be shown in this workspace or with this token at all.
STATUS_UNAVAILABLE = frozenset(
    {
        "missing_scope",
        "unknown_method",
        "not_allowed_token_type",
        "no_permission",
        "access_denied",
        "feature_not_enabled",
    }
)

# Answers to clearing a status meaning its thread is gone (the question was deleted while it
# was being answered): there is nothing left to clear, and nothing went wrong.
THREAD_GONE = frozenset({"invalid_thread_ts", "thread_not_found", "message_not_found"})


@dataclass(frozen=True)
class Shown:
    """How progress is shown for one question (what is taken down after)."""

    channel: str
    message_ts: str
    thread_ts: str | None
    status: bool
    reaction: bool


class Progress:
    """Shows, then clears, that the bot is working on a question."""

    def __init__(self, *, client: WebClient, metrics: Metrics) -> None:
        self.client = client
        self.metrics = metrics
        self.status_available = True

    @contextmanager
    def showing(
        self,
        *,
        channel: str,
        message_ts: str,
        thread_ts: str | None,
        replied: Callable[[], bool],
    ) -> Iterator[Shown]:
        """Progress shown while the block runs; `replied` says, after it, whether a reply was
        posted in the thread (which clears the status in Slack)."""
        shown = self._start(channel=channel, message_ts=message_ts, thread_ts=thread_ts)
        try:
            yield shown
        finally:
            self._done(shown, replied=replied())

    def _start(self, *, channel: str, message_ts: str, thread_ts: str | None) -> Shown:
        """The status in the question's thread when possible, else the reaction."""
        if thread_ts and self.status_available and self._set_status(channel, thread_ts):
            return Shown(channel, message_ts, thread_ts, status=True, reaction=False)
        reacted = self._react(channel, message_ts, add=True)
        return Shown(channel, message_ts, thread_ts, status=False, reaction=reacted)

    def _done(self, shown: Shown, *, replied: bool) -> None:
        """Take the progress down: the reaction always, the status only when no reply cleared it."""
        if shown.reaction:
            self._react(shown.channel, shown.message_ts, add=False)
        if shown.status and not replied and shown.thread_ts:
            self._set_status(shown.channel, shown.thread_ts, status="")

    def _set_status(self, channel: str, thread_ts: str, *, status: str | None = None) -> bool:
        arguments: dict[str, Any] = {"channel_id": channel, "thread_ts": thread_ts}
        if status is None:
            arguments |= {
                "status": messages.STATUS_SEARCHING,
                "loading_messages": list(messages.STATUS_LOADING_MESSAGES),
            }
        else:
            arguments["status"] = status
        try:
            self.client.assistant_threads_setStatus(**arguments)
            return True
        except SlackApiError as error:
            if status == "" and slack_error_code(error) in THREAD_GONE:
                log.debug(messages.LOG_STATUS_THREAD_GONE)
                return False
            code = slack_call_failed(self.metrics, "assistant.threads.setStatus", error)
            if code in STATUS_UNAVAILABLE and self.status_available:
                self.status_available = False
                log.info(messages.log_status_unavailable(code), extra={"slack_error": code})
            return False

    def _react(self, channel: str, ts: str, *, add: bool) -> bool:
        """Not worth failing an answer for: a failure is logged and counted."""
        method = self.client.reactions_add if add else self.client.reactions_remove
        try:
            method(channel=channel, timestamp=ts, name=WORKING_REACTION)
            return True
        except SlackApiError as error:
            slack_call_failed(self.metrics, "reactions.add" if add else "reactions.remove", error)
            return False
