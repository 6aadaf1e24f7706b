"""Re-reading the knowledge base from Slack (`/ai-strategy reindex`, `add`, `remove`, the App
Home's button).

One re-index at a time: in this process (a lock), and across replicas sharing a database (the
store's `exclusively`); a second request meanwhile is told a re-index is already running. An
admin's edit of the knowledge folder (`add <url>`, `remove <doc>`) runs inside the same turn,
just before the re-ingest, and is recorded with what the re-ingest made of it. The outcome is
reported in words through the `report` callback of whoever asked.
"""

import logging
import threading
from collections.abc import Callable

from bot.slack import messages
from bot.slack.delivery import report_failure
from bot.slack.engines import Engines
from bot.slack.metrics import Metrics
from bot.storage import Store
from ingest.errors import IndexBusyError
from ingest.fetching import FetchRefused
from ingest.knowledge_files import CannotAdd, DocumentNotFound, KnowledgeChange

log = logging.getLogger("bot.slack")


class Reindexer:
    """Runs the engines' re-index (after an admin's edit, if any) and reports how it went."""

    def __init__(self, *, engines: Engines, store: Store, metrics: Metrics) -> None:
        self.engines = engines
        self.store = store
        self.metrics = metrics
        self._running = threading.Lock()

    def run(
        self,
        report: Callable[[str], object],
        *,
        edit: Callable[[], KnowledgeChange] | None = None,
        user: str | None = None,
    ) -> None:
        """Re-index now (on the caller's thread) and `report` the outcome."""
        if not self._running.acquire(blocking=False):
            self.metrics.ingest_runs.labels("busy").inc()
            report(messages.REINDEX_BUSY)
            return
        try:
            # Replicas sharing a database take turns (another replica's re-index: busy).
            with self.store.exclusively("reindex") as ours:
                if not ours:
                    raise IndexBusyError("another replica is re-indexing")
                change = edit() if edit else None
                summary = self.engines.reindex()
        except (FetchRefused, CannotAdd, DocumentNotFound) as refusal:
            report(messages.knowledge_change_failed(str(refusal)))
        except OSError as error:
            report(messages.knowledge_folder_unwritable(error))
        except IndexBusyError:
            self.metrics.ingest_runs.labels("busy").inc()
            report(messages.REINDEX_BUSY)
        except Exception as error:
            self.metrics.ingest_runs.labels("failed").inc()
            report_failure(
                self.metrics, "reindex", error, notify=report, apology=messages.reindex_failed
            )
        else:
            self.metrics.ingest_runs.labels("ok").inc()
            log.info(messages.log_reindexed(summary.seconds, summary.chunks))
            done = messages.reindex_done(summary)
            if change is not None:
                indexed = next((d for d in summary.documents if d.doc == change.doc), None)
                change = change.model_copy(
                    update={
                        "who": user or "",
                        "chunks": indexed.chunks if indexed else None,
                        "published": summary.published,
                    }
                )
                self.store.record_change(change)
                changed = messages.knowledge_changed(change.action, change.title, change.source)
                done = f"{changed}\n{done}"
            report(done)
        finally:
            self._running.release()
