"""Hostile-request tests' tools: a capture of every log record (the server's own included), and
raw requests, signed or not, to the bot's Request URL."""

import hashlib
import hmac
import logging
import time
from contextlib import contextmanager

import httpx

from bot.slack.server import EVENTS_PATH
from tests.slack_helpers import SIGNING_SECRET, SlackHarness


class LogCapture(logging.Handler):
    """Every record at INFO and above, from the root logger and uvicorn's own."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith("httpx"):  # the test's own client
            self.records.append(record)

    def tracebacks(self) -> list[str]:
        formatter = logging.Formatter()
        return [
            formatter.format(record)
            for record in self.records
            if record.exc_info or "Traceback" in record.getMessage()
        ]

    @contextmanager
    def attached(self):
        loggers = [
            logging.getLogger(),
            logging.getLogger("uvicorn"),
            logging.getLogger("uvicorn.error"),
        ]
        for logger in loggers:
            logger.addHandler(self)
        previous = logging.getLogger().level
        logging.getLogger().setLevel(logging.INFO)
        try:
            yield self
        finally:
            logging.getLogger().setLevel(previous)
            for logger in loggers:
                logger.removeHandler(self)


def web_api_calls(harness: SlackHarness) -> list[str]:
    """What the bot asked of Slack, besides the `auth.test` it makes on start."""
    return [call.method for call in harness.slack.calls() if call.method != "auth.test"]


def post_raw(
    client: httpx.Client, harness: SlackHarness, body: bytes, headers: dict
) -> httpx.Response:
    return client.post(harness.server.url + EVENTS_PATH, content=body, headers=headers)


def signed_headers(body: bytes, content_type: str, *, timestamp: str | None = None) -> dict:
    """Slack's signature headers over the raw bytes (any bytes, UTF-8 or not)."""
    stamp = timestamp or str(int(time.time()))
    digest = hmac.new(
        SIGNING_SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256
    )
    signature = "v0=" + digest.hexdigest()
    return {
        "Content-Type": content_type.encode("latin-1"),
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature,
    }
