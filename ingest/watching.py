"""`ingest --watch`: re-ingest whenever the knowledge folder changes.

watchfiles (inotify on Linux) reports changes in batches: everything that changes within the
debounce window (an editor saving, `git pull` replacing ten files, `ai-strategy add` writing its
temporary file and renaming it) becomes one ingest. Each ingest is the ordinary one: it takes
the ingest lock, builds a new version beside the one the bot serves, and publishes it only
when complete (and past the quality gate), so watching is as safe beside a serving bot as
running `ingest` by hand.
"""

import signal
import threading
from collections.abc import Callable
from pathlib import Path
from threading import Event

import watchfiles

from ingest.parsing import IGNORED_NAMES, SUPPORTED_SUFFIXES

DEBOUNCE_MS = 1500
STEP_MS = 200
CHECKS_NAME = "checks.jsonl"


class KnowledgeFilter(watchfiles.DefaultFilter):
    """Changes that can change the index: documents and the checks, not hidden or temp files."""

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        if not super().__call__(change, path):
            return False
        name = Path(path).name
        if name.startswith("."):
            return False
        if name.lower() == CHECKS_NAME:
            return True
        return name.lower() not in IGNORED_NAMES and Path(name).suffix.lower() in SUPPORTED_SUFFIXES


def watch_knowledge(
    folder: Path,
    on_change: Callable[[], None],
    *,
    debounce_ms: int = DEBOUNCE_MS,
    stop: Event | None = None,
) -> None:
    """Call `on_change` once now and once after each debounced batch of changes, until Ctrl-C,
    SIGTERM (an ingest under way finishes first) or `stop` is set."""
    if stop is None:
        stop = Event()
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    # The first (empty) batch comes once the watcher is set up: ingesting only then means an
    # edit made during that first ingest is not missed.
    first = True
    try:
        for changes in watchfiles.watch(
            folder,
            watch_filter=KnowledgeFilter(),
            debounce=debounce_ms,
            step=STEP_MS,
            stop_event=stop,
            rust_timeout=STEP_MS,
            yield_on_timeout=True,
            recursive=True,
        ):
            if stop.is_set():
                break
            if changes or first:
                first = False
                on_change()
    except KeyboardInterrupt:
        pass
