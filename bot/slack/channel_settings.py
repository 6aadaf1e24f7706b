"""Which messages the bot answers in a channel: the one place that decides.

Admins set a channel to a `ChannelMode` in the App Home (stored in the SQL store, so every
replica agrees at once); a channel without a setting of its own follows
`AI_STRATEGY_THREAD_REPLIES`. DMs and assistant threads are always answered: they are
conversations with the bot only.
"""

from bot.storage import ChannelMode, Store


def is_direct_message(channel: str) -> bool:
    """A 1:1 DM (Slack's ids for them start with D): nobody can invite the bot into one."""
    return channel.startswith("D")


class ChannelSettings:
    """The reply mode of each channel: its own setting, else the default."""

    def __init__(self, *, store: Store, default: ChannelMode) -> None:
        self.store = store
        self.default = ChannelMode(default)

    def mode(self, channel: str) -> ChannelMode:
        """What the bot answers in `channel` (a DM: mentions and follow-ups from anyone)."""
        if is_direct_message(channel):
            return ChannelMode.ANYONE
        return self.store.channel_mode(channel) or self.default

    def answers_mentions(self, channel: str) -> bool:
        return self.mode(channel) is not ChannelMode.OFF

    def answers_follow_up(self, channel: str, *, from_asker: bool) -> bool:
        """Whether an untagged reply in one of the bot's threads is answered."""
        mode = self.mode(channel)
        return mode is ChannelMode.ANYONE or (mode is ChannelMode.ASKER and from_asker)
