"""`SlackEmulator`: a local Slack for the bot: the Web API it calls and the people who use it.

One object plays both sides of Slack. It serves the Web API (`start()` returns the base URL
to use as `SLACK_API_URL`), and it sends the app what Slack would when people act: a message
typed in a channel becomes `message`/`app_mention` events, a slash command a signed form, a
click a `block_actions` payload, a modal submission a `view_submission` whose answer
(`response_action`) it applies to the open modal. The bot's own posts come back as events, as
in Slack. Tests, benchmarks and the sandbox page drive it through these methods and read its
state (`workspace`) and call log (`calls`).
"""

import copy
import json
import queue
import re
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from slack_emulator.requests import (
    FORM,
    JSON,
    Delivery,
    SignedSender,
    app_mention_event,
    block_actions_payload,
    event_body,
    file_object,
    home_actions_payload,
    interaction_body,
    message_changed_event,
    message_deleted_event,
    message_event,
    rich_text,
    slash_command_body,
    view_submission_payload,
)
from slack_emulator.socket_mode import SocketMode
from slack_emulator.validation import check_view
from slack_emulator.web_api import RecordedCall, WebApi
from slack_emulator.workspace import Channel, SlackError, Workspace

# The bot events and scopes of deploy/manifest.yaml (a test keeps them in step).
DEFAULT_BOT_EVENTS = (
    "app_mention",
    "message.channels",
    "message.groups",
    "message.im",
    "message.mpim",
    "assistant_thread_started",
    "assistant_thread_context_changed",
    "app_home_opened",
)
DEFAULT_SCOPES = (
    "app_mentions:read",
    "channels:history",
    "groups:history",
    "im:history",
    "mpim:history",
    "chat:write",
    "reactions:write",
    "commands",
    "files:read",
    "assistant:write",
)
DEFAULT_COMMAND = "/ai-strategy"
MESSAGE_EVENT_FOR_KIND = {
    "channel": "message.channels",
    "group": "message.groups",
    "im": "message.im",
    "mpim": "message.mpim",
}
# The scope an event subscription needs: without it Slack does not send the event.
EVENT_SCOPES = {
    "app_mention": "app_mentions:read",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "message.im": "im:history",
    "message.mpim": "mpim:history",
    "assistant_thread_started": "assistant:write",
    "assistant_thread_context_changed": "assistant:write",
}


class Server(Protocol):
    """A server for the emulator's ASGI app, started on a background thread (see `serve`)."""

    @property
    def url(self) -> str: ...

    def start(self) -> str: ...

    def stop(self) -> None: ...


# `serve(app, host=…, port=…)`: whoever runs the emulator chooses how it is served, so that
# the emulator depends on nothing of the app it stands in for.
ServerFactory = Callable[..., Server]


@dataclass(frozen=True)
class Said:
    """A message a person typed, as stored, and the events Slack delivered for it."""

    message: dict[str, Any]
    channel: str
    deliveries: list[Delivery]

    @property
    def ts(self) -> str:
        return self.message["ts"]


class SlackEmulator:
    """A Slack workspace on loopback: Web API server, state, and signed requests to the app."""

    def __init__(
        self,
        *,
        serve: ServerFactory,
        signing_secret: str = "emulated-signing-secret",
        bot_token: str = "xoxb-emulated-bot-token",
        app_token: str = "xapp-emulated-app-token",
        bot_events: Iterable[str] = DEFAULT_BOT_EVENTS,
        scopes: Iterable[str] = DEFAULT_SCOPES,
        host: str = "127.0.0.1",
        port: int = 0,
        extra_routes: Iterable[BaseRoute] = (),
    ) -> None:
        self.signing_secret = signing_secret
        self.bot_token = bot_token
        self.app_token = app_token
        self.bot_events = set(bot_events)
        self.workspace = Workspace()
        self.web_api = WebApi(self.workspace, token=bot_token, scopes=scopes, app_token=app_token)
        self.socket_mode = SocketMode(app_id=self.workspace.app_id)
        self.web_api.app_methods["apps.connections.open"] = lambda args: {
            "url": self.socket_mode.issue_url(self.url)
        }
        self.calls = self.web_api.calls
        self.deliveries: list[Delivery] = []
        self._deliveries_lock = threading.Lock()
        self._sender: SignedSender | None = None
        self._retired: list[SignedSender] = []  # replaced senders: closed when the emulator stops
        self._server = serve(
            Starlette(routes=[*self.web_api.routes(), *self.socket_mode.routes(), *extra_routes]),
            host=host,
            port=port,
        )
        self._echoes: queue.Queue[tuple[str, dict[str, Any]] | None] = queue.Queue()
        self._echo_thread = threading.Thread(target=self._deliver_echoes, daemon=True)
        self.calls.subscribe(self._echo_bot_message)
        self._populate()

    def _populate(self) -> None:
        ws = self.workspace
        ws.add_user("U0ALICE", "alice")
        ws.add_user("U0BOB", "bob")
        ws.add_user("U0ADMIN", "admin")
        members = ("U0ALICE", "U0BOB", "U0ADMIN")
        ws.add_channel("C0GENERAL", "general", members=(*members, ws.bot_user_id))
        ws.add_channel("C0RANDOM", "random", members=members)

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The emulator's base URL (Web API under `/api/`, response URLs under `/hooks/`)."""
        return self._server.url

    @property
    def api_url(self) -> str:
        """What the bot should use as `SLACK_API_URL`."""
        return f"{self._server.url}/api/"

    def start(self) -> str:
        """Serve the Web API on loopback; returns `api_url`."""
        self._server.start()
        self._echo_thread.start()
        return self.api_url

    def stop(self) -> None:
        self._echoes.put(None)
        # Echoes on their way go out before their sender closes.
        if self._echo_thread.is_alive():
            self._echo_thread.join(timeout=10)
        self.socket_mode.close()
        self._server.stop()
        for sender in [*self._retired, *([self._sender] if self._sender else [])]:
            sender.close()

    def connect(self, app_url: str) -> None:
        """Send events, commands and interactions to the app at `app_url` (its Request URL).

        Without it, requests go over Socket Mode to the app connected there.
        """
        if self._sender is not None:
            # not closed yet: a delivery (an echo on its own thread) may still be using it
            self._retired.append(self._sender)
        self._sender = SignedSender(app_url, self.signing_secret)

    def fail_next(
        self, method: str, *, status: int = 429, times: int = 1, retry_after: int = 1
    ) -> None:
        """Answer the next `times` calls of a Web API method with 429 (Retry-After) or a 5xx."""
        self.web_api.fail_next(method, status=status, times=times, retry_after=retry_after)

    # -- requests to the app ---------------------------------------------------------------

    def _send(self, kind: str, body: bytes, content_type: str, **options: Any) -> Delivery:
        if self._sender is not None:
            delivery = self._sender.send(kind, body, content_type, **options)
        elif self.socket_mode.connected:
            delivery = self.socket_mode.send(kind, body, content_type, **options)
        else:
            raise RuntimeError("no app: connect() it by URL, or let it connect in Socket Mode")
        with self._deliveries_lock:
            self.deliveries.append(delivery)
        return delivery

    def deliver_event(self, event: dict[str, Any], **options: Any) -> Delivery:
        """Deliver one event in an Events API envelope (a new `event_id` each time)."""
        return self._send("event", event_body(self.workspace, event), JSON, **options)

    def redeliver(
        self, delivery: Delivery, *, retry_num: int = 1, reason: str = "http_timeout"
    ) -> Delivery:
        """Send the same body again as Slack's retry does: same `event_id`, retry headers."""
        return self._send(
            delivery.kind,
            delivery.body,
            delivery.content_type,
            retry_num=retry_num,
            retry_reason=reason,
        )

    def send_raw(self, kind: str, body: bytes, content_type: str, **options: Any) -> Delivery:
        """Send a body as is (`timestamp=`/`signing_secret=` make stale or forged requests)."""
        return self._send(kind, body, content_type, **options)

    def _encode_mentions(self, text: str) -> str:
        """`@name` → `<@U…>`, as Slack clients encode mentions of people they know."""
        names = {user.name: user.id for user in self.workspace.users.values()}

        def encode(match: re.Match) -> str:
            user_id = names.get(match.group(1))
            return f"<@{user_id}>" if user_id else match.group(0)

        return re.sub(r"(?<![<\w])@([\w.-]+)", encode, text)

    def user_says(
        self,
        user: str,
        channel: str,
        text: str,
        *,
        thread_ts: str | None = None,
        files: Iterable[str | tuple[str, bytes]] = (),
    ) -> Said:
        """A person posts a message (with `files` attached: names, or names and bytes, which
        the bot can then download with `files:read`): Slack stores it and
        sends the app the events it subscribed to, for conversations the bot is in."""
        ws = self.workspace
        with ws.lock:
            target = ws.resolve_channel(channel)
            text = self._encode_mentions(text)
            message = ws.add_message(target, user=user, text=text, thread_ts=thread_ts)
            message["client_msg_id"] = str(uuid.uuid4())
            message["blocks"] = rich_text(text)
            shared = [(f, b"") if isinstance(f, str) else f for f in files]
            if shared:
                message.update(subtype="file_share", upload=False, display_as_bot=False)
                message["files"] = []
                for name, content in shared:
                    info = file_object(ws, user, name, len(content), self.url)
                    ws.share_file(user, target.id, info, content)
                    message["files"].append(info)
            events = self._events_for(target, message)
        deliveries = [self.deliver_event(event) for event in events]
        return Said(message, target.id, deliveries)

    def user_edits(self, user: str, channel: str, ts: str, text: str) -> Said:
        """A person edits their message: `message_changed`, and, when the edited text mentions
        the bot, `app_mention` again with an `edited` field (a new event, the same `ts`)."""
        ws = self.workspace
        with ws.lock:
            target = ws.resolve_channel(channel)
            text = self._encode_mentions(text)
            previous = ws.edit_message(target.id, ts, user=user, text=text)
            message = ws.find_message(target.id, ts)
            message["blocks"] = rich_text(text)
            edited = copy.deepcopy(message)
            events = []
            if self._subscribed_message_events(target):
                events.append(message_changed_event(edited, previous, target.id, target.kind))
            if self._mentions_bot(target, edited):
                events.append(app_mention_event(edited, target.id))
        deliveries = [self.deliver_event(event) for event in events]
        return Said(edited, target.id, deliveries)

    def user_deletes(self, user: str, channel: str, ts: str) -> Said:
        """A person deletes their message: `message_deleted` with `deleted_ts`."""
        ws = self.workspace
        with ws.lock:
            target = ws.resolve_channel(channel)
            if ws.find_message(target.id, ts).get("user") != user:
                raise SlackError("cant_delete_message")
            previous = ws.delete_message(target.id, ts)
            events = []
            if self._subscribed_message_events(target):
                events.append(message_deleted_event(previous, target.id, target.kind, ws.next_ts()))
        deliveries = [self.deliver_event(event) for event in events]
        return Said(previous, target.id, deliveries)

    def _subscribed(self, event: str) -> bool:
        """Slack sends an event when the app subscribed to it and holds the scope it needs."""
        scope = EVENT_SCOPES.get(event)
        return event in self.bot_events and (scope is None or scope in self.web_api.scopes)

    def _subscribed_message_events(self, channel: Channel) -> bool:
        bot_is_in = self.workspace.bot_user_id in channel.members
        return bot_is_in and self._subscribed(MESSAGE_EVENT_FOR_KIND[channel.kind])

    def _mentions_bot(self, channel: Channel, message: dict[str, Any]) -> bool:
        """`app_mention` goes only to conversations the bot is a member of (never DMs)."""
        ws = self.workspace
        return (
            channel.kind != "im"
            and ws.bot_user_id in channel.members
            and f"<@{ws.bot_user_id}>" in message.get("text", "")
            and self._subscribed("app_mention")
        )

    def _events_for(self, channel: Channel, message: dict[str, Any]) -> list[dict[str, Any]]:
        events = []
        if self._subscribed_message_events(channel):
            events.append(message_event(message, channel.id, channel.kind))
        if self._mentions_bot(channel, message):
            events.append(app_mention_event(message, channel.id))
        return events

    def _echo_bot_message(self, call: RecordedCall) -> None:
        if call.method == "chat.postMessage" and call.ok:
            self._echoes.put((call.response["channel"], call.response["message"]))

    def _deliver_echoes(self) -> None:
        """Slack sends an app the `message` events of its own posts too (Bolt ignores them)."""
        while (item := self._echoes.get()) is not None:
            channel_id, message = item
            channel = self.workspace.channels[channel_id]
            if self._sender is not None or self.socket_mode.connected:
                for event in self._events_for(channel, message):
                    self.deliver_event(event)

    def run_command(
        self, user: str, channel: str, text: str = "", *, command: str = DEFAULT_COMMAND
    ) -> Delivery:
        """A person runs a slash command; the app's answer is the Delivery's response body."""
        ws = self.workspace
        channel_id = ws.resolve_channel(channel).id
        body = slash_command_body(
            ws,
            user=user,
            channel_id=channel_id,
            command=command,
            text=text,
            response_url=self._response_url(channel_id, user),
            trigger_id=ws.issue_trigger(user),
        )
        delivery = self._send("command", body, FORM)
        answer = delivery.message()
        if answer and (answer.get("text") or answer.get("blocks")):
            # An ack with a message is shown to the person who ran the command.
            self.web_api.post_response(channel_id, user, answer)
        return delivery

    def _response_url(self, channel_id: str, user: str, *, message_ts: str | None = None) -> str:
        token = self.workspace.issue_response_url(channel_id, user, message_ts=message_ts)
        return f"{self.url}/hooks/{token}"

    def click(
        self, user: str, channel: str, message_ts: str, action_id: str, *, value: str | None = None
    ) -> Delivery:
        """A person clicks a button of a message (or of an ephemeral message shown to them)."""
        return self._block_action(
            user, channel, message_ts, lambda blocks: _find_button(blocks, action_id, value)
        )

    def select(
        self, user: str, channel: str, message_ts: str, action_id: str, value: str
    ) -> Delivery:
        """A person picks an option of a select menu in a message (or an ephemeral one)."""

        def picked(blocks: list[dict]) -> tuple[dict, str]:
            element, block_id = _find_element(blocks, action_id)
            return _picked(element, value), block_id

        return self._block_action(user, channel, message_ts, picked)

    def _block_action(
        self,
        user: str,
        channel: str,
        message_ts: str,
        action_in: Callable[[list[dict]], tuple[dict, str]],
    ) -> Delivery:
        """The `block_actions` interaction of a message's element: `action_in` finds it among
        the message's blocks and gives the action as Slack reports it, with its block id."""
        ws = self.workspace
        with ws.lock:
            channel_id = ws.resolve_channel(channel).id
            message, is_ephemeral = self._message_for_click(user, channel_id, message_ts)
            action, block_id = action_in(message.get("blocks") or [])
            payload = block_actions_payload(
                ws,
                user=user,
                channel_id=channel_id,
                message=json.loads(json.dumps(message)),
                is_ephemeral=is_ephemeral,
                action=action,
                block_id=block_id,
                trigger_id=ws.issue_trigger(user),
                response_url=self._response_url(channel_id, user, message_ts=message_ts),
            )
        return self._send("interaction", interaction_body(payload), FORM)

    # -- the Home tab and assistant threads ------------------------------------------------

    def open_home(self, user: str) -> Delivery | None:
        """A person opens the app's Home tab: `app_home_opened` (with the view published so far)."""
        ws = self.workspace
        if not self._subscribed("app_home_opened"):
            return None
        with ws.lock:
            event: dict[str, Any] = {
                "type": "app_home_opened",
                "user": user,
                "channel": ws.dm_with(user).id,
                "tab": "home",
                "event_ts": ws.next_ts(),
            }
            view_id = ws.home_views.get(user)
            if view_id is not None:
                event["view"] = copy.deepcopy(ws.views[view_id])
        return self.deliver_event(event)

    def home_action(self, user: str, action_id: str, value: str | None = None) -> Delivery:
        """A person acts in their Home tab: clicks a button, or picks `value` in a select
        (an option's value; a channel id for a conversations select)."""
        ws = self.workspace
        with ws.lock:
            view = ws.views.get(ws.home_views.get(user, ""))
            if view is None:
                raise ValueError(f"{user} has no Home tab published")
            element, block_id = _find_element(view.get("blocks") or [], action_id)
            action = (
                {**element, "value": element.get("value")}
                if element["type"] == "button"
                else _picked(element, value)
            )
            if element["type"] != "button":
                # The client keeps what is picked in the view's state, sent with every action.
                state = view.setdefault("state", {"values": {}})["values"]
                state.setdefault(block_id, {})[action_id] = {
                    key: item for key, item in action.items() if key.startswith("selected_")
                } | {"type": element["type"]}
            payload = home_actions_payload(
                ws,
                user=user,
                view=json.loads(json.dumps(view)),
                action=action,
                block_id=block_id,
                trigger_id=ws.issue_trigger(user),
            )
        return self._send("interaction", interaction_body(payload), FORM)

    def open_assistant_thread(self, user: str, *, viewing: str | None = None) -> str:
        """A person opens the app's assistant panel (while viewing the channel `viewing`):
        Slack starts a thread in their DM with the app and sends `assistant_thread_started`.
        Returns the thread's ts (the person types there with `user_says(..., thread_ts=)`)."""
        ws = self.workspace
        with ws.lock:
            dm = ws.dm_with(user)
            parent = ws.add_message(dm, user=ws.bot_user_id, text="")
            parent["subtype"] = "assistant_app_thread"
            event = {
                "type": "assistant_thread_started",
                "assistant_thread": self._assistant_thread(user, dm.id, parent["ts"], viewing),
                "event_ts": ws.next_ts(),
            }
        if self._subscribed("assistant_thread_started"):
            self.deliver_event(event)
        return parent["ts"]

    def change_assistant_context(self, user: str, thread_ts: str, *, viewing: str) -> Delivery:
        """The person moves to another channel with the assistant thread open."""
        ws = self.workspace
        with ws.lock:
            event = {
                "type": "assistant_thread_context_changed",
                "assistant_thread": self._assistant_thread(
                    user, ws.dm_with(user).id, thread_ts, viewing
                ),
                "event_ts": ws.next_ts(),
            }
        return self.deliver_event(event)

    def _assistant_thread(
        self, user: str, channel_id: str, thread_ts: str, viewing: str | None
    ) -> dict[str, Any]:
        context: dict[str, Any] = {}
        if viewing is not None:
            context = {
                "channel_id": self.workspace.resolve_channel(viewing).id,
                "team_id": self.workspace.team_id,
                "enterprise_id": None,
            }
        return {
            "user_id": user,
            "channel_id": channel_id,
            "thread_ts": thread_ts,
            "context": context,
        }

    def _message_for_click(self, user: str, channel_id: str, ts: str) -> tuple[dict, bool]:
        for message in self.workspace.ephemeral:
            if message["ts"] == ts and message["user"] == user:
                return message, True
        return self.workspace.find_message(channel_id, ts), False

    def submit_view(self, user: str, values: dict[str, Any]) -> Delivery:
        """A person fills the inputs of their top modal (`{block_id: value}`) and submits it.

        Select values must be among the options shown and required inputs filled, or the
        Slack client would not submit: ValueError. The app's `response_action` is applied to
        the modal stack as Slack does (errors, update, push, clear; none closes the view).
        """
        ws = self.workspace
        with ws.lock:
            stack = ws.open_views(user)
            if not stack:
                raise ValueError(f"{user} has no modal open")
            view = stack[-1]
            state = _view_state(view, values)
            payload = view_submission_payload(
                ws,
                user=user,
                view=view,
                values=state,
                trigger_id=ws.issue_trigger(user, view_id=view["id"]),
            )
        delivery = self._send("interaction", interaction_body(payload), FORM)
        if delivery.status == 200:
            self._apply_view_response(user, view, delivery.json() or {})
        return delivery

    def _apply_view_response(self, user: str, view: dict[str, Any], answer: dict) -> None:
        ws = self.workspace
        action = answer.get("response_action")
        with ws.lock:
            view.pop("errors", None)
            if action == "errors":
                view["errors"] = answer.get("errors", {})
            elif action in ("update", "push"):
                problems = check_view(answer.get("view"))
                if problems:
                    raise SlackError("invalid_arguments", problems)
                if action == "update":
                    ws.update_view(answer["view"], view_id=view["id"])
                else:
                    ws.open_view(user, answer["view"], push=True)
            else:
                ws.close_views(user, all_views=action == "clear")

    # -- reading the state -----------------------------------------------------------------

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Every message of a channel (threads included), oldest first."""
        with self.workspace.lock:
            return list(self.workspace.resolve_channel(channel).messages)

    def replies(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """The replies of a thread (without its parent), oldest first."""
        return [m for m in self.workspace.thread(channel, thread_ts) if m["ts"] != thread_ts]

    def assistant_thread(self, channel: str, thread_ts: str) -> dict[str, Any]:
        """What the app set on an assistant thread: `status`, `prompts`, `title` (empty: none)."""
        with self.workspace.lock:
            channel_id = self.workspace.resolve_channel(channel).id
            return copy.deepcopy(self.workspace.assistant_threads.get((channel_id, thread_ts), {}))

    def home_view(self, user: str) -> dict[str, Any] | None:
        """The App Home tab the app published for `user` (None: never published)."""
        with self.workspace.lock:
            view_id = self.workspace.home_views.get(user)
            return copy.deepcopy(self.workspace.views[view_id]) if view_id else None

    def ephemeral_for(self, user: str) -> list[dict[str, Any]]:
        with self.workspace.lock:
            return [m for m in self.workspace.ephemeral if m["user"] == user]

    def open_views(self, user: str) -> list[dict[str, Any]]:
        return self.workspace.open_views(user)


def _find_element(blocks: list[dict], action_id: str) -> tuple[dict, str]:
    """The interactive element `action_id` in blocks, and its block's id."""
    for block in blocks:
        elements = block.get("elements", []) if block.get("type") == "actions" else []
        if block.get("accessory"):
            elements = [block["accessory"]]
        for element in elements:
            if element.get("action_id") == action_id:
                return element, block.get("block_id", "")
    raise ValueError(f"no element {action_id!r} there")


def _picked(element: dict[str, Any], value: str | None) -> dict[str, Any]:
    """The action of picking `value` in a select element, as Slack reports it."""
    kind = element["type"]
    action = {"action_id": element["action_id"], "type": kind}
    if kind == "static_select":
        option = next((o for o in element.get("options", []) if o["value"] == value), None)
        if option is None:
            raise ValueError(f"{value!r} is not an option of {element['action_id']!r}")
        return action | {"selected_option": option}
    if kind == "conversations_select":
        return action | {"selected_conversation": value}
    raise ValueError(f"{element['action_id']!r} is a {kind}, not a select")


def _find_button(blocks: list[dict], action_id: str, value: str | None) -> tuple[dict, str]:
    for block in blocks:
        if block.get("type") == "context_actions":
            for element in block.get("elements", []):
                if element.get("action_id") != action_id:
                    continue
                # feedback_buttons: the click is on one side; `value` says which.
                for side in ("positive_button", "negative_button"):
                    button = element.get(side) or {}
                    if value is not None and button.get("value") == value:
                        return {
                            "type": element["type"],
                            "action_id": action_id,
                            "text": button.get("text"),
                            "value": button["value"],
                        }, block.get("block_id", "")
        elements = block.get("elements", []) if block.get("type") == "actions" else []
        if block.get("type") == "section" and block.get("accessory"):
            elements = [block["accessory"]]
        for element in elements:
            if element.get("action_id") == action_id and (
                value is None or element.get("value") == value
            ):
                return element, block.get("block_id", "")
    raise ValueError(f"no button {action_id!r} on that message")


def _view_state(view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """`view.state.values` for the given inputs, as the Slack client fills it: an input not
    given keeps what the view shows in it (its initial option or value)."""
    state: dict[str, Any] = {}
    unknown = set(values) - {b.get("block_id") for b in view.get("blocks", [])}
    if unknown:
        raise ValueError(f"the modal has no inputs {sorted(unknown)}")
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        element = block["element"]
        given = block["block_id"] in values
        value = values[block["block_id"]] if given else _initial_value(element)
        if value in (None, "", []) and not block.get("optional", False):
            raise ValueError(f"required input {block['block_id']!r} is empty")
        state[block["block_id"]] = {element["action_id"]: _element_value(element, value)}
    return state


def _initial_value(element: dict[str, Any]) -> Any:
    """What an input shows before anyone touches it, in the form `values` gives it."""
    if "initial_option" in element:
        return element["initial_option"]["value"]
    if "initial_options" in element:
        return [option["value"] for option in element["initial_options"]]
    return element.get("initial_value")


def _element_value(element: dict[str, Any], value: Any) -> dict[str, Any]:
    kind = element["type"]
    if kind in ("static_select", "radio_buttons"):
        options = {option["value"]: option for option in element["options"]}
        if value is not None and value not in options:
            raise ValueError(f"{value!r} is not one of the options {sorted(options)}")
        return {"type": kind, "selected_option": options.get(value)}
    if kind in ("multi_static_select", "checkboxes"):
        options = {option["value"]: option for option in element["options"]}
        chosen = list(value or [])
        missing = [v for v in chosen if v not in options]
        if missing:
            raise ValueError(f"{missing} are not among the options {sorted(options)}")
        return {"type": kind, "selected_options": [options[v] for v in chosen]}
    if kind == "number_input":
        return {"type": kind, "value": None if value is None else str(value)}
    return {"type": kind, "value": value}
