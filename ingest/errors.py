"""Errors of the index a user can act on (kept free of heavy imports: the CLI catches them)."""


class IndexServerError(RuntimeError):
    """The Chroma server cannot be reached or does not answer; the message says what to do."""


class IndexBusyError(RuntimeError):
    """Another ingest holds the index lock: only one may build a new version at a time."""


class IndexNotBuiltError(RuntimeError):
    """There is no published index yet: run `ai-strategy ingest` first."""
