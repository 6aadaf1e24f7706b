"""A local emulator of Slack: the Web API the bot calls and the requests Slack sends the bot
(over HTTP, or over Socket Mode to an app connected with its app-level token).

Used by the end-to-end tests, the benchmarks and the local sandbox (`SLACK_API_URL` pointed at
`SlackEmulator.start()`). A package of its own that imports nothing of the bot it stands in for
(only starlette, uvicorn, httpx and websockets): whoever runs it passes the server that serves it
(`SlackEmulator(serve=...)`) and connects it to the app.
"""

from slack_emulator.requests import Delivery, SignedSender
from slack_emulator.slack import (
    DEFAULT_BOT_EVENTS,
    DEFAULT_SCOPES,
    Said,
    Server,
    ServerFactory,
    SlackEmulator,
)
from slack_emulator.validation import check_blocks, check_view, message_error
from slack_emulator.web_api import CallLog, RecordedCall
from slack_emulator.workspace import SlackError, Workspace

__all__ = [
    "DEFAULT_BOT_EVENTS",
    "DEFAULT_SCOPES",
    "CallLog",
    "Delivery",
    "RecordedCall",
    "Said",
    "Server",
    "ServerFactory",
    "SignedSender",
    "SlackEmulator",
    "SlackError",
    "Workspace",
    "check_blocks",
    "check_view",
    "message_error",
]
