"""The App Home tab: what the bot knows and how to use it; for admins, feedback and settings.

Published (`views.publish`) when a person opens the tab (`app_home_opened`), and again after
an admin changes something there. Everyone sees the documents of the current index (titles
and passage counts), its version and build time, and how to ask. Admins
(`AI_STRATEGY_ADMIN_USERS`) also see the feedback summary with the reasons given for 👎, a
"Re-index now" button, and the per-channel settings (`ChannelMode`), changed with a channel
picker and a mode picker.
"""

import logging
from datetime import datetime
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    ConversationFilter,
    ConversationSelectElement,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.settings import Settings
from bot.slack import messages
from bot.slack.blocks import sections
from bot.slack.channel_settings import ChannelSettings
from bot.slack.delivery import slack_call_failed
from bot.slack.engines import Engines
from bot.slack.feedback import reason_label
from bot.slack.metrics import Metrics
from bot.slack.mrkdwn import escape
from bot.slack.reindex import Reindexer
from bot.slack.work import BackgroundWork
from bot.storage import ChannelMode, FeedbackSummary, Store
from ingest.index import PublishedVersion

log = logging.getLogger("bot.slack")

REINDEX_ACTION = "home_reindex"
CHANNEL_ACTION = "home_channel"
MODE_ACTION = "home_channel_mode"
SETTINGS_BLOCK = "channel_settings"
DEFAULT_MODE = "default"
RECENT_DOWN = 5


def built_at(iso: str) -> str:
    """A build time as Slack's date token (shown in each reader's time zone)."""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return escape(iso)
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def _knowledge(published: PublishedVersion | None) -> list[dict[str, Any]]:
    if published is None:
        return sections(messages.HOME_NO_INDEX)
    manifest = published.manifest
    documents = sorted(manifest.documents.values(), key=lambda d: d.title.lower())
    facts = messages.home_index_facts(
        documents=len(documents),
        chunks=manifest.chunk_count,
        version=escape(published.name),
        built=built_at(manifest.created),
    )
    lines = "\n".join(messages.home_document_line(escape(d.title), d.chunks) for d in documents)
    return [*sections(facts), *sections(lines)] if lines else sections(facts)


def _feedback(summary: FeedbackSummary) -> list[dict[str, Any]]:
    totals = messages.feedback_totals(summary.up, summary.down)
    text = f"{messages.HOME_FEEDBACK_HEADING}\n{totals}"
    if summary.reasons:
        text += "\n" + "\n".join(
            messages.home_reason_line(reason_label(reason) or reason, count)
            for reason, count in summary.reasons.items()
        )
    if summary.recent_down:
        text += f"\n{messages.FEEDBACK_RECENT_HEADING}\n" + "\n".join(
            messages.home_recent_down_line(escape(vote.question), reason_label(vote.reason))
            for vote in summary.recent_down[:RECENT_DOWN]
        )
    return sections(text)


def _mode_options(default: ChannelMode) -> list[Option]:
    labels = messages.CHANNEL_MODE_LABELS
    return [
        Option(value=DEFAULT_MODE, text=f"{messages.HOME_CHANNEL_DEFAULT} ({labels[default]})"),
        *(Option(value=mode.value, text=labels[mode.value]) for mode in ChannelMode),
    ]


def _channel_settings(modes: dict[str, ChannelMode], default: ChannelMode) -> list[dict[str, Any]]:
    labels = messages.CHANNEL_MODE_LABELS
    text = messages.home_channels_heading(labels[default])
    if modes:
        text += "\n" + "\n".join(
            messages.home_channel_line(channel, labels[mode]) for channel, mode in modes.items()
        )
    picker = ActionsBlock(
        block_id=SETTINGS_BLOCK,
        elements=[
            ConversationSelectElement(
                action_id=CHANNEL_ACTION,
                placeholder=messages.HOME_CHANNEL_PICKER,
                filter=ConversationFilter(include=["public", "private", "mpim"]),
            ),
            StaticSelectElement(
                action_id=MODE_ACTION,
                placeholder=messages.HOME_MODE_PICKER,
                options=_mode_options(default),
            ),
        ],
    )
    return [*sections(text), picker.to_dict()]


def home_view(
    *,
    published: PublishedVersion | None,
    bot_user_id: str | None,
    admin: bool,
    summary: FeedbackSummary | None = None,
    modes: dict[str, ChannelMode] | None = None,
    default: ChannelMode = ChannelMode.ASKER,
    status: str | None = None,
) -> dict[str, Any]:
    """The App Home view for one person (admins see more)."""
    blocks: list[dict[str, Any]] = [
        HeaderBlock(text=messages.HOME_HEADING).to_dict(),
        *sections(messages.HOME_INTRO),
        *sections(messages.home_how_to(bot_user_id)),
        DividerBlock().to_dict(),
        HeaderBlock(text=messages.HOME_KNOWLEDGE_HEADING).to_dict(),
        *_knowledge(published),
    ]
    if admin:
        blocks += [
            DividerBlock().to_dict(),
            HeaderBlock(text=messages.HOME_ADMIN_HEADING).to_dict(),
            *_feedback(summary or FeedbackSummary(up=0, down=0, documents=[], recent_down=[])),
            ActionsBlock(
                elements=[
                    ButtonElement(text=messages.HOME_REINDEX_BUTTON, action_id=REINDEX_ACTION)
                ]
            ).to_dict(),
        ]
        if status:
            blocks.append(ContextBlock(elements=[MarkdownTextObject(text=status)]).to_dict())
        blocks += _channel_settings(modes or {}, default)
    return View(type="home", blocks=blocks).to_dict()


class AppHome:
    """Publishes the App Home tab and handles what admins do there."""

    def __init__(
        self,
        *,
        settings: Settings,
        engines: Engines,
        store: Store,
        client: WebClient,
        work: BackgroundWork,
        metrics: Metrics,
        channels: ChannelSettings,
        reindexer: Reindexer,
    ) -> None:
        self.settings = settings
        self.engines = engines
        self.store = store
        self.client = client
        self.work = work
        self.metrics = metrics
        self.channels = channels
        self.reindexer = reindexer

    def register(self, app: App) -> None:
        app.event("app_home_opened")(self.on_opened)
        app.action(REINDEX_ACTION)(self.on_reindex)
        app.action(CHANNEL_ACTION)(self.on_channel_picked)
        app.action(MODE_ACTION)(self.on_mode_picked)

    def is_admin(self, user: str) -> bool:
        return user in self.settings.admin_users

    # -- listeners -------------------------------------------------------------------------

    def on_opened(self, event: dict, context: dict) -> None:
        """The Home tab opened (the Messages tab opening is not ours to answer)."""
        if event.get("tab", "home") != "home":
            return
        self.work.submit(self.publish, event["user"], bot_user_id=context.get("bot_user_id"))

    def on_reindex(self, ack, body: dict, context: dict) -> None:
        ack()
        user = body["user"]["id"]
        bot_user_id = context.get("bot_user_id")
        if not self.is_admin(user):
            self.publish(user, bot_user_id=bot_user_id, status=messages.REINDEX_REFUSED)
            return
        self.publish(user, bot_user_id=bot_user_id, status=messages.HOME_REINDEX_RUNNING)
        self.work.submit(
            self.reindexer.run,
            lambda text: self.publish(user, bot_user_id=bot_user_id, status=text),
        )

    def on_channel_picked(self, ack) -> None:
        """Nothing to do until a mode is picked too (the choice stays in the view's state)."""
        ack()

    def on_mode_picked(self, ack, body: dict, action: dict, context: dict) -> None:
        """A mode picked for the channel chosen beside it: store it, show the new settings."""
        ack()
        user = body["user"]["id"]
        bot_user_id = context.get("bot_user_id")
        if not self.is_admin(user):
            self.publish(user, bot_user_id=bot_user_id, status=messages.HOME_NOT_ADMIN_ACTION)
            return
        state = (body.get("view") or {}).get("state", {}).get("values", {})
        channel = state.get(SETTINGS_BLOCK, {}).get(CHANNEL_ACTION, {}).get("selected_conversation")
        choice = (action.get("selected_option") or {}).get("value")
        if not channel or choice not in (DEFAULT_MODE, *ChannelMode._value2member_map_):
            self.publish(user, bot_user_id=bot_user_id, status=messages.HOME_CHANNEL_PICKER)
            return
        mode = None if choice == DEFAULT_MODE else ChannelMode(str(choice))
        self.store.set_channel_mode(channel, mode, by=user)
        log.info(
            "channel setting changed",
            extra={"channel": channel, "mode": choice, "by": user},
        )
        self.publish(user, bot_user_id=bot_user_id)

    # -- publishing ------------------------------------------------------------------------

    def publish(self, user: str, *, bot_user_id: str | None, status: str | None = None) -> None:
        """Publish the user's App Home as it is now."""
        admin = self.is_admin(user)
        view = home_view(
            published=self._published(),
            bot_user_id=bot_user_id,
            admin=admin,
            summary=self.store.feedback_summary(recent=RECENT_DOWN) if admin else None,
            modes=self.store.channel_modes() if admin else None,
            default=self.channels.default,
            status=status,
        )
        try:
            self.client.views_publish(user_id=user, view=view)
        except SlackApiError as error:
            slack_call_failed(self.metrics, "views.publish", error)

    def _published(self) -> PublishedVersion | None:
        if self.engines.published is None:
            return None
        try:
            return self.engines.published()
        except Exception as error:
            log.warning(messages.log_unexpected_error(messages.new_error_id(), error))
            return None
