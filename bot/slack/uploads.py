"""Files an admin shares in a DM with the bot (its assistant thread too), offered to be added to
the knowledge base.

Slack sends the message (`file_share`) with the files' metadata. To an admin the bot replies
"Add … to the knowledge base?" with a button for each file it can read (.md, .txt, .html,
.pdf). The click replaces the offer with "Adding …", downloads the file (`files.info`, then its
private URL with the bot's token, within the fetch limits of `ai-strategy add URL`), writes it
as a document as `ai-strategy add FILE` does, re-indexes (`bot.slack.reindex`: one at a time,
recorded in the history) and replaces the offer with what changed, by document title with
chunk counts. Anyone else who shares only a file is told that admins add documents; a question
in the same message is answered as usual. The button's file id comes back from outside: it is
looked up again with Slack, and only an admin's click is acted on.
"""

import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.settings import Settings
from bot.slack import messages
from bot.slack.blocks import SlackMessage, actions, button, sections, text_message
from bot.slack.reindex import Reindexer
from bot.slack.work import BackgroundWork
from ingest.fetching import FetchLimits, download_file
from ingest.knowledge_files import CannotAdd, KnowledgeChange, add_upload
from ingest.parsing import SUPPORTED_SUFFIXES

log = logging.getLogger("bot.slack")

ADD_FILE_ACTION = "add_uploaded_file"
OFFER_BLOCK = "add_uploaded_files"
MAX_OFFERED = 5  # buttons in one offer (Slack allows 25 per actions block; a DM wants few)


def _suffix(name: str) -> str:
    return "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""


class Uploads:
    """The offer made for files shared in a DM, and its button."""

    def __init__(
        self,
        *,
        settings: Settings,
        client: WebClient,
        work: BackgroundWork,
        reindexer: Reindexer,
    ) -> None:
        self.settings = settings
        self.client = client
        self.work = work
        self.reindexer = reindexer

    def register(self, app: App) -> None:
        app.action(ADD_FILE_ACTION)(self.on_add)

    def reply_to(self, event: dict[str, Any], *, has_text: bool) -> SlackMessage | None:
        """What to reply to a DM with files attached; None: answer its text as usual."""
        files = [f for f in event.get("files") or [] if isinstance(f, dict) and f.get("id")]
        if not files:
            return None
        if event.get("user") not in self.settings.admin_users:
            return None if has_text else text_message(messages.UPLOAD_NOT_ADMIN)
        named = {f["id"]: str(f.get("name") or f["id"]) for f in files}
        offered = [id_ for id_, name in named.items() if _suffix(name) in SUPPORTED_SUFFIXES]
        if not offered:
            return text_message(
                messages.upload_unsupported(list(named.values()), SUPPORTED_SUFFIXES)
            )
        offered = offered[:MAX_OFFERED]
        text = messages.upload_offer([named[id_] for id_ in offered])
        buttons = [
            button(messages.upload_button(named[id_]), ADD_FILE_ACTION, id_, style="primary")
            for id_ in offered
        ]
        return SlackMessage(text=text, blocks=[*sections(text), actions(OFFER_BLOCK, *buttons)])

    def on_add(self, ack, body: dict, action: dict) -> None:
        """An offer's button: an admin's click adds the file, on the background pool."""
        ack()
        user = (body.get("user") or {}).get("id", "")
        container = body.get("container") or {}
        channel, ts = container.get("channel_id"), container.get("message_ts")
        if not channel or not ts:
            return
        if user not in self.settings.admin_users:
            self._show(channel, ts, messages.knowledge_change_refused("add"))
            return
        file_id = str(action.get("value") or "")
        self._show(channel, ts, messages.UPLOAD_STARTED)
        self.work.submit(
            self.reindexer.run,
            lambda text: self._show(channel, ts, text),
            edit=lambda: self._add(file_id),
            user=user,
        )

    def _show(self, channel: str, ts: str, text: str) -> None:
        """The offer message, replaced by where its file stands (no button left to click)."""
        try:
            self.client.chat_update(channel=channel, ts=ts, **text_message(text).as_arguments())
        except SlackApiError as error:
            log.warning(messages.log_upload_update_failed(error.response.get("error")))

    def _add(self, file_id: str) -> KnowledgeChange:
        try:
            info = self.client.files_info(file=file_id)["file"]
        except SlackApiError as error:
            raise CannotAdd(messages.upload_unavailable(error.response.get("error"))) from None
        name = str(info.get("name") or file_id)
        url = str(info.get("url_private_download") or info.get("url_private") or "")
        if not on_slack(url, self.settings.slack_api_url):
            raise CannotAdd(messages.upload_not_on_slack(name))  # the token goes nowhere else
        limits = FetchLimits.of(self.settings)
        content = download_file(
            url, name, limits, headers={"Authorization": f"Bearer {self.client.token}"}
        )
        added = add_upload(name, content, self.settings.knowledge_dir)
        return KnowledgeChange(
            at=datetime.now(UTC),
            who="",
            action="update" if added.replaced else "add",
            doc=added.doc,
            title=added.title,
            source=name,
        )


def on_slack(url: str, api_url: str) -> bool:
    """Whether `url` is served by Slack: the Web API's own host and port, or a subdomain of its
    host (files.slack.com for slack.com), by the same scheme. The bot's token is sent with the
    download, so a file description pointing anywhere else is not followed."""
    file, api = urlsplit(url), urlsplit(api_url)
    host, api_host = (file.hostname or "").lower(), (api.hostname or "").lower()
    if not host or file.scheme != api.scheme:
        return False
    return (host, file.port) == (api_host, api.port) or host.endswith(f".{api_host}")
