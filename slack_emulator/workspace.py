"""The state of an emulated Slack workspace: users, channels, messages, reactions and modals.

Messages and views are kept as the JSON objects Slack's API returns, so that what the emulator
answers, what it delivers to the app and what the sandbox page renders are the same objects.
Every method takes the workspace lock: the Web API server, the event deliveries and the tests
touch the state from different threads.
"""

import copy
import itertools
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

TRIGGER_TTL_SECONDS = 3.0
RESPONSE_URL_TTL_SECONDS = 30 * 60
RESPONSE_URL_USES = 5
VIEW_STACK_LIMIT = 3


class SlackError(Exception):
    """A Web API error: the `error` code of an `{"ok": false}` answer."""

    def __init__(self, code: str, messages: list[str] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.messages = messages or []


@dataclass
class User:
    id: str
    name: str
    is_bot: bool = False


@dataclass
class Channel:
    id: str
    name: str
    kind: str  # "channel" (public), "group" (private), "im" or "mpim" (a group DM)
    members: set[str] = field(default_factory=set)
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def channel_type(self) -> str:
        """The `channel_type` Slack puts in message events."""
        return self.kind

    @property
    def is_private(self) -> bool:
        """Private channels and DMs do not exist for those outside them."""
        return self.kind in ("group", "mpim", "im")


@dataclass
class Trigger:
    user: str
    issued: float
    view_id: str | None = None  # the modal an interaction inside a modal came from
    used: bool = False


@dataclass
class ResponseUrl:
    channel: str
    user: str
    issued: float
    uses: int = 0
    message_ts: str | None = None  # the message an interaction came from (replace_original)


@dataclass
class SharedFile:
    """A file someone shared: Slack's description of it, its bytes, where it was shared."""

    info: dict[str, Any]
    content: bytes
    channels: set[str] = field(default_factory=set)


class Workspace:
    """One team with a bot user, some people and channels; thread-safe."""

    def __init__(
        self,
        *,
        team_id: str = "T0EMULATED",
        team_domain: str = "emulated",
        app_id: str = "A0AISTRATEGY",
        bot_user_id: str = "U0AIBOT",
        bot_id: str = "B0AIBOT",
        bot_name: str = "ai-strategy",
        ai_features: bool = True,
    ) -> None:
        self.lock = threading.RLock()
        self.team_id, self.team_domain, self.app_id = team_id, team_domain, app_id
        self.bot_user_id, self.bot_id, self.bot_name = bot_user_id, bot_id, bot_name
        self.users: dict[str, User] = {bot_user_id: User(bot_user_id, bot_name, is_bot=True)}
        self.channels: dict[str, Channel] = {}
        self.ephemeral: list[dict[str, Any]] = []
        self.views: dict[str, dict[str, Any]] = {}
        self.view_stacks: dict[str, list[str]] = {}  # user -> open view ids, root first
        self.triggers: dict[str, Trigger] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self.files: dict[str, SharedFile] = {}
        self.home_views: dict[str, str] = {}  # user -> the view id of their App Home tab
        # Slack's AI-app surface (assistant threads, context_actions blocks): a paid-plan
        # feature in some workspaces.
        self.ai_features = ai_features
        # (channel, thread_ts) of assistant threads -> their status, suggested prompts, title
        self.assistant_threads: dict[tuple[str, str], dict[str, Any]] = {}
        self._counter = itertools.count(1)
        self._last_ts = 0.0

    # -- people and places -----------------------------------------------------------------

    def add_user(self, user_id: str, name: str) -> User:
        with self.lock:
            user = self.users.setdefault(user_id, User(user_id, name))
            return user

    def add_channel(
        self, channel_id: str, name: str, *, private: bool = False, members: tuple[str, ...] = ()
    ) -> Channel:
        """A channel; the bot is a member only when listed in `members`."""
        with self.lock:
            kind = "group" if private else "channel"
            channel = Channel(channel_id, name, kind, members=set(members))
            self.channels[channel_id] = channel
            return channel

    def add_group_dm(self, channel_id: str, members: tuple[str, ...]) -> Channel:
        """A group DM (`mpim`) between the given people (the bot is in it only when listed)."""
        with self.lock:
            names = "--".join(self.users[m].name if m in self.users else m for m in members)
            channel = Channel(channel_id, f"mpdm-{names}-1", "mpim", members=set(members))
            self.channels[channel_id] = channel
            return channel

    def add_dm(self, channel_id: str, members: tuple[str, str]) -> Channel:
        """A DM between two people: the bot is not in it and cannot be invited."""
        with self.lock:
            channel = Channel(channel_id, "--".join(members), "im", members=set(members))
            self.channels[channel_id] = channel
            return channel

    def dm_with(self, user_id: str) -> Channel:
        """The direct-message channel between the bot and a user (opened on first use)."""
        with self.lock:
            channel_id = "D" + user_id.removeprefix("U")
            if channel_id not in self.channels:
                name = self.users[user_id].name if user_id in self.users else user_id
                self.channels[channel_id] = Channel(
                    channel_id, name, "im", members={user_id, self.bot_user_id}
                )
            return self.channels[channel_id]

    def resolve_channel(self, ref: str) -> Channel:
        """A channel by id, `#name`, or a user id (the DM with that user, as Slack does)."""
        with self.lock:
            if ref in self.channels:
                return self.channels[ref]
            if ref.startswith("U") and ref in self.users:
                return self.dm_with(ref)
            for channel in self.channels.values():
                if ref.lstrip("#") == channel.name and channel.kind != "im":
                    return channel
            raise SlackError("channel_not_found")

    # -- identifiers -----------------------------------------------------------------------

    def next_ts(self) -> str:
        """A message timestamp, unique and increasing like Slack's `ts`."""
        with self.lock:
            self._last_ts = max(time.time(), self._last_ts + 0.000001)
            return f"{self._last_ts:.6f}"

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._counter):06d}{secrets.token_hex(3).upper()}"

    def share_file(self, user: str, channel_id: str, info: dict[str, Any], content: bytes) -> None:
        with self.lock:
            self.files[info["id"]] = SharedFile(copy.deepcopy(info), content, {channel_id})

    def visible_file(self, file_id: Any) -> SharedFile:
        """A file the bot can see: shared in a conversation it is a member of."""
        with self.lock:
            shared = self.files.get(file_id) if isinstance(file_id, str) else None
            if shared is None or not any(
                self.bot_user_id in self.channels[channel].members for channel in shared.channels
            ):
                raise SlackError("file_not_found")
            return shared

    def issue_trigger(self, user: str, *, view_id: str | None = None) -> str:
        """A trigger id, as Slack puts in a slash command or an interaction (valid 3 s, once)."""
        with self.lock:
            trigger_id = f"{next(self._counter)}.{int(time.time())}.{secrets.token_hex(16)}"
            self.triggers[trigger_id] = Trigger(user, time.monotonic(), view_id)
            return trigger_id

    def use_trigger(self, trigger_id: str | None) -> Trigger:
        with self.lock:
            trigger = self.triggers.get(trigger_id or "")
            if trigger is None:
                raise SlackError("invalid_trigger_id")
            if trigger.used:
                raise SlackError("exchanged_trigger_id")
            if time.monotonic() - trigger.issued > TRIGGER_TTL_SECONDS:
                raise SlackError("expired_trigger_id")
            trigger.used = True
            return trigger

    def issue_response_url(self, channel: str, user: str, *, message_ts: str | None = None) -> str:
        """The token of a `response_url` (valid 30 minutes, 5 uses)."""
        with self.lock:
            token = secrets.token_urlsafe(16)
            self.response_urls[token] = ResponseUrl(
                channel, user, time.monotonic(), message_ts=message_ts
            )
            return token

    # -- messages --------------------------------------------------------------------------

    def find_message(self, channel_id: str, ts: str) -> dict[str, Any]:
        with self.lock:
            channel = self.resolve_channel(channel_id)
            for message in channel.messages:
                if message["ts"] == ts:
                    return message
            raise SlackError("message_not_found")

    def add_message(
        self,
        channel: Channel,
        *,
        user: str,
        text: str = "",
        blocks: list | None = None,
        thread_ts: str | None = None,
        metadata: dict | None = None,
        reply_broadcast: bool = False,
    ) -> dict[str, Any]:
        """Store a message as Slack does (thread replies update their parent) and return it."""
        with self.lock:
            ts = self.next_ts()
            message: dict[str, Any] = {"type": "message", "user": user, "text": text, "ts": ts}
            if self.users.get(user, User(user, user)).is_bot:
                message.update(bot_id=self.bot_id, app_id=self.app_id)
            message["team"] = self.team_id
            if blocks:
                message["blocks"] = copy.deepcopy(blocks)
            if metadata:
                message["metadata"] = copy.deepcopy(metadata)
            if thread_ts:
                parent = next((m for m in channel.messages if m["ts"] == thread_ts), None)
                if parent is None:
                    raise SlackError("thread_not_found")
                if parent.get("thread_ts", thread_ts) != thread_ts:  # a reply: its thread's parent
                    thread_ts = parent["thread_ts"]
                    parent = next(m for m in channel.messages if m["ts"] == thread_ts)
                message["thread_ts"] = thread_ts
                message["parent_user_id"] = parent["user"]
                if reply_broadcast:
                    message["subtype"] = "thread_broadcast"
                parent["thread_ts"] = thread_ts
                parent["reply_count"] = parent.get("reply_count", 0) + 1
                parent["latest_reply"] = ts
                parent.setdefault("reply_users", [])
                if user not in parent["reply_users"]:
                    parent["reply_users"].append(user)
            channel.messages.append(message)
            return message

    def edit_message(self, channel_id: str, ts: str, *, user: str, text: str) -> dict[str, Any]:
        """Change a message's text as its author does; returns the message before the edit."""
        with self.lock:
            message = self.find_message(channel_id, ts)
            if message.get("user") != user:
                raise SlackError("cant_update_message")
            previous = copy.deepcopy(message)
            message["text"] = text
            message["edited"] = {"user": user, "ts": self.next_ts()}
            return previous

    def delete_message(self, channel_id: str, ts: str) -> dict[str, Any]:
        """Remove a message (its thread's replies stay, as in Slack); returns what it was."""
        with self.lock:
            channel = self.resolve_channel(channel_id)
            message = self.find_message(channel_id, ts)
            channel.messages.remove(message)
            return message

    def thread(self, channel_id: str, thread_ts: str) -> list[dict[str, Any]]:
        """The parent and replies of a thread, oldest first."""
        with self.lock:
            channel = self.resolve_channel(channel_id)
            return [
                m
                for m in channel.messages
                if m["ts"] == thread_ts or m.get("thread_ts") == thread_ts
            ]

    def react(self, channel_id: str, ts: str, name: str, user: str, *, add: bool) -> None:
        with self.lock:
            if not name or ":" in name or " " in name:
                raise SlackError("invalid_name")
            message = self.find_message(channel_id, ts)
            reactions = message.setdefault("reactions", [])
            reaction = next((r for r in reactions if r["name"] == name), None)
            if add:
                if reaction is not None and user in reaction["users"]:
                    raise SlackError("already_reacted")
                if reaction is None:
                    reaction = {"name": name, "users": [], "count": 0}
                    reactions.append(reaction)
                reaction["users"].append(user)
            else:
                if reaction is None or user not in reaction["users"]:
                    raise SlackError("no_reaction")
                reaction["users"].remove(user)
            reaction["count"] = len(reaction["users"])
            message["reactions"] = [r for r in reactions if r["count"]]
            if not message["reactions"]:
                del message["reactions"]

    # -- modals ----------------------------------------------------------------------------

    def open_view(self, user: str, view: dict[str, Any], *, push: bool) -> dict[str, Any]:
        """Open a modal (or push one onto the user's open modal) and return the view object."""
        with self.lock:
            stack = self.view_stacks.setdefault(user, [])
            if push:
                if not stack:
                    raise SlackError("not_found")
                if len(stack) >= VIEW_STACK_LIMIT:
                    raise SlackError("push_limit_reached")
            else:
                stack.clear()
            view_id = self.new_id("V")
            stored = self._view_object(view, view_id)
            stored["root_view_id"] = stack[0] if stack else view_id
            stored["previous_view_id"] = stack[-1] if stack else None
            self.views[view_id] = stored
            stack.append(view_id)
            return stored

    def open_home(self, user: str, view: dict[str, Any]) -> dict[str, Any]:
        """Publish a user's first App Home view."""
        with self.lock:
            stored = self._view_object(view, self.new_id("V"))
            stored["root_view_id"] = stored["previous_view_id"] = None
            self.views[stored["id"]] = stored
            self.home_views[user] = stored["id"]
            return stored

    def find_view(
        self, *, view_id: str | None = None, external_id: str | None = None
    ) -> dict[str, Any]:
        with self.lock:
            if view_id is None and external_id is not None:
                view_id = next(
                    (v["id"] for v in self.views.values() if v.get("external_id") == external_id),
                    None,
                )
            current = self.views.get(view_id or "")
            if current is None:
                raise SlackError("not_found")
            return current

    def update_view(
        self,
        view: dict[str, Any],
        *,
        view_id: str | None = None,
        external_id: str | None = None,
        hash_: str | None = None,
    ) -> dict[str, Any]:
        with self.lock:
            current = self.find_view(view_id=view_id, external_id=external_id)
            if hash_ is not None and hash_ != current["hash"]:
                raise SlackError("hash_conflict")
            stored = self._view_object(view, current["id"])
            stored["root_view_id"] = current["root_view_id"]
            stored["previous_view_id"] = current["previous_view_id"]
            self.views[current["id"]] = stored
            return stored

    def _view_object(self, view: dict[str, Any], view_id: str) -> dict[str, Any]:
        stored = copy.deepcopy(view)
        stored.update(
            id=view_id,
            team_id=self.team_id,
            app_id=self.app_id,
            bot_id=self.bot_id,
            hash=f"{int(time.time())}.{secrets.token_hex(4)}",
            state={"values": {}},
        )
        stored.setdefault("private_metadata", "")
        stored.setdefault("callback_id", "")
        stored.setdefault("external_id", "")
        stored.setdefault("clear_on_close", False)
        stored.setdefault("notify_on_close", False)
        return stored

    def open_views(self, user: str) -> list[dict[str, Any]]:
        """The user's modal stack, root first (empty when no modal is open)."""
        with self.lock:
            return [self.views[view_id] for view_id in self.view_stacks.get(user, [])]

    def close_views(self, user: str, *, all_views: bool) -> None:
        with self.lock:
            stack = self.view_stacks.get(user, [])
            if all_views:
                stack.clear()
            elif stack:
                stack.pop()
