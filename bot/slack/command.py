"""`/ai-strategy`: the guided assessment (modal → recommendation by DM), questions, help, reindex.

The command is acknowledged at once. With no text the modal opens right away (its
`trigger_id` is valid for 3 seconds, once); an answer, a recommendation or a re-ingest runs on
the background pool and reports through the command's `response_url` or a direct message.
"""

import json
import logging
import time
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.assessment.intake import IntakeAnswers
from bot.settings import Settings
from bot.slack import messages, modal
from bot.slack.blocks import (
    ASSESSMENT_ACTION,
    SHARE_ACTION,
    answer_messages,
    recommendation_message,
    shared_recommendation,
)
from bot.slack.engines import Engines
from bot.slack.mrkdwn import from_slack
from bot.slack.ops import Metrics
from bot.slack.reindex import Reindexer
from bot.slack.work import BackgroundWork
from bot.storage import Store

log = logging.getLogger("bot.slack")

HELP_WORDS = ("help", "usage", "?")
REINDEX_WORD = "reindex"
SHARE_REFUSALS = ("not_in_channel", "channel_not_found", "is_archived", "restricted_action")


class SlashCommand:
    """The `/ai-strategy` command, its modal and the recommendation's share button."""

    def __init__(
        self,
        *,
        settings: Settings,
        engines: Engines,
        store: Store,
        work: BackgroundWork,
        client: WebClient,
        name: str = messages.COMMAND,
        metrics: Metrics | None = None,
        reindexer: Reindexer | None = None,
    ) -> None:
        self.settings = settings
        self.engines = engines
        self.store = store
        self.work = work
        self.client = client
        self.name = name
        self.metrics = metrics or Metrics()
        self.reindexer = reindexer or Reindexer(engines=engines, store=store, metrics=self.metrics)

    def register(self, app: App) -> None:
        app.command(self.name)(self.on_command)
        app.view_submission(modal.CALLBACK_ID)(self.on_submission)
        app.action(SHARE_ACTION)(self.on_share)
        app.action(ASSESSMENT_ACTION)(self.on_assessment_offer)

    # -- the command -----------------------------------------------------------------------

    def on_command(self, ack, command: dict, respond) -> None:
        text = from_slack(command.get("text", ""))
        word = text.lower()
        if not text:
            ack()
            self._open_modal(
                trigger_id=command["trigger_id"], channel=command["channel_id"], respond=respond
            )
        elif word in HELP_WORDS:
            ack(text=messages.usage())
        elif word == REINDEX_WORD:
            if command["user_id"] not in self.settings.admin_users:
                ack(text=messages.reindex_refused())
                return
            ack(text=messages.reindex_started())
            self.work.submit(
                self.reindexer.run, lambda text: respond(text=text, response_type="ephemeral")
            )
        elif " " not in text and not text.endswith("?"):
            ack(text=messages.usage())
        else:
            ack(text=messages.looking_up())
            self.work.submit(self._answer, text, command, respond, time.perf_counter())

    def _open_modal(
        self, *, trigger_id: str, channel: str, respond, prefill: dict[str, str] | None = None
    ) -> None:
        view = modal.step_view(1, answers=prefill or {}, channel=channel, prefilled=bool(prefill))
        try:
            self.client.views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as error:
            self.metrics.error("slack_api")
            log.error(messages.log_slack_call_failed("views.open", error.response.get("error", "")))
            respond(text=messages.modal_failed(), response_type="ephemeral")

    def _answer(self, question: str, command: dict, respond, taken_at: float) -> None:
        try:
            answer = self.engines.answer(question, ())
            answer_id = self.store.remember_answer(
                channel=command["channel_id"],
                thread_ts=None,
                asker=command["user_id"],
                question=question,
                answer=answer.text,
                cited_docs=sorted({citation.doc for citation in answer.citations}),
            )
            for piece in answer_messages(answer, answer_id=answer_id):
                respond(response_type="ephemeral", **piece.as_arguments())
            self.metrics.delivered(
                "command", grounded=answer.grounded, seconds=time.perf_counter() - taken_at
            )
        except Exception as error:
            error_id = messages.new_error_id()
            self.metrics.error("answer")
            log.error(messages.log_answer_failed(error_id, error))
            log.debug("answer failed", exc_info=True)
            respond(text=messages.apology(error_id), response_type="ephemeral")

    def on_assessment_offer(self, ack, body: dict, action: dict, respond) -> None:
        """"Run the full assessment" under an answer: the modal, prefilled with what the
        question stated (the button's value, validated again: it comes back from outside)."""
        ack()
        container = body.get("container") or {}
        channel = container.get("channel_id") or (body.get("channel") or {}).get("id", "")
        self._open_modal(
            trigger_id=body["trigger_id"],
            channel=channel,
            respond=lambda **reply: respond(replace_original=False, **reply),
            prefill=modal.read_prefill(action.get("value")),
        )

    # -- the modal -------------------------------------------------------------------------

    def on_submission(self, ack, body: dict, view: dict) -> None:
        """A step submitted: field errors, the next step pushed, or the recommendation started."""
        step, channel, answers = modal.read_metadata(view)
        answers.update(modal.read_step(view, step))
        errors = modal.step_errors(answers, step)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        if step < modal.LAST_STEP:
            ack(
                response_action="push",
                view=modal.step_view(step + 1, answers=answers, channel=channel),
            )
            return
        intake = modal.completed_answers(answers)
        ack(response_action="clear")
        self.work.submit(self._recommend, intake, user=body["user"]["id"], channel=channel)

    def _recommend(self, intake: IntakeAnswers, *, user: str, channel: str) -> None:
        """Post the recommendation to the user privately: a DM from the app."""
        try:
            recommendation = self.engines.recommend(intake)
            message = recommendation_message(recommendation, channel=channel)
            self.client.chat_postMessage(channel=user, **message.as_arguments())
            self.metrics.recommendations.inc()
        except Exception as error:
            error_id = messages.new_error_id()
            self.metrics.error("recommendation")
            log.error(messages.log_recommendation_failed(error_id, error))
            log.debug("recommendation failed", exc_info=True)
            self.client.chat_postMessage(
                channel=user, text=messages.recommendation_failed(error_id)
            )

    # -- sharing ---------------------------------------------------------------------------

    def on_share(self, ack, body: dict, action: dict, respond) -> None:
        """Post a recommendation from the DM to the channel where the command was run."""
        ack()
        value: dict[str, Any] = json.loads(action.get("value") or "{}")
        channel = value.pop("channel", "")
        message = shared_recommendation(
            body.get("message", {}), user_id=body["user"]["id"], payload=value
        )
        try:
            self.client.chat_postMessage(channel=channel, **message.as_arguments())
        except SlackApiError as error:
            code = error.response.get("error", "")
            log.warning(messages.log_slack_call_failed("chat.postMessage", code))
            if code not in SHARE_REFUSALS:
                raise  # counted and logged by the app's error handler
            respond(
                text=messages.share_failed(channel),
                response_type="ephemeral",
                replace_original=False,
            )
            return
        respond(text=messages.shared(channel), response_type="ephemeral", replace_original=False)
