"""Re-reading the knowledge base from Slack (`/ai-strategy reindex`, the App Home's button).

One re-index at a time: in this process (a lock), and across replicas sharing a database (the
store's `exclusively`); a second request meanwhile is told a re-index is already running. The
outcome is reported in words through the `report` callback of whoever asked.
"""

import logging
import threading
from collections.abc import Callable

from bot.slack import messages
from bot.slack.engines import Engines
from bot.slack.ops import Metrics
from bot.storage import Store
from ingest.store import IndexBusyError

log = logging.getLogger("bot.slack")


class Reindexer:
    """Runs the engines' re-index and reports how it went."""

    def __init__(self, *, engines: Engines, store: Store, metrics: Metrics) -> None:
        self.engines = engines
        self.store = store
        self.metrics = metrics
        self._running = threading.Lock()

    def run(self, report: Callable[[str], None]) -> None:
        """Re-index now (on the caller's thread) and `report` the outcome."""
        if not self._running.acquire(blocking=False):
            self.metrics.ingest_runs.labels("busy").inc()
            report(messages.reindex_busy())
            return
        try:
            # Replicas sharing a database take turns (another replica's re-index: busy).
            with self.store.exclusively("reindex") as ours:
                if not ours:
                    raise IndexBusyError("another replica is re-indexing")
                summary = self.engines.reindex()
        except IndexBusyError:
            self.metrics.ingest_runs.labels("busy").inc()
            report(messages.reindex_busy())
        except Exception as error:
            error_id = messages.new_error_id()
            self.metrics.ingest_runs.labels("failed").inc()
            self.metrics.error("reindex")
            log.error(messages.log_reindex_failed(error_id, error))
            log.debug("reindex failed", exc_info=True)
            report(messages.reindex_failed(error_id))
        else:
            self.metrics.ingest_runs.labels("ok").inc()
            log.info(messages.log_reindexed(summary.seconds, summary.chunks))
            report(
                messages.reindex_done(
                    added=summary.added,
                    updated=summary.updated,
                    deleted=summary.deleted,
                    unchanged=summary.unchanged,
                    skipped=summary.skipped,
                    chunks=summary.chunks,
                    seconds=summary.seconds,
                    skipped_files=[skipped.file for skipped in summary.skipped_files],
                )
            )
        finally:
            self._running.release()
