"""Every user-facing and log string of the Slack app, so that wording is reviewed in one place.

Log strings never contain message text, tokens or secrets: ids, counts and timings only.
"""

import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.slack.mrkdwn import escape

if TYPE_CHECKING:
    from ingest.outcomes import IngestSummary

COMMAND = "/ai-strategy"
EXAMPLE_QUESTIONS = (
    "When is fine-tuning worth it over prompt engineering?",
    "How much labeled data does fine-tuning need?",
    "What does fine-tuning cost compared with few-shot prompting?",
)


def new_error_id() -> str:
    """A short id tying what a person is told to the one log line about it."""
    return secrets.token_hex(4)


# -- conversations -------------------------------------------------------------------------


def help_text(bot_user_id: str | None) -> str:
    mention = f"<@{bot_user_id}>" if bot_user_id else "me"
    examples = "\n".join(f"• {mention} {question}" for question in EXAMPLE_QUESTIONS)
    return (
        "Hi! I answer questions on adapting language models (prompt engineering, fine-tuning, "
        f"or both) from a curated knowledge base, with sources. Try:\n{examples}\n"
        f"Reply in my thread to follow up, or run `{COMMAND}` for a guided assessment."
    )


def apology(error_id: str) -> str:
    return (
        f"Sorry, something went wrong on my side while answering (error id `{error_id}`). "
        "Please try again in a moment."
    )


SOURCES_HEADING = "*Sources*"


def source_line(n: int, title: str, target: str | None, *, low_trust: bool = False) -> str:
    """`title` is escaped mrkdwn; `target` a safe link target (`mrkdwn.link_target`) or None."""
    line = f"[{n}] <{target}|{title}>" if target else f"[{n}] {title}"
    return line + " _(low trust)_" if low_trust else line


COMPARISON_HEADING = "*Prompt engineering vs fine-tuning*"

COMPARISON_COLUMNS = "*Prompt engineering*", "*Fine-tuning*"

CONTINUED = "(continued)"

EMPTY_ANSWER = "I have no answer to that."

FEEDBACK_UP_TEXT = "👍 Helpful"

FEEDBACK_DOWN_TEXT = "👎 Not helpful"

FEEDBACK_UP_LABEL = "This answer was helpful"

FEEDBACK_DOWN_LABEL = "This answer was not helpful"


def feedback_thanks(vote: int) -> str:
    if vote > 0:
        return "Thanks! Glad it helped."
    return "Thanks for telling me. The feedback goes to the people who keep the knowledge base."


FEEDBACK_ASK_REASON = (
    "Thanks for telling me. What was wrong with it? (optional; it goes to the people who "
    "keep the knowledge base)"
)

FEEDBACK_REASON_PLACEHOLDER = "Pick a reason"

# The short list of reasons offered after a 👎 (keys: `FeedbackReason` values).
FEEDBACK_REASON_LABELS = {
    "wrong": "Wrong or outdated",
    "off_topic": "Did not answer my question",
    "no_answer": "Should have found an answer",
    "sources": "Sources missing or irrelevant",
    "unclear": "Too long or unclear",
}

FEEDBACK_ADD_COMMENT = "Add a comment…"


def feedback_reason_thanks(reason_label: str | None) -> str:
    noted = f" (“{reason_label}”)" if reason_label else ""
    return f"Noted{noted}, thank you. It goes to the people who keep the knowledge base."


FEEDBACK_EXPIRED = "That answer is too old to rate now; ask again and rate the new answer."

FEEDBACK_MODAL_TITLE = "Feedback"

FEEDBACK_MODAL_SUBMIT = "Send"

FEEDBACK_MODAL_REASON_LABEL = "What was wrong?"

FEEDBACK_MODAL_COMMENT_LABEL = "Anything else? (what you expected, what was missing)"


# -- progress ------------------------------------------------------------------------------


STATUS_SEARCHING = "Searching the knowledge base…"

STATUS_LOADING_MESSAGES = (
    STATUS_SEARCHING,
    "Reading the sources…",
    "Checking every claim has a source…",
)


# -- the assistant thread ------------------------------------------------------------------


ASSESSMENT_PROMPT = "Run the assessment"


ASSISTANT_GREETING = (
    "Hi! Ask me about adapting language models to your work (prompt engineering, "
    "fine-tuning, or both); every answer comes with its sources. Or run the assessment "
    "for a recommendation on your use case."
)

ASSISTANT_PROMPTS_TITLE = "Try one of these:"

ASSISTANT_ASSESSMENT_PROMPT_MESSAGE = "Run the assessment for my use case"

ASSISTANT_ASSESSMENT_OFFER = (
    "The assessment is three short steps about your task, data and constraints; it ends in "
    "an explained, cited recommendation. Start it here, or any time with "
    f"`{COMMAND}`."
)


def thread_title(question: str) -> str:
    """An assistant thread's title: its first question, shortened."""
    text = " ".join(question.split())
    return text if len(text) <= 60 else text[:59].rstrip() + "…"


# -- App Home ------------------------------------------------------------------------------


HOME_HEADING = "ai-strategy"

HOME_INTRO = (
    "I answer questions on adapting language models (prompt engineering, fine-tuning, or "
    "both) from a curated knowledge base, with numbered sources, and I say so when it does "
    "not cover a question."
)


def home_how_to(bot_user_id: str | None) -> str:
    mention = f"<@{bot_user_id}>" if bot_user_id else "@ai-strategy"
    return (
        "*How to use me*\n"
        f"• In a channel: mention {mention} with your question; I answer in its thread.\n"
        "• In my thread: the person who asked can follow up without mentioning me.\n"
        "• Privately: open my assistant panel (or DM me) and ask.\n"
        f"• `{COMMAND}`: a three-step assessment ending in a cited recommendation; "
        f"`{COMMAND} <question>` answers only you."
    )


HOME_KNOWLEDGE_HEADING = "What I know"


def home_index_facts(*, documents: int, chunks: int, version: str, built: str) -> str:
    return f"{documents} documents, {chunks} passages. Index version `{version}`, built {built}."


def home_document_line(title: str, chunks: int) -> str:
    return f"• {title} ({chunks} passages)"


HOME_NO_INDEX = (
    "No knowledge index yet: an admin runs `ai-strategy ingest` (or *Re-index now* below)."
)

HOME_ADMIN_HEADING = "For admins"

HOME_FEEDBACK_HEADING = "*Feedback*"


def home_reason_line(label: str, count: int) -> str:
    return f"• {label}: {count}"


def home_recent_down_line(question: str, reason_label: str | None) -> str:
    why = f" ({reason_label})" if reason_label else ""
    return f"• “{question}”{why}"


HOME_REINDEX_BUTTON = "Re-index now"

HOME_REINDEX_RUNNING = ":arrows_counterclockwise: Re-indexing…"


def home_channels_heading(default_label: str) -> str:
    return f"*Channel settings*\nWhat I answer in each channel. By default: {default_label}."


HOME_CHANNEL_PICKER = "Pick a channel"

HOME_MODE_PICKER = "Choose"

# How each `ChannelMode` reads in the App Home.
CHANNEL_MODE_LABELS = {
    "mentions": "Answer mentions only",
    "asker": "Mentions and follow-ups from the asker",
    "anyone": "Mentions and follow-ups from anyone",
    "off": "Off (answer nothing)",
}

HOME_CHANNEL_DEFAULT = "Default"


def home_channel_line(channel_id: str, label: str) -> str:
    return f"• <#{channel_id}>: {label}"


HOME_NOT_ADMIN_ACTION = "Only admins can change that."


# -- /ai-strategy --------------------------------------------------------------------------


USAGE = (
    f"*Usage*\n"
    f"• `{COMMAND}`: a guided assessment (three short steps) that ends in a cited "
    "recommendation, sent to you privately\n"
    f"• `{COMMAND} <question>`: a cited answer only you can see\n"
    f"• `{COMMAND} help`: this help\n"
    f"• `{COMMAND} reindex`: re-read the knowledge base (admins only)\n"
    f"• `{COMMAND} add <url>` / `{COMMAND} remove <document>`: change the knowledge base "
    "(admins only)"
)

LOOKING_UP = ":mag: Looking that up…"

MODAL_FAILED = f"Sorry, I could not open the assessment. Please run `{COMMAND}` again."

REINDEX_REFUSED = (
    "Only admins can re-index the knowledge base. Ask one of them, or your Slack admin to "
    "add you to `AI_STRATEGY_ADMIN_USERS`."
)

REINDEX_STARTED = (
    ":arrows_counterclockwise: Re-indexing the knowledge base; I will report back here."
)

REINDEX_BUSY = "A re-index is already running; I will not start another one."


def knowledge_change_refused(verb: str) -> str:
    return (
        f"Only admins can {verb} knowledge base documents. Ask one of them, or your Slack admin "
        "to add you to `AI_STRATEGY_ADMIN_USERS`."
    )


def knowledge_change_usage(verb: str) -> str:
    what = "<url>" if verb == "add" else "<document id, file name or url>"
    return f"Usage: `{COMMAND} {verb} {what}`"


def knowledge_change_started(verb: str, argument: str) -> str:
    doing = "Adding" if verb == "add" else "Removing"
    return f":arrows_counterclockwise: {doing} `{escape(argument)}` and re-indexing; I will report back here."


def knowledge_change_failed(reason: str) -> str:
    return f":x: Nothing changed: {escape(reason)}"


def knowledge_folder_unwritable(error: OSError) -> str:
    return (
        f":x: Nothing changed: the knowledge folder cannot be written here "
        f"({escape(error.strerror or str(error))}); add documents where it is writable."
    )


def knowledge_changed(action: str, title: str, source: str | None) -> str:
    verb = {"add": "Added", "update": "Updated", "remove": "Removed"}[action]
    where = f" from {escape(source)}" if source and action != "remove" else ""
    return f"{verb} *{escape(title)}*{where}."


def reindex_done(summary: "IngestSummary") -> str:
    """What an ingest changed, by document title with chunk counts, and the quality gate."""
    verdict = summary.gate
    if summary.published:
        text = (
            f":white_check_mark: Re-indexed in {summary.seconds:.1f} s: {summary.added} added, "
            f"{summary.updated} updated, {summary.deleted} deleted, {summary.unchanged} unchanged, "
            f"{summary.skipped} skipped; {summary.chunks} chunks."
        )
    else:
        text = (
            ":warning: The new index version failed the quality gate and was kept aside; "
            "the previous version still answers."
        )
    for document in summary.documents:
        chunks = (
            ""
            if document.change == "deleted"
            else f": {document.chunks} chunk{'s' if document.chunks != 1 else ''}"
        )
        text += f"\n• {document.change} *{escape(document.title)}*{chunks}"
    if summary.skipped_files:
        text += "\nSkipped: " + ", ".join(
            f"`{escape(skipped.file)}`" for skipped in summary.skipped_files
        )
    if verdict is not None:
        figures = (
            f"citation hit rate {verdict.candidate.hit_rate:.2f} on {verdict.candidate.checks} "
            f"checks" + (f" (was {verdict.previous.hit_rate:.2f})" if verdict.previous else "")
        )
        if verdict.passed:
            text += f"\nQuality gate passed: {figures}."
        else:
            text += f"\nQuality gate {'overridden' if verdict.forced else 'failed'}: {figures}; "
            text += "; ".join(verdict.reasons()) + "."
            for check in verdict.newly_failed():
                text += f"\n• failed check `{escape(check.id)}`: {escape(check.question)}"
            if not verdict.published:
                text += "\nFix the documents or `knowledge/checks.jsonl`, or run `ai-strategy ingest --force`."
    return text


def reindex_failed(error_id: str) -> str:
    return f":x: The re-index failed (error id `{error_id}`); the previous index is still in use."


# -- the assessment modal and its recommendation -------------------------------------------


MODAL_TITLE = "AI strategy"

MODAL_NEXT = "Next"

MODAL_FINISH = "Get recommendation"


def modal_cancel(step: int) -> str:
    return "Cancel" if step == 1 else "Back"


ASSESSMENT_BUTTON = "Run the full assessment"


def modal_prefilled(labels: Sequence[str]) -> str:
    return (
        "Filled in from your question: " + ", ".join(labels) + ". Check them as you go; "
        "the other answers are the usual defaults."
    )


MODAL_INTRO = (
    "Answer a few questions about your task; you will get a recommendation with its "
    "reasons and sources in a direct message."
)


def recommendation_failed(error_id: str) -> str:
    return (
        f"Sorry, I could not finish your recommendation (error id `{error_id}`). Please run "
        f"`{COMMAND}` again."
    )


def recommendation_heading(outcome: str) -> str:
    return f"Recommendation: {outcome[:1].upper()}{outcome[1:]}"


def confidence(label: str) -> str:
    return f"*Confidence:* {label}"


def recommendation_fallback(outcome: str, confidence: str, summary: str) -> str:
    return f"{recommendation_heading(outcome)} (confidence {confidence}). {summary}"


FACTORS_HEADING = "*How each answer weighs*"

COUNTERFACTUAL_HEADING = "*What would change it*"

NEXT_STEPS_HEADING = "*Next steps*"

SHARE_BUTTON = "Share to channel"


def shared_by(user_id: str) -> str:
    return f"Shared by <@{user_id}> from `{COMMAND}`"


def shared(channel_id: str) -> str:
    return f"Shared in <#{channel_id}>."


SHARE_INVALID = (
    f"That button does not say where to share. Run `{COMMAND}` again for a recommendation "
    "you can share."
)


SHARE_FROM_A_CHANNEL = (
    f"To share a recommendation, run `{COMMAND}` in the channel you want it in (with me invited)."
)


def share_failed(channel_id: str, *, direct_message: bool) -> str:
    if direct_message:
        return f"I cannot post in a direct message between people. {SHARE_FROM_A_CHANNEL}"
    return (
        f"I could not post in <#{channel_id}>. Invite me there (`/invite @ai-strategy`) and "
        "click *Share to channel* again."
    )


# -- the commands --------------------------------------------------------------------------


def missing_credentials(names: Sequence[str]) -> str:
    return (
        f"Missing {' and '.join(names)}: set them in the environment or in .env (see "
        ".env.example and deploy/manifest.yaml). SLACK_APP_TOKEN selects Socket Mode, which "
        "needs no signing secret."
    )


def no_index(error: Exception) -> str:
    return f"No knowledge index yet ({error}). Run `ai-strategy ingest` first."


def cannot_reach_slack(api_url: str, error: Exception) -> str:
    return f"Slack did not accept the bot at {api_url}: {type(error).__name__}: {_short(error)}"


def cannot_open_index(error: Exception) -> str:
    return (
        f"Cannot open the knowledge index: {type(error).__name__}: {_short(error)}. Is the "
        "Chroma server (CHROMA_HOST, CHROMA_PORT) running and reachable?"
    )


def cannot_open_database(error: Exception) -> str:
    return (
        f"Cannot open the database (AI_STRATEGY_DATABASE_URL): {type(error).__name__}: "
        f"{_short(error).split(' (Background on this error')[0]}"
    )


def cannot_listen(host: str, port: int, error: Exception) -> str:
    return f"Cannot listen on {host}:{port} (PORT): {_short(error)}"


def serving_socket_mode(host: str, port: int) -> str:
    return (
        "ai-strategy is connecting to Slack in Socket Mode; /healthz, /readyz and /metrics on "
        f"http://{host}:{port} (Ctrl-C stops it)"
    )


def serving_http(host: str, port: int) -> str:
    return (
        f"ai-strategy is listening on http://{host}:{port}: Slack's Request URL is "
        "/slack/events; /healthz, /readyz and /metrics (Ctrl-C stops it)"
    )


def feedback_totals(up: int, down: int) -> str:
    total = up + down
    if not total:
        return "No feedback yet."
    return f"{total} votes: 👍 {up}, 👎 {down} ({up / total:.0%} helpful)"


FEEDBACK_DOCUMENTS_HEADING = "Votes by cited document:"

FEEDBACK_REASONS_HEADING = "Reasons given for 👎:"

FEEDBACK_RECENT_HEADING = "Latest questions voted down:"


# -- logs (ids and counts only) ------------------------------------------------------------


def log_failed(kind: str, error_id: str, error: BaseException) -> str:
    return f"{kind} failed [error id {error_id}]: {type(error).__name__}: {_short(error)}"


def log_unexpected_error(error_id: str, error: BaseException) -> str:
    return f"unexpected error [error id {error_id}]: {type(error).__name__}: {_short(error)}"


def log_answered(fields: dict) -> str:
    return (
        f"answered surface={fields['surface']} channel={fields['channel']} "
        f"messages={fields['messages']} citations={fields['citations']} "
        f"grounded={fields['grounded']} history={fields['history_turns']} in {fields['ms']} ms"
    )


LOG_WITHDRAWN = "not answered: the question was deleted meanwhile"


def missing_scopes(scopes: Sequence[str], uses: Sequence[str]) -> str:
    needed = "; ".join(f"{scope} ({use})" for scope, use in zip(scopes, uses, strict=True))
    return (
        f"the bot token lacks scopes: {needed}. Add them to the app's bot scopes "
        "(deploy/manifest.yaml lists them) and reinstall the app"
    )


def log_missing_scopes(scopes: Sequence[str]) -> str:
    return f"the bot token lacks scopes {', '.join(scopes)}: see /readyz"


def log_left_alone(reason: str) -> str:
    return f"left a thread reply alone: {reason}"


def log_duplicate(key: str) -> str:
    return f"skipped duplicate delivery {key}"


def log_slack_call_failed(method: str, code: str, needed_scope: str | None = None) -> str:
    if needed_scope:
        return (
            f"Slack {method} failed: missing_scope {needed_scope} (add it to the app's bot scopes, "
            "as in deploy/manifest.yaml, and reinstall the app)"
        )
    return f"Slack {method} failed: {code}"


LOG_STATUS_THREAD_GONE = "status not cleared: its thread is gone (the question was deleted)"


def log_status_unavailable(code: str) -> str:
    return f"assistant.threads.setStatus unavailable ({code}); showing progress with a reaction"


def log_native_feedback_refused(code: str) -> str:
    return f"Slack refused the feedback_buttons element ({code}); using classic buttons"


def log_invalid_signature(timestamp: str) -> str:
    return (
        f"rejected a request with an invalid signature or stale timestamp (timestamp {timestamp})"
    )


def request_failed(error_id: str) -> str:
    return (
        f"Sorry, I could not handle that request (error id {error_id}). Try again; if it "
        "keeps failing, tell whoever runs the bot the error id."
    )


def log_request_too_large(limit: int) -> str:
    return f"refused a request body over {limit} bytes (AI_STRATEGY_MAX_REQUEST_BYTES)"


def log_app_rate_limited() -> str:
    return (
        "Slack is dropping events for this app: over 30,000 events an hour in the workspace "
        "(app_rate_limited); check which message events the app subscribes to"
    )


def log_unparseable_request(error_id: str, size: int) -> str:
    return f"signed request is not a Slack payload [error id {error_id}] ({size} bytes)"


LOG_STOPPED = "stopped (answers in flight were finished)"

LOG_DRAINING = "stopping: /readyz answers 503, new events are refused, answers in flight finish"


def log_drained(in_flight: int, seconds: float) -> str:
    if in_flight:
        return f"{in_flight} answers still in flight after {seconds:.0f} s; stopping anyway"
    return f"answers in flight finished in {seconds:.1f} s"


def log_refused_while_draining(kind: str) -> str:
    return f"refused a {kind} while stopping (Slack retries it, at another replica if any)"


def log_listener_failed(error_id: str, error: BaseException) -> str:
    return f"listener failed [error id {error_id}]: {type(error).__name__}: {_short(error)}"


def log_index_version(version: str) -> str:
    return f"answering from index version {version}"


def log_warmed_up(seconds: float) -> str:
    return f"ready: models and index loaded in {seconds:.1f} s"


def log_reindexed(seconds: float, chunks: int) -> str:
    return f"reindex finished in {seconds:.1f} s ({chunks} chunks)"


def _short(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text[:200] + ("…" if len(text) > 200 else "")


# -- files shared in a DM (bot.slack.uploads) ------------------------------------------------


def upload_offer(names: Sequence[str]) -> str:
    listed = ", ".join(f"*{escape(name)}*" for name in names)
    return (
        f"Add {listed} to the knowledge base? I will convert it as `ai-strategy add FILE` "
        "does and re-index (the quality gate still applies)."
    )


def upload_button(name: str) -> str:
    return f"Add {name}"[:75]  # Slack's limit for a button's text


UPLOAD_STARTED = (
    ":arrows_counterclockwise: Adding the file and re-indexing; I will report back here."
)

UPLOAD_NOT_ADMIN = (
    "Thanks! Only admins can add files to the knowledge base, so I have left it alone. "
    "Ask me a question in words and I will answer from the knowledge base."
)


def upload_unsupported(names: Sequence[str], suffixes: Sequence[str]) -> str:
    listed = ", ".join(f"*{escape(name)}*" for name in names)
    return f"I can add {', '.join(suffixes)} files to the knowledge base; {listed} is not one."


def upload_not_on_slack(name: str) -> str:
    return f"{name} is not stored on Slack: I only download files from Slack itself"


def upload_unavailable(code: str | None) -> str:
    return (
        f"the file cannot be read from Slack ({code or 'no answer'}); is it still shared with "
        "me, and does the app have the `files:read` scope?"
    )


def log_upload_update_failed(code: str | None) -> str:
    return f"could not update the offer to add a file: {code}"
