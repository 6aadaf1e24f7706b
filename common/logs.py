"""Logging of every command: readable lines on a terminal, or JSON lines for a log collector.

`AI_STRATEGY_LOG_FORMAT=json` writes one JSON object per line to stderr (stdout stays for a
command's own output, e.g. `ingest --json`): `ts` (UTC, ISO 8601), `level`, `logger`,
`message`, any `extra=` fields of the call, and `exception` when a traceback is logged.

Secrets never reach a log line, whatever logged them (our code, uvicorn, slack_sdk, chromadb):
a filter on the handler replaces the configured secret values, Slack tokens, bearer tokens and
passwords in URLs with `[redacted]`, in the message and in tracebacks alike.
"""

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings

from common.redaction import REDACTED, redact_secrets
from common.settings import SETTINGS_SOURCES

LogFormat = Literal["text", "json"]
# Libraries whose INFO and DEBUG lines are chatter to whoever runs a command ("setup plugin …",
# "Building index from tokens"): only their warnings and errors are shown.
NOISY_LOGGERS = (
    "httpx", "chromadb", "sentence_transformers", "transformers", "urllib3", "bm25s", "alembic",
)  # fmt: skip

# Attributes every LogRecord has; anything else on a record came from `extra=` (uvicorn's
# `color_message` is its message again, with terminal colours).
_STANDARD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys()
    | {"message", "asctime", "color_message"}
)


class LogSettings(BaseSettings):
    """How log lines are written (the bot's server settings compose it)."""

    model_config = SETTINGS_SOURCES

    log_format: LogFormat = Field(
        "text", description="`text` (readable, for a terminal) or `json` (one object per line)."
    )


class Redactor(logging.Filter):
    """Replaces secrets in a record's message and traceback before any handler formats it."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # Longest first, so that a secret containing another is replaced whole.
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return redact_secrets(text)[0]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD_ATTRIBUTES and isinstance(value, str):
                setattr(record, key, self.redact(value))
        return True


class QuietLibraries(logging.Filter):
    """Drops the chatter of `NOISY_LOGGERS`, on the handler: setting their levels is not enough,
    as some set their own on import (bm25s to DEBUG) and are imported after logging is set up."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or record.name.split(".")[0] not in NOISY_LOGGERS


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRIBUTES and key not in entry:
                entry[key] = value
        if record.exc_text:
            entry["exception"] = record.exc_text
        elif record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(
    verbose: bool = False, *, log_format: LogFormat | None = None, secrets: Iterable[str] = ()
) -> None:
    """Send every logger's records (ours, uvicorn's, the libraries') to one stderr handler:
    text or JSON lines (`AI_STRATEGY_LOG_FORMAT` unless given), secrets redacted."""
    log_format = log_format or LogSettings().log_format
    if log_format == "json":
        handler: logging.Handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonLinesFormatter())
        logging.captureWarnings(True)
    else:
        from rich.console import Console
        from rich.logging import RichHandler

        handler = RichHandler(console=Console(stderr=True), show_time=False, show_path=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(QuietLibraries())
    handler.addFilter(Redactor(secrets))
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, handlers=[handler], force=True
    )
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)
