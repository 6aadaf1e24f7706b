"""One way answers reach people, whatever the surface: @mentions, DMs, thread replies,
assistant threads and `/ai-strategy <question>`.

`Delivery.answer` runs the engine on a question, remembers the answer (what feedback votes refer
to, and the thread's history), renders it as Slack messages (split within Slack's limits,
feedback on the last: Slack's `feedback_buttons` element, or the classic buttons from the first
time a workspace refuses that element), hands them to the surface's `post`, and counts and logs
the outcome. Progress is shown while it works and cleared after, whatever happens. A failure is
reported the same way everywhere (`report_failure`): an error id, a metric, one log line with
fields, and an apology where the answer would have gone. Log lines carry ids and counts as
`extra=` fields, never what people wrote.
"""

import copy
import logging
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.answering.models import Answer, Turn
from bot.slack import messages
from bot.slack.blocks import SlackMessage, answer_messages, has_native_feedback, text_message
from bot.slack.engines import Engines
from bot.slack.metrics import Metrics
from bot.storage import Store

log = logging.getLogger("bot.slack")

# Sends one message where the answer goes (chat.postMessage in a thread, a response_url, …).
Post = Callable[[SlackMessage], object]


@dataclass(frozen=True)
class Question:
    """A question and where it was asked.

    `ts` is the message that asks (None for a slash command); `reply_in` the thread to answer in
    (None: top level); `conversation` keys the remembered history (a thread's ts, "" for a DM's
    top level, None for answers that start no conversation).
    """

    text: str
    user: str
    channel: str
    surface: str  # one of bot.slack.metrics.ANSWER_SURFACES
    ts: str | None = None
    reply_in: str | None = None
    conversation: str | None = None
    taken_at: float = field(default_factory=time.perf_counter, compare=False)

    def fields(self) -> dict[str, str | None]:
        """What a log line may say about the question: where, never what."""
        return {"surface": self.surface, "channel": self.channel, "ts": self.ts}


def best_effort_client(client: WebClient) -> WebClient:
    """`client` for the calls an answer can do without (progress shown, a thread read first, a
    title): rate limited, such a call fails at once instead of waiting out Slack's `Retry-After`
    up to three times, which would hold the answer back (`conversations.replies` can be limited
    to one call a minute)."""
    best_effort = copy.copy(client)
    best_effort.retry_handlers = [
        handler
        for handler in client.retry_handlers
        if not isinstance(handler, RateLimitErrorRetryHandler)
    ]
    return best_effort


def slack_error_code(error: SlackApiError) -> str:
    """Slack's error code of a failed call ("" when it gave none)."""
    return str(error.response.get("error", "")) if error.response is not None else ""


def slack_call_failed(metrics: Metrics, method: str, error: SlackApiError) -> str:
    """Count and log a failed Web API call (with the scope Slack said was missing, if that was
    it); returns Slack's error code."""
    response = error.response
    code = slack_error_code(error)
    fields = {"method": method, "slack_error": code}
    if code == "missing_scope":
        fields |= {"needed": response.get("needed"), "provided": response.get("provided")}
    metrics.error("slack_api")
    log.warning(messages.log_slack_call_failed(method, code, fields.get("needed")), extra=fields)
    return code


def report_failure(
    metrics: Metrics,
    kind: str,
    error: BaseException,
    *,
    notify: Callable[[str], object],
    apology: Callable[[str], str],
    **fields: object,
) -> str:
    """Report slow work that failed: metric, one log line with an error id, and `notify` (the
    surface's way of telling the person) with `apology(error_id)`. Returns the error id."""
    error_id = messages.new_error_id()
    metrics.error(kind)
    log.error(
        messages.log_failed(kind, error_id, error),
        extra={"error_id": error_id, "kind": kind, "error_type": type(error).__name__, **fields},
    )
    log.debug("%s failed", kind, exc_info=error)
    try:
        notify(apology(error_id))
    except SlackApiError as slack_error:
        slack_call_failed(metrics, "chat.postMessage", slack_error)
    return error_id


class Delivery:
    """Answers questions and delivers them through the surface they came from."""

    def __init__(self, *, engines: Engines, store: Store, metrics: Metrics) -> None:
        self.engines = engines
        self.store = store
        self.metrics = metrics
        # Slack's feedback_buttons element until the workspace refuses it (then classic buttons).
        self.native_feedback = True

    def answer(
        self,
        question: Question,
        *,
        post: Post,
        history: Callable[[], Sequence[Turn]] = tuple,
        progress: AbstractContextManager | None = None,
        still_wanted: Callable[[], bool] = lambda: True,
    ) -> bool:
        """Answer `question` through `post`; True when an answer was posted.

        `history` is read once progress shows (reading a thread can wait on Slack's rate
        limits). `still_wanted` is asked before the engine runs and again before posting: a
        question deleted meanwhile gets no answer.
        """
        started = time.perf_counter()
        # Counted and logged before the progress shown is cleared: whoever sees it go knows
        # the answer is in.
        with progress or nullcontext():
            try:
                if not still_wanted():
                    log.info(messages.LOG_WITHDRAWN, extra=question.fields())
                    return False
                turns = history()
                answer = self.engines.answer(question.text, turns)
                if not still_wanted():
                    log.info(messages.LOG_WITHDRAWN, extra=question.fields())
                    return False
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
                    self._post(post, piece, answer, answer_id)
            except Exception as error:
                report_failure(
                    self.metrics,
                    "answer",
                    error,
                    notify=lambda text: post(text_message(text)),
                    apology=messages.apology,
                    **question.fields(),
                )
                return False
            self.metrics.delivered(
                question.surface,
                grounded=answer.grounded,
                seconds=time.perf_counter() - question.taken_at,
            )
            fields = {
                **question.fields(),
                "messages": len(pieces),
                "citations": len(answer.citations),
                "grounded": answer.grounded,
                "history_turns": len(turns),
                "ms": round((time.perf_counter() - started) * 1000),
            }
            log.info(messages.log_answered(fields), extra=fields)
        return True

    def _post(self, post: Post, piece: SlackMessage, answer: Answer, answer_id: str) -> None:
        """Post one message of an answer; a workspace that refuses the feedback_buttons element
        gets the classic buttons, from now on."""
        try:
            post(piece)
        except SlackApiError as error:
            code = str(error.response.get("error", ""))
            if code != "invalid_blocks" or not has_native_feedback(piece.blocks):
                raise
            log.warning(messages.log_native_feedback_refused(code), extra={"slack_error": code})
            self.native_feedback = False
            post(answer_messages(answer, answer_id=answer_id, native_feedback=False)[-1])
