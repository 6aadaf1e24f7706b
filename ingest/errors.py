"""Errors of the index a user can act on (kept free of heavy imports: the CLI catches them)."""


class IndexServerError(RuntimeError):
    """The Chroma server cannot be reached or does not answer; the message says what to do."""
