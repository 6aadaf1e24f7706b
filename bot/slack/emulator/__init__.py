"""A local emulator of Slack: the Web API the bot calls and the requests Slack sends the bot
(over HTTP, or over Socket Mode to an app connected with its app-level token).

Used by the end-to-end tests, the benchmarks and the local sandbox (`SLACK_API_URL` pointed at
`SlackEmulator.start()`).
"""

from bot.slack.emulator.requests import Delivery, SignedSender
from bot.slack.emulator.slack import DEFAULT_BOT_EVENTS, Said, SlackEmulator
from bot.slack.emulator.validation import check_blocks, check_view, message_error
from bot.slack.emulator.web_api import CallLog, RecordedCall
from bot.slack.emulator.workspace import SlackError, Workspace

__all__ = [
    "DEFAULT_BOT_EVENTS",
    "CallLog",
    "Delivery",
    "RecordedCall",
    "Said",
    "SignedSender",
    "SlackEmulator",
    "SlackError",
    "Workspace",
    "check_blocks",
    "check_view",
    "message_error",
]
