"""Which store the settings name: a module of its own, so neither store imports the other."""

from typing import Any

from ingest.settings import StoreSettings
from ingest.store import Store, VersionStore


def open_store(settings: StoreSettings) -> Store[Any]:
    """The Chroma server when `CHROMA_HOST` is set, else version folders under the data dir."""
    if settings.chroma_host:
        # Imported here: it imports chromadb (a second), which a local reader never needs.
        from ingest.server_store import ServerStore

        return ServerStore(settings)
    return VersionStore(settings.index_dir)
