"""Slow work after the ack: answers, recommendations and re-ingests on their own threads.

Bolt runs listeners and acks on one small thread pool; an answer that takes seconds must not
sit there, or a slash command arriving meanwhile would wait for a free thread past Slack's
3-second limit. Listeners therefore only check, claim and hand the work over to this pool.
"""

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from bot.slack import messages

log = logging.getLogger("bot.slack")


class BackgroundWork:
    """A bounded pool of worker threads that logs, rather than loses, unexpected errors."""

    def __init__(self, *, workers: int = 4) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ai-strategy-work")
        self._in_flight = 0
        self._changed = threading.Condition()
        # Called on each unexpected error (the error metric); None: only logged.
        self.on_error: Callable[[], None] | None = None

    def submit(self, function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """Run `function(*args, **kwargs)` on a worker thread."""
        with self._changed:
            self._in_flight += 1
        future = self._pool.submit(self._run, function, args, kwargs)
        return future

    def _run(self, function: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
        try:
            return function(*args, **kwargs)
        except Exception as error:
            if self.on_error is not None:
                self.on_error()
            log.error(messages.log_unexpected_error(messages.new_error_id(), error))
            log.debug("unexpected error in background work", exc_info=True)
            return None
        finally:
            with self._changed:
                self._in_flight -= 1
                self._changed.notify_all()

    @property
    def in_flight(self) -> int:
        """Tasks submitted and not finished yet."""
        with self._changed:
            return self._in_flight

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until no work is left (True), or `timeout` passes (False)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
        return True

    def shutdown(self, *, wait: bool = True) -> None:
        """Take no new work; with `wait`, finish what is in flight first."""
        self._pool.shutdown(wait=wait)
