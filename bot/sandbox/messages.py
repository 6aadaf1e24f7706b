"""Every user-facing string of the sandbox and of `ai-strategy start`, reviewed in one place.

The page's own labels live at the top of `static/app.js`; these are what the terminal prints
and what the page's server answers when it refuses an action.
"""

from pathlib import Path

from bot.slack.messages import COMMAND


def no_index_yet(knowledge_dir: Path) -> str:
    return (
        f"No knowledge index yet: indexing {knowledge_dir} first (a minute or so on the first "
        "run; later runs only read what changed)."
    )


INGEST_FAILED = "The ingest failed, so the sandbox cannot answer questions; see the error above."


WARMING_UP = "Loading the answer engine (the embedding model loads once, on the first question)…"


def port_in_use(host: str, port: int, error: OSError) -> str:
    reason = error.strerror or error
    return f"Cannot listen on {host}:{port} ({reason}). Pick another port with --port."


def sandbox_ready(page_url: str, bot_url: str, api_url: str, person: str) -> str:
    return (
        f"\nai-strategy sandbox: a local Slack workspace wired to the real bot, no Slack account "
        f"needed.\n\n"
        f"  Open {page_url}\n\n"
        f"  You are @{person} in #general and in a direct message with @ai-strategy.\n"
        f"  Ask with `@ai-strategy <question>` in #general (or just ask in the DM); type "
        f"`{COMMAND}` for the guided assessment.\n"
        f"  The bot runs in HTTP mode at {bot_url}, calling the Slack emulator at {api_url}.\n"
        f"  Ctrl-C stops it.\n"
    )


STOPPING = "Stopping the sandbox…"


def starting_sandbox(missing: list[str]) -> str:
    return (
        f"No Slack tokens configured ({', '.join(missing)} unset): starting the local sandbox "
        "(`ai-strategy sandbox`). Configure them (see .env.example) to run the bot in your "
        "Slack workspace instead."
    )


def starting_bot_http(host: str, port: int) -> str:
    return (
        "Slack tokens found: starting the Slack bot (`ai-strategy serve`) in HTTP mode on "
        f"http://{host}:{port}. Slack's Request URL is https://<this host's public name>"
        f"/slack/events; then open Slack and @mention ai-strategy, or run {COMMAND}."
    )


STARTING_BOT_SOCKET_MODE = (
    "Slack tokens found: starting the Slack bot (`ai-strategy serve`) in Socket Mode; there "
    f"is no address to open: open Slack and @mention ai-strategy, or run {COMMAND}."
)


# -- answers of the page's server ----------------------------------------------------------


EMPTY_MESSAGE = "Type a message first."


def unknown_command(command: str) -> str:
    return f"{command} is not a valid command. In this sandbox the app has one command: {COMMAND}."


UNKNOWN_CONVERSATION = "That conversation does not exist in this workspace."


def app_did_not_answer(status: int) -> str:
    if status == 0:
        return "The app could not be reached (is the bot still running?)."
    return f"The app answered HTTP {status}: Slack would show this as a failed request."


NOT_JSON = "Send JSON (Content-Type: application/json)."


CROSS_ORIGIN = "Requests from other sites are refused."
