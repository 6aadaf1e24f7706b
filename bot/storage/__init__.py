"""The bot's shared state (handled events, answers, feedback) in one SQL database."""

from bot.storage.store import DocumentVotes, DownVote, FeedbackSummary, Store

__all__ = ["DocumentVotes", "DownVote", "FeedbackSummary", "Store"]
