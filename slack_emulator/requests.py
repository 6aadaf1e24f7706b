"""What Slack sends to an app, shaped and signed as Slack does.

Events API deliveries are JSON envelopes; slash commands are form-encoded; interactions
(`block_actions`, `view_submission`) are a form with one `payload` field holding JSON. Each
request carries `X-Slack-Request-Timestamp` and `X-Slack-Signature: v0=<HMAC-SHA256 of
"v0:{timestamp}:{body}">`; redeliveries add `X-Slack-Retry-Num` and `X-Slack-Retry-Reason`.
"""

import hashlib
import hmac
import json
import mimetypes
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from slack_emulator.workspace import Workspace

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Delivery:
    """One request to the app and how it answered; `status` 0 means it could not be reached."""

    kind: str  # "event", "command" or "interaction"
    body: bytes
    content_type: str
    status: int
    response_body: bytes
    seconds: float
    retry_num: int = 0
    response_content_type: str = ""

    def json(self) -> Any:
        """The app's answer as JSON (None when the body is empty or not JSON)."""
        try:
            return json.loads(self.response_body) if self.response_body else None
        except ValueError:
            return None

    def message(self) -> dict[str, Any] | None:
        """The answer as the message Slack would show for it: a JSON message, or plain text."""
        if self.status != 200 or not self.response_body:
            return None
        if self.response_content_type.startswith("application/json"):
            answer = self.json()
            return answer if isinstance(answer, dict) else None
        return {"text": self.response_body.decode("utf-8")}

    @property
    def event_id(self) -> str | None:
        return json.loads(self.body).get("event_id") if self.kind == "event" else None


def signature(signing_secret: str, timestamp: str, body: bytes) -> str:
    """Slack's `X-Slack-Signature`: `v0=` + HMAC-SHA256 of `v0:{timestamp}:{body}`."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


class SignedSender:
    """Posts bodies to the app's Request URL with Slack's signature headers."""

    def __init__(self, url: str, signing_secret: str, *, timeout: float = 10.0) -> None:
        self.url = url
        self.signing_secret = signing_secret
        self._client = httpx.Client(timeout=timeout)

    def send(
        self,
        kind: str,
        body: bytes,
        content_type: str,
        *,
        retry_num: int = 0,
        retry_reason: str = "http_timeout",
        timestamp: int | None = None,
        signing_secret: str | None = None,
    ) -> Delivery:
        """Sign and post one request; `timestamp`/`signing_secret` override for negative tests."""
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature(signing_secret or self.signing_secret, stamp, body),
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }
        if retry_num:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason
        started = time.perf_counter()
        try:
            response = self._client.post(self.url, content=body, headers=headers)
            status, content = response.status_code, response.content
            answer_type = response.headers.get("content-type", "")
        except httpx.HTTPError as error:
            status, content, answer_type = 0, str(error).encode(), ""
        seconds = time.perf_counter() - started
        return Delivery(kind, body, content_type, status, content, seconds, retry_num, answer_type)

    def close(self) -> None:
        self._client.close()


def _user(ws: Workspace, user_id: str) -> dict[str, Any]:
    name = ws.users[user_id].name if user_id in ws.users else user_id
    return {"id": user_id, "username": name, "name": name, "team_id": ws.team_id}


def rich_text(text: str) -> list[dict[str, Any]]:
    """The `blocks` Slack clients attach to a typed message (plain text only)."""
    section = {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
    return [{"type": "rich_text", "block_id": uuid.uuid4().hex[:5], "elements": [section]}]


def event_body(ws: Workspace, event: dict[str, Any]) -> bytes:
    """An Events API envelope (`event_callback`) around one event, with a fresh `event_id`."""
    envelope = {
        "token": "emulated-verification-token",
        "team_id": ws.team_id,
        "context_team_id": ws.team_id,
        "api_app_id": ws.app_id,
        "event": event,
        "type": "event_callback",
        "event_id": "Ev" + uuid.uuid4().hex[:10].upper(),
        "event_time": int(float(event.get("event_ts", time.time()))),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": ws.team_id,
                "user_id": ws.bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": "4-" + uuid.uuid4().hex,
    }
    return json.dumps(envelope).encode()


def message_event(message: dict[str, Any], channel_id: str, channel_type: str) -> dict[str, Any]:
    """The `message` event for a stored message."""
    event = {
        key: value
        for key, value in message.items()
        if key not in ("reactions", "reply_count", "reply_users", "latest_reply")
    }
    event.update(channel=channel_id, event_ts=message["ts"], channel_type=channel_type)
    return event


def message_changed_event(
    message: dict[str, Any], previous: dict[str, Any], channel_id: str, channel_type: str
) -> dict[str, Any]:
    """The `message` event (`subtype: message_changed`) for an edit of a stored message."""
    event_ts = message["edited"]["ts"]
    return {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "message": message,
        "previous_message": previous,
        "channel": channel_id,
        "channel_type": channel_type,
        "ts": event_ts,
        "event_ts": event_ts,
    }


def message_deleted_event(
    previous: dict[str, Any], channel_id: str, channel_type: str, event_ts: str
) -> dict[str, Any]:
    """The `message` event (`subtype: message_deleted`) for a deleted message."""
    return {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "deleted_ts": previous["ts"],
        "previous_message": previous,
        "channel": channel_id,
        "channel_type": channel_type,
        "ts": event_ts,
        "event_ts": event_ts,
    }


def file_object(ws: Workspace, user: str, name: str, size: int, base_url: str) -> dict[str, Any]:
    """A file shared in a message, as Slack describes it: its private URLs (served by the
    emulator under `/files-pri/`) need the bot's token and the `files:read` scope."""
    file_id = ws.new_id("F")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else "binary"
    folder = f"{base_url}/files-pri/{ws.team_id}-{file_id}"
    return {
        "id": file_id,
        "created": int(time.time()),
        "name": name,
        "title": name,
        "filetype": extension,
        "mimetype": mimetypes.guess_type(name)[0] or "application/octet-stream",
        "user": user,
        "size": size,
        "mode": "hosted",
        "url_private": f"{folder}/{quote(name)}",
        "url_private_download": f"{folder}/download/{quote(name)}",
    }


def app_mention_event(message: dict[str, Any], channel_id: str) -> dict[str, Any]:
    """The `app_mention` event for a stored message that mentions the bot (re-sent with
    `edited` when an edit still mentions it)."""
    event: dict[str, Any] = {
        key: message[key]
        for key in (
            "user",
            "text",
            "ts",
            "client_msg_id",
            "team",
            "blocks",
            "files",
            "thread_ts",
            "parent_user_id",
            "edited",
        )
        if key in message
    }
    event.update(type="app_mention", channel=channel_id, event_ts=message["ts"])
    return event


def slash_command_body(
    ws: Workspace,
    *,
    user: str,
    channel_id: str,
    command: str,
    text: str,
    response_url: str,
    trigger_id: str,
) -> bytes:
    channel = ws.channels.get(channel_id)
    form = {
        "token": "emulated-verification-token",
        "team_id": ws.team_id,
        "team_domain": ws.team_domain,
        "channel_id": channel_id,
        "channel_name": "directmessage"
        if channel and channel.kind == "im"
        else (channel.name if channel else channel_id),
        "user_id": user,
        "user_name": _user(ws, user)["name"],
        "command": command,
        "text": text,
        "api_app_id": ws.app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }
    return urlencode(form).encode()


def interaction_body(payload: dict[str, Any]) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def block_actions_payload(
    ws: Workspace,
    *,
    user: str,
    channel_id: str,
    message: dict[str, Any],
    is_ephemeral: bool,
    action: dict[str, Any],
    block_id: str,
    trigger_id: str,
    response_url: str,
) -> dict[str, Any]:
    """A button click on a message (`block_actions`)."""
    channel = ws.channels.get(channel_id)
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(ws, user),
        "api_app_id": ws.app_id,
        "token": "emulated-verification-token",
        "container": {
            "type": "message",
            "message_ts": message["ts"],
            "channel_id": channel_id,
            "is_ephemeral": is_ephemeral,
        },
        "trigger_id": trigger_id,
        "team": {"id": ws.team_id, "domain": ws.team_domain},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": channel.name if channel else channel_id},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [_action(action, block_id)],
    }
    if message.get("thread_ts"):
        payload["container"]["thread_ts"] = message["thread_ts"]
    if not is_ephemeral:
        payload["message"] = message
    return payload


def _action(action: dict[str, Any], block_id: str) -> dict[str, Any]:
    """One entry of `actions`: a button's text and value, or what a select picked."""
    entry = {
        "action_id": action["action_id"],
        "block_id": block_id,
        "type": action["type"],
        "action_ts": f"{time.time():.6f}",
    }
    if action["type"] in ("button", "feedback_buttons"):
        entry |= {
            "text": action.get("text"),
            "value": action.get("value"),
            "style": action.get("style"),
        }
    entry |= {key: value for key, value in action.items() if key.startswith("selected_")}
    return entry


def home_actions_payload(
    ws: Workspace,
    *,
    user: str,
    view: dict[str, Any],
    action: dict[str, Any],
    block_id: str,
    trigger_id: str,
) -> dict[str, Any]:
    """An action in the Home tab (`block_actions` from a view: no channel, no message)."""
    return {
        "type": "block_actions",
        "user": _user(ws, user),
        "api_app_id": ws.app_id,
        "token": "emulated-verification-token",
        "container": {"type": "view", "view_id": view["id"]},
        "trigger_id": trigger_id,
        "team": {"id": ws.team_id, "domain": ws.team_domain},
        "enterprise": None,
        "is_enterprise_install": False,
        "view": view,
        "actions": [_action(action, block_id)],
    }


def view_submission_payload(
    ws: Workspace, *, user: str, view: dict[str, Any], values: dict[str, Any], trigger_id: str
) -> dict[str, Any]:
    """A modal submitted with the given input values (`view_submission`)."""
    submitted = dict(view)
    submitted["state"] = {"values": values}
    return {
        "type": "view_submission",
        "team": {"id": ws.team_id, "domain": ws.team_domain},
        "user": _user(ws, user),
        "api_app_id": ws.app_id,
        "token": "emulated-verification-token",
        "trigger_id": trigger_id,
        "view": submitted,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
