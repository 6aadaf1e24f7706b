"""What one person's Slack client shows, read from the emulator's state as one JSON document.

The page renders this document; it is rebuilt and compared on every tick of the live stream,
so any change to the workspace (a bot's Web API call, a modal answered, a message typed)
reaches the page without the emulator having to announce it.
"""

import json
from dataclasses import dataclass
from typing import Any

from bot.slack.messages import COMMAND, EXAMPLE_QUESTIONS
from slack_emulator import RecordedCall, SlackEmulator

SET_STATUS = "assistant.threads.setStatus"


@dataclass(frozen=True)
class Person:
    """The one person using the sandbox page."""

    id: str
    name: str


def _conversation(emulator: SlackEmulator, person: Person, channel) -> dict[str, Any]:
    ws = emulator.workspace
    if channel.kind == "im":
        others = sorted(channel.members - {person.id}) or [person.id]
        label = ws.users[others[0]].name if others[0] in ws.users else others[0]
    else:
        label = channel.name
    return {
        "id": channel.id,
        "name": label,
        "kind": channel.kind,
        "bot_is_member": channel.kind == "im" or ws.bot_user_id in channel.members,
        "messages": channel.messages,
        "ephemeral": [
            m for m in ws.ephemeral if m["user"] == person.id and m["channel"] == channel.id
        ],
    }


def _visible_channels(emulator: SlackEmulator, person: Person) -> list:
    """The person's channels by name, then their DMs (as Slack's sidebar lists them)."""
    channels = [c for c in emulator.workspace.channels.values() if person.id in c.members]
    return sorted(channels, key=lambda c: (c.kind == "im", c.name))


def statuses(calls: list[RecordedCall]) -> list[dict[str, str]]:
    """Assistant thread statuses still showing: the latest per thread, until the app posts there.

    Slack clears a thread's status when the app replies in it (or sets an empty status).
    """
    latest: dict[tuple[str, str], RecordedCall] = {}
    for call in calls:
        if call.method == SET_STATUS and call.ok:
            latest[(str(call.args.get("channel_id")), str(call.args.get("thread_ts")))] = call
    showing = []
    for (channel, thread_ts), call in latest.items():
        replied = any(
            later.method == "chat.postMessage"
            and later.ok
            and later.at > call.at
            and later.response.get("channel") == channel
            and later.args.get("thread_ts") == thread_ts
            for later in calls
        )
        if call.args.get("status") and not replied:
            showing.append(
                {"channel": channel, "thread_ts": thread_ts, "status": str(call.args["status"])}
            )
    return showing


def snapshot_json(emulator: SlackEmulator, person: Person) -> str:
    """The person's view of the workspace: conversations, their modal, statuses, their Home
    tab and assistant threads (JSON text)."""
    ws = emulator.workspace
    calls = emulator.calls()
    with ws.lock:
        stack = ws.open_views(person.id)
        document = {
            "me": {"id": person.id, "name": person.name},
            "bot": {"id": ws.bot_user_id, "name": ws.bot_name},
            "team": ws.team_domain,
            "command": COMMAND,
            "examples": list(EXAMPLE_QUESTIONS),
            "users": {user.id: user.name for user in ws.users.values()},
            "channels": {c.id: c.name for c in ws.channels.values() if c.kind != "im"},
            "conversations": [
                _conversation(emulator, person, channel)
                for channel in _visible_channels(emulator, person)
            ],
            "modal": {**stack[-1], "depth": len(stack)} if stack else None,
            "statuses": statuses(calls),
            "home": emulator.home_view(person.id),
            "assistant_threads": [
                {
                    "channel": channel,
                    "thread_ts": thread_ts,
                    "title": thread.get("title"),
                    "prompts": thread.get("prompts", []),
                    "prompts_title": thread.get("prompts_title"),
                }
                for (channel, thread_ts), thread in ws.assistant_threads.items()
                if channel == ws.dm_with(person.id).id
            ],
        }
        # Serialized under the lock: the messages are the workspace's own objects.
        return json.dumps(document, ensure_ascii=False, separators=(",", ":"))
