"""`ai-strategy sandbox`: a local Slack-like page wired to the real bot through the emulator."""

from bot.sandbox.sandbox import PERSON, Sandbox
from bot.sandbox.snapshot import Person

__all__ = ["PERSON", "Person", "Sandbox"]
