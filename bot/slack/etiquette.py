"""When a reply in a channel thread is for the bot, and when it is people talking to each other.

Once the bot has answered in a thread, people go on talking there. An untagged reply is taken as
a follow-up only from the person who asked the bot in that thread (`asker`, the default), and
only when it is not addressed to someone else: a reply that mentions another person, or starts
with a name ("bob, can you check?"), is theirs. `anyone` takes untagged replies from everyone
(still not those addressed to someone else); `mentions` answers only when tagged. Thanks and
acknowledgements are never questions, mentioned or not; a greeting ("hi", :wave:) or a request
for help ("help", "what can you do?") gets the help, as a bare mention does.
"""

import re
from typing import Literal

ThreadReplies = Literal["asker", "anyone", "mentions"]
THREAD_REPLIES: tuple[ThreadReplies, ...] = ("asker", "anyone", "mentions")

_ACKNOWLEDGEMENT = re.compile(
    r"^\W*(thanks?( you)?|thx|ty|ok(ay)?|cool|great|nice|got it|perfect|:[\w+-]+:)\W*$",
    re.IGNORECASE,
)
_HELLO_OR_HELP = re.compile(
    r"^\W*(?:"
    r"(?:hi|hello|hey|hiya|howdy|yo|greetings|good (?:morning|afternoon|evening)|:wave:|👋)"
    r"(?:\W+(?:there|all|everyone|folks))?"
    r"|help(?: me| please)?|usage|what can you do|what do you do|who are you"
    r"|how do (?:i|we) use (?:you|this|it)"
    r")\W*$",
    re.IGNORECASE,
)
_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_TYPED_AT_NAME = re.compile(r"^\s*@[\w.-]+")
# "bob, …", "Alice: …", "hey bob, …": a single word, then a comma or colon.
_LEADING_NAME = re.compile(
    r"^\s*(?:(?:hey|hi|hello|thanks|thank you|ok|okay)[\s,]+)?([a-z][a-z'’]{1,30})\s*[,:]\s*\S",
    re.IGNORECASE,
)
# Words that open a sentence with a comma but are not somebody's name.
_NOT_NAMES = frozenset(
    [
        "so",
        "also",
        "and",
        "but",
        "or",
        "then",
        "now",
        "well",
        "yes",
        "yeah",
        "yep",
        "no",
        "nope",
        "sure",
        "right",
        "ok",
        "okay",
        "great",
        "cool",
        "nice",
        "thanks",
        "thank",
        "sorry",
        "please",
        "hmm",
        "hm",
        "wait",
        "actually",
        "honestly",
        "basically",
        "anyway",
        "anyhow",
        "besides",
        "btw",
        "fyi",
        "imo",
        "imho",
        "tbh",
        "first",
        "second",
        "third",
        "finally",
        "lastly",
        "next",
        "otherwise",
        "alternatively",
        "however",
        "agreed",
        "indeed",
        "exactly",
        "true",
        "interesting",
        "perfect",
        "fine",
        "good",
        "awesome",
        "hey",
        "hi",
        "hello",
        "question",
        "update",
        "note",
        "context",
        "background",
        "follow",
        "followup",
        "followups",
        "also",
        "again",
        "plus",
        "similarly",
        "prompting",
        "finetuning",
        "rag",
        "embeddings",
        "cost",
        "costs",
        "data",
        "latency",
        "budget",
        "accuracy",
        "quality",
        "example",
        "examples",
        "summary",
        "tldr",
        "ps",
        "edit",
        "correction",
    ]
)


# What is no word of a question: emoji codes, people and channels named, links.
_NOT_WORDS = re.compile(r":[\w+-]+:|[@#][\w.-]+|\S+://\S+")


def is_acknowledgement(text: str) -> bool:
    """ "thanks", "ok", ":+1:": a reply that asks nothing (and greets nobody)."""
    return bool(_ACKNOWLEDGEMENT.match(text)) and not _HELLO_OR_HELP.match(text)


def has_no_words(text: str) -> bool:
    """ "???", ":thinking_face:", "#general", "*…*": nothing in it to look up."""
    return not re.search(r"[^\W_]", _NOT_WORDS.sub(" ", text))


def wants_help(text: str) -> bool:
    """ "hi", ":wave:", "help", "what can you do?", or a message with no words in it that
    acknowledges nothing ("???"): someone who wants to know what to ask."""
    if _HELLO_OR_HELP.match(text):
        return True
    return has_no_words(text) and not _ACKNOWLEDGEMENT.match(text)


def addressed_to_someone_else(slack_text: str, *, bot_user_id: str | None) -> bool:
    """Whether a message (Slack's text, mentions as `<@U…>`) speaks to another person."""
    if any(user != bot_user_id for user in _USER_MENTION.findall(slack_text)):
        return True
    if _TYPED_AT_NAME.match(slack_text):
        return True
    leading = _LEADING_NAME.match(slack_text)
    return leading is not None and leading.group(1).lower().rstrip("'’") not in _NOT_NAMES


def takes_thread_reply(
    policy: ThreadReplies, *, from_asker: bool, slack_text: str, bot_user_id: str | None
) -> str | None:
    """None when an untagged reply in a thread the bot answered is a question for it; else why
    it is left alone (for the log)."""
    if policy == "mentions":
        return "this workspace answers thread replies only when tagged"
    if policy == "asker" and not from_asker:
        return "not from the person who asked"
    if addressed_to_someone_else(slack_text, bot_user_id=bot_user_id):
        return "addressed to someone else"
    return None
