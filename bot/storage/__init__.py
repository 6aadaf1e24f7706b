"""The bot's shared state (events, answers, feedback, channel settings) in one SQL database."""

from bot.storage.store import (
    ChannelMode,
    DocumentVotes,
    DownVote,
    FeedbackReason,
    FeedbackSummary,
    Store,
)

__all__ = [
    "ChannelMode",
    "DocumentVotes",
    "DownVote",
    "FeedbackReason",
    "FeedbackSummary",
    "Store",
]
