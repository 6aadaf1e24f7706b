"""`/ai-strategy`: the guided assessment (modal → recommendation by DM), questions, help, and
for admins `reindex`, `add <url>` and `remove <doc>`.

The command is acknowledged at once. With no text the modal opens right away (its
`trigger_id` is valid for 3 seconds, once); an answer, a recommendation or a re-ingest runs on
the background pool and reports through the command's `response_url` or a direct message.
"""

import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
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
    SlackMessage,
    recommendation_message,
    shared_recommendation,
)
from bot.slack.channel_settings import is_direct_message
from bot.slack.delivery import Delivery, Question, report_failure, slack_call_failed
from bot.slack.engines import Engines
from bot.slack.etiquette import has_no_words
from bot.slack.metrics import Metrics
from bot.slack.mrkdwn import from_slack
from bot.slack.reindex import Reindexer
from bot.slack.work import BackgroundWork
from bot.storage import Store
from ingest.fetching import FetchLimits
from ingest.knowledge_files import KnowledgeChange, add_url, remove_document

log = logging.getLogger("bot.slack")

HELP_WORDS = ("help", "usage", "?")
REINDEX_WORD = "reindex"
# `add <url>`, `remove <doc>`: the verb and one argument at most, as Slack sends it (a link as
# `<url|label>`); "add few-shot examples or fine-tune?" is a question.
_ADMIN_CHANGE = re.compile(r"^\s*(?:add|remove)(?:\s+(?:<[^>]*>|\S+))?\s*$", re.IGNORECASE)
_LINK = re.compile(r"^<([^|>]+)(?:\|[^>]*)?>$")
SHARE_REFUSALS = ("not_in_channel", "channel_not_found", "is_archived", "restricted_action")
# A conversation id as Slack writes them: a public (C) or private (G) channel, a DM (D).
_CONVERSATION_ID = re.compile(r"[CGD][A-Z0-9]{2,}")


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
        delivery: Delivery | None = None,
    ) -> None:
        self.settings = settings
        self.engines = engines
        self.store = store
        self.work = work
        self.client = client
        self.name = name
        self.metrics = metrics or Metrics()
        self.delivery = delivery or Delivery(engines=engines, store=store, metrics=self.metrics)
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
        elif word in HELP_WORDS or word.rstrip("?!.") in HELP_WORDS:
            ack(text=messages.USAGE)
        elif word == REINDEX_WORD:
            if command["user_id"] not in self.settings.admin_users:
                ack(text=messages.REINDEX_REFUSED)
                return
            ack(text=messages.REINDEX_STARTED)
            self.work.submit(self.reindexer.run, self._ephemeral(respond))
        elif _ADMIN_CHANGE.match(command.get("text", "")):
            self._admin_change(ack, command, respond)
        elif (" " not in text and not text.endswith("?")) or has_no_words(text):
            ack(text=messages.USAGE)
        else:
            ack(text=messages.LOOKING_UP)
            question = Question(
                text=text, user=command["user_id"], channel=command["channel_id"], surface="command"
            )
            self.work.submit(self._answer, question, respond)

    def _open_modal(
        self, *, trigger_id: str, channel: str, respond, prefill: dict[str, str] | None = None
    ) -> None:
        view = modal.step_view(1, answers=prefill or {}, channel=channel, prefilled=bool(prefill))
        try:
            self.client.views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as error:
            slack_call_failed(self.metrics, "views.open", error)
            respond(text=messages.MODAL_FAILED, response_type="ephemeral")

    def _answer(self, question: Question, respond) -> None:
        """The answer, shown only to the person who ran the command (its response_url)."""

        def post(message: SlackMessage) -> None:
            respond(response_type="ephemeral", **message.as_arguments())

        self.delivery.answer(question, post=post)

    def _admin_change(self, ack, command: dict, respond) -> None:
        """`add <url>` or `remove <doc>`: refused for non-admins, else done in the background."""
        verb, *raw = command.get("text", "").split(None, 1)
        verb, argument = verb.lower(), _argument(raw[0] if raw else "")
        user = command["user_id"]
        if user not in self.settings.admin_users:
            ack(text=messages.knowledge_change_refused(verb))
            return
        if not argument:
            ack(text=messages.knowledge_change_usage(verb))
            return
        ack(text=messages.knowledge_change_started(verb, argument))
        edit = self._add_url if verb == "add" else self._remove
        self.work.submit(
            self.reindexer.run,
            self._ephemeral(respond),
            edit=lambda: edit(argument),
            user=user,
        )

    def _add_url(self, url: str) -> KnowledgeChange:
        limits = FetchLimits.of(self.settings)
        added = add_url(url, self.settings.knowledge_dir, limits)
        return _change("update" if added.replaced else "add", added.doc, added.title, added.url)

    def _remove(self, doc: str) -> KnowledgeChange:
        removed = remove_document(doc, self.settings.knowledge_dir)
        return _change("remove", removed.doc, removed.title, removed.path.name)

    @staticmethod
    def _ephemeral(respond) -> Callable[[str], object]:
        """Tell the person who ran the command, and only them."""
        return lambda text: respond(text=text, response_type="ephemeral")

    def on_assessment_offer(self, ack, body: dict, action: dict, respond) -> None:
        """ "Run the full assessment" under an answer: the modal, prefilled with what the
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
            report_failure(
                self.metrics,
                "recommendation",
                error,
                notify=lambda text: self.client.chat_postMessage(channel=user, text=text),
                apology=messages.recommendation_failed,
                surface="recommendation",
                channel=user,
            )

    # -- sharing ---------------------------------------------------------------------------

    def on_share(self, ack, body: dict, action: dict, respond) -> None:
        """Post a recommendation from the DM to the channel where the command was run."""
        ack()
        value = share_value(action.get("value"))
        if value is None:
            respond(text=messages.SHARE_INVALID, response_type="ephemeral", replace_original=False)
            return
        channel = value.pop("channel")
        message = shared_recommendation(
            body.get("message", {}), user_id=body["user"]["id"], payload=value
        )
        try:
            self.client.chat_postMessage(channel=channel, **message.as_arguments())
        except SlackApiError as error:
            code = slack_call_failed(self.metrics, "chat.postMessage", error)
            if code not in SHARE_REFUSALS:
                raise  # counted and logged by the app's error handler
            respond(
                text=messages.share_failed(channel, direct_message=is_direct_message(channel)),
                response_type="ephemeral",
                replace_original=False,
            )
            return
        respond(text=messages.shared(channel), response_type="ephemeral", replace_original=False)


def share_value(raw: object) -> dict[str, Any] | None:
    """What a share button carries: the channel to share in (a conversation id) and the
    recommendation's outcome; None for a value that is not that (it comes back from outside,
    and its channel is shown in what the person is told)."""
    try:
        value = json.loads(raw) if isinstance(raw, str) else None
    except (ValueError, RecursionError):
        return None
    if isinstance(value, dict) and _CONVERSATION_ID.fullmatch(str(value.get("channel", ""))):
        return value
    return None


def _argument(raw: str) -> str:
    """The command's argument as typed: a link Slack formatted (`<https://…|…>`) is its address."""
    raw = raw.strip()
    link = _LINK.match(raw)
    return link.group(1) if link else from_slack(raw)


def _change(action: str, doc: str, title: str, source: str | None) -> KnowledgeChange:
    return KnowledgeChange(
        at=datetime.now(UTC), who="", action=action, doc=doc, title=title, source=source
    )
