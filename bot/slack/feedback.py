"""Feedback on answers: a 👍/👎 stored per person, and why, when a 👎 wants to say.

Votes come from Slack's `feedback_buttons` element (one action, the value `up:<answer id>` or
`down:<answer id>`) or from the classic buttons (an action each, the value the answer id).
The acknowledgement is shown to the voter only, in the answer's thread (`respond` with the
click's `container.thread_ts`; without it the reply would land outside the thread). After a 👎
it offers a short list of reasons and a button for a comment (a modal); both are optional and
stored with the vote, and `ai-strategy feedback` and the App Home show them.
"""

import json
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.slack import messages
from bot.slack.blocks import FEEDBACK_ACTION, FEEDBACK_DOWN, FEEDBACK_UP
from bot.slack.delivery import slack_call_failed
from bot.slack.metrics import Metrics
from bot.storage import FeedbackReason, Store
from bot.storage.store import COMMENT_MAX_CHARS, known_reason

REASON_ACTION = "feedback_reason"
COMMENT_ACTION = "feedback_comment"
COMMENT_CALLBACK = "feedback_comment"
REASON_BLOCK = "reason"
COMMENT_BLOCK = "comment"
_VOTES = {"up": 1, "down": -1}


def parse_vote(action: dict[str, Any]) -> tuple[str, int] | None:
    """The answer id and vote (+1/-1) a feedback click carries; None when it carries neither."""
    action_id = action.get("action_id")
    value = str(action.get("value") or "")
    if action_id == FEEDBACK_ACTION:
        direction, _, answer_id = value.partition(":")
        vote = _VOTES.get(direction)
    else:
        answer_id, vote = value, {FEEDBACK_UP: 1, FEEDBACK_DOWN: -1}.get(str(action_id))
    if vote is None or not answer_id:
        return None
    return answer_id, vote


def reason_label(reason: FeedbackReason | str | None) -> str | None:
    return messages.FEEDBACK_REASON_LABELS.get(str(reason)) if reason else None


def _reason_options() -> list[Option]:
    labels = messages.FEEDBACK_REASON_LABELS
    return [Option(value=key, text=label) for key, label in labels.items()]


def reason_prompt(answer_id: str) -> list[dict[str, Any]]:
    """What a 👎 is answered with: thanks, a list of reasons, and a button for a comment."""
    return [
        SectionBlock(text=messages.FEEDBACK_ASK_REASON).to_dict(),
        ActionsBlock(
            block_id=f"reason:{answer_id}",
            elements=[
                StaticSelectElement(
                    action_id=REASON_ACTION,
                    placeholder=messages.FEEDBACK_REASON_PLACEHOLDER,
                    options=_reason_options(),
                ),
                ButtonElement(
                    text=messages.FEEDBACK_ADD_COMMENT, action_id=COMMENT_ACTION, value=answer_id
                ),
            ],
        ).to_dict(),
    ]


def comment_view(answer_id: str) -> dict[str, Any]:
    """The modal for a 👎's reason and comment (both optional)."""
    return View(
        type="modal",
        callback_id=COMMENT_CALLBACK,
        title=messages.FEEDBACK_MODAL_TITLE,
        submit=messages.FEEDBACK_MODAL_SUBMIT,
        close=messages.modal_cancel(1),
        private_metadata=json.dumps({"answer_id": answer_id}),
        blocks=[
            InputBlock(
                block_id=REASON_BLOCK,
                optional=True,
                label=messages.FEEDBACK_MODAL_REASON_LABEL,
                element=RadioButtonsElement(action_id=REASON_BLOCK, options=_reason_options()),
            ),
            InputBlock(
                block_id=COMMENT_BLOCK,
                optional=True,
                label=messages.FEEDBACK_MODAL_COMMENT_LABEL,
                element=PlainTextInputElement(
                    action_id=COMMENT_BLOCK, multiline=True, max_length=COMMENT_MAX_CHARS
                ),
            ),
        ],
    ).to_dict()


def _answer_thread(body: dict[str, Any]) -> str | None:
    """The thread of the message clicked (None: a top-level message)."""
    container = body.get("container") or {}
    message = body.get("message") or {}
    return container.get("thread_ts") or message.get("thread_ts")


class Feedback:
    """The listeners for votes, reasons and comments."""

    def __init__(self, *, store: Store, client: WebClient, metrics: Metrics) -> None:
        self.store = store
        self.client = client
        self.metrics = metrics

    def register(self, app: App) -> None:
        for action_id in (FEEDBACK_ACTION, FEEDBACK_UP, FEEDBACK_DOWN):
            app.action(action_id)(self.on_vote)
        app.action(REASON_ACTION)(self.on_reason)
        app.action(COMMENT_ACTION)(self.on_comment_button)
        app.view_submission(COMMENT_CALLBACK)(self.on_comment)

    def on_vote(self, ack, body: dict, action: dict, respond) -> None:
        """👍/👎: store the vote (one per person; a second click changes it), acknowledge it."""
        ack()
        parsed = parse_vote(action)
        stored = False
        if parsed is not None:
            answer_id, vote = parsed
            stored = self.store.record_vote(
                answer_id=answer_id, user_id=body["user"]["id"], vote=vote
            )
        thread = _answer_thread(body)
        if not stored:
            self._tell(respond, thread, text=messages.FEEDBACK_EXPIRED)
            return
        self.metrics.feedback_votes.labels("up" if vote > 0 else "down").inc()
        if vote > 0:
            self._tell(respond, thread, text=messages.feedback_thanks(vote))
        else:
            self._tell(
                respond,
                thread,
                text=messages.FEEDBACK_ASK_REASON,
                blocks=reason_prompt(answer_id),
            )

    def on_reason(self, ack, body: dict, action: dict, respond) -> None:
        """A reason picked from the list under the 👎 acknowledgement."""
        ack()
        answer_id = str(action.get("block_id", "")).removeprefix("reason:")
        choice = (action.get("selected_option") or {}).get("value")
        reason = known_reason(choice)
        if reason is None:
            return
        stored = self.store.record_reason(
            answer_id=answer_id, user_id=body["user"]["id"], reason=reason
        )
        text = (
            messages.feedback_reason_thanks(reason_label(choice))
            if stored
            else messages.FEEDBACK_EXPIRED
        )
        respond(text=text, response_type="ephemeral", replace_original=True)

    def on_comment_button(self, ack, body: dict, action: dict) -> None:
        """Open the comment modal at once (its trigger id lasts 3 seconds)."""
        ack()
        try:
            self.client.views_open(
                trigger_id=body["trigger_id"], view=comment_view(str(action.get("value", "")))
            )
        except SlackApiError as error:
            slack_call_failed(self.metrics, "views.open", error)

    def on_comment(self, ack, body: dict, view: dict) -> None:
        """The comment modal submitted: store what was said with the 👎, close the modal."""
        ack()
        try:
            answer_id = str(json.loads(view.get("private_metadata") or "{}").get("answer_id", ""))
        except ValueError:
            return
        values = view.get("state", {}).get("values", {})
        picked = values.get(REASON_BLOCK, {}).get(REASON_BLOCK, {}).get("selected_option") or {}
        reason = picked.get("value")
        comment = values.get(COMMENT_BLOCK, {}).get(COMMENT_BLOCK, {}).get("value")
        self.store.record_reason(
            answer_id=answer_id,
            user_id=body["user"]["id"],
            reason=known_reason(reason),
            comment=comment if isinstance(comment, str) else None,
        )

    @staticmethod
    def _tell(respond, thread: str | None, **message: Any) -> None:
        """An ephemeral reply to the voter, in the answer's thread."""
        respond(response_type="ephemeral", replace_original=False, thread_ts=thread, **message)
