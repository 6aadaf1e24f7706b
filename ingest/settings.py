"""Settings of the knowledge index, read from the environment and `.env` (prefix `AI_STRATEGY_`).

Lookup order, first wins: command-line flags (applied by the commands), environment variables,
`.env` in the working directory, the defaults below. `.env.example` documents every variable.
"""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


class IndexSettings(BaseSettings):
    """Where the knowledge lives, where the index is kept, and how it is built."""

    model_config = SettingsConfigDict(
        env_prefix="AI_STRATEGY_", env_file=".env", extra="ignore", populate_by_name=True
    )

    knowledge_dir: Path = Field(Path("knowledge"), description="Folder of source documents.")
    data_dir: Path = Field(Path(".data"), description="Index versions and other state.")
    embedding_model: str = Field(
        DEFAULT_EMBEDDING_MODEL,
        description="Sentence-transformers model: the bundled default, a local folder, or a name "
        "already in the local Hugging Face cache (nothing is downloaded).",
    )
    chunk_tokens: int = Field(
        180, ge=32, le=480, description="Most tokens of document text in one chunk."
    )
    chunk_overlap_tokens: int = Field(
        0, ge=0, le=120, description="Tokens repeated between pieces of an oversized paragraph."
    )
    embed_batch_size: int = Field(32, ge=1, le=1024, description="Texts embedded per batch.")

    @property
    def index_dir(self) -> Path:
        """The folder holding the index versions and the pointer to the current one."""
        return self.data_dir / "index"
