"""What a conversation says before the bot is asked: history read from Slack.

- `read_thread`: a thread (`conversations.replies`) before the bot is mentioned in it.
- `read_channel`: the latest messages of a channel (`conversations.history`), the background
  of a question in an assistant thread opened while viewing that channel.

Mentioned part-way through a thread ("@ai-strategy what do you think?"), the bot reads what
people wrote there so the question is understood in context. Each human message becomes a turn
of the history, with the bot's reply after it (if any) as its answer. Reading is bounded: a few
pages, then the newest messages within a message and a character budget. A thread the bot
cannot read (a missing scope, not a member, rate limited) gives no history, and the question is
answered on its own: nothing is shown to people, the log says why. The same holds for a
channel.
"""

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.answering.models import Turn
from bot.slack.delivery import slack_call_failed
from bot.slack.metrics import Metrics
from bot.slack.mrkdwn import from_slack

THREAD_MESSAGES = 20
THREAD_CHARACTERS = 4000
PAGE_SIZE = 200
MAX_PAGES = 5
MESSAGE_CHARACTERS = 1000


def read_thread(
    client: WebClient,
    *,
    channel: str,
    thread_ts: str,
    before_ts: str,
    bot_user_id: str | None,
    metrics: Metrics,
) -> list[Turn]:
    """The thread's turns before the message `before_ts`, oldest first, newest kept."""
    messages: list[dict] = []
    cursor = None
    try:
        for _ in range(MAX_PAGES):
            page = client.conversations_replies(
                channel=channel, ts=thread_ts, limit=PAGE_SIZE, cursor=cursor
            )
            known = {message.get("ts") for message in messages}
            replies: list[dict] = page.get("messages", [])
            messages += [m for m in replies if m.get("ts") not in known]
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not page.get("has_more") or not cursor:
                break
    except SlackApiError as error:
        slack_call_failed(metrics, "conversations.replies", error)
        return []
    before = _ts(before_ts)
    earlier = [m for m in messages if isinstance(m, dict) and 0 < _ts(m.get("ts")) < before]
    return _newest_within_budget(_turns(earlier, bot_user_id=bot_user_id))


def read_channel(
    client: WebClient, *, channel: str, bot_user_id: str | None, metrics: Metrics
) -> list[Turn]:
    """The latest turns of `channel`, oldest first, within the same budget as a thread."""
    try:
        page = client.conversations_history(channel=channel, limit=THREAD_MESSAGES)
    except SlackApiError as error:
        slack_call_failed(metrics, "conversations.history", error)
        return []
    history: list[object] = page.get("messages", [])
    messages = [m for m in history if isinstance(m, dict)]
    return _newest_within_budget(_turns(messages, bot_user_id=bot_user_id))


def _ts(value: object) -> float:
    """A message timestamp as a number (0 for one that is not: it is left out)."""
    try:
        return float(str(value))
    except ValueError:
        return 0.0


def _turns(messages: list[dict], *, bot_user_id: str | None) -> list[Turn]:
    turns: list[Turn] = []
    for message in sorted(messages, key=lambda m: _ts(m.get("ts"))):
        if message.get("subtype") not in (None, "thread_broadcast", "file_share"):
            continue
        text = from_slack(str(message.get("text") or ""), bot_user_id=bot_user_id)
        text = text[:MESSAGE_CHARACTERS]
        if not text:
            continue
        if message.get("user") == bot_user_id:
            if turns and not turns[-1].answer:
                turns[-1] = Turn(question=turns[-1].question, answer=text)
        elif not message.get("bot_id"):  # people, not other apps
            turns.append(Turn(question=text, answer=""))
    return turns


def _newest_within_budget(turns: list[Turn]) -> list[Turn]:
    kept: list[Turn] = []
    characters = 0
    for turn in reversed(turns[-THREAD_MESSAGES:]):
        characters += len(turn.question) + len(turn.answer)
        if kept and characters > THREAD_CHARACTERS:
            break
        kept.append(turn)
    return list(reversed(kept))
