"""Settings of the knowledge index, one pydantic-settings model per concern.

`KnowledgeSettings` (what goes in and how it is cut), `EmbeddingSettings` (the model),
`StoreSettings` (where index versions live) each read `AI_STRATEGY_*` (`common.settings`); an
engine takes the one it uses. `IndexSettings` composes them for the index commands, and the
bot's `Settings` composes that with its own concerns.
"""

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings

from common.settings import SETTINGS_SOURCES

DEFAULT_EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
Backend = Literal["onnx", "torch"]


def _a_folder(value: Path) -> Path:
    if value.exists() and not value.is_dir():
        raise ValueError(f"{value} is a file, not a folder")
    return value


class DataSettings(BaseSettings):
    """The folder of state every concern keeps something in (index, models, database)."""

    model_config = SETTINGS_SOURCES

    data_dir: Path = Field(Path(".data"), description="Index versions and other state.")

    @field_validator("data_dir")
    @classmethod
    def _data_dir_is_a_folder(cls, value: Path) -> Path:
        return _a_folder(value)


class KnowledgeSettings(DataSettings):
    """The documents: where they are, how they are cut into chunks, the gate a new index passes."""

    knowledge_dir: Path = Field(Path("knowledge"), description="Folder of source documents.")
    chunk_tokens: int = Field(
        180, ge=32, le=480, description="Most tokens of document text in one chunk."
    )
    chunk_overlap_tokens: int = Field(
        0, ge=0, le=120, description="Tokens repeated between pieces of an oversized paragraph."
    )
    max_document_bytes: int = Field(
        20_000_000,
        ge=1,
        description="Files larger than this are skipped with a warning (a stray log or dump "
        "would stall the ingest).",
    )
    ingest_threads: int = Field(
        0, ge=0, le=64, description="Threads an ingest embeds with; 0: one per core."
    )
    checks_file: Path | None = Field(
        None,
        description="Quality-gate questions (eval format); default `checks.jsonl` in the "
        "knowledge folder. No file: no gate.",
    )
    gate_floor: float = Field(
        0.8,
        ge=0,
        le=1,
        description="Least citation hit rate on the checks for a new index version to go live.",
    )
    fetch_timeout_seconds: float = Field(
        15.0, gt=0, le=300, description="`add URL`: connect and read timeout."
    )
    fetch_max_mb: float = Field(10.0, gt=0, le=200, description="`add URL`: largest page accepted.")

    @field_validator("knowledge_dir")
    @classmethod
    def _knowledge_dir_is_a_folder(cls, value: Path) -> Path:
        return _a_folder(value)

    @property
    def resolved_checks_file(self) -> Path:
        return self.checks_file or self.knowledge_dir / "checks.jsonl"


class EmbeddingSettings(DataSettings):
    """The embedding model and how it runs."""

    embedding_model: str = Field(
        DEFAULT_EMBEDDING_MODEL,
        description="Sentence-transformers model: the bundled default, a local folder, or a name "
        "already in the local Hugging Face cache (nothing is downloaded).",
    )
    embedding_backend: Backend = Field(
        "onnx",
        description="`onnx`: the model exported once to ONNX (under the models dir), run without "
        "torch; `torch`: sentence-transformers itself.",
    )
    embedding_quantized: bool = Field(
        False,
        description="Run the ONNX model with int8 weights (dynamic quantization): faster, "
        "vectors within cosine 0.98 of torch's; switching rebuilds the index.",
    )
    embedding_ingest_precision: Literal["bf16", "fp32"] = Field(
        "bf16",
        description="What an ingest embeds with on the ONNX backend: `bf16` runs the model on "
        "OpenVINO's bfloat16 kernels where the CPU has them (AVX-512 BF16, AMX), about twice "
        "as fast, vectors within cosine 0.9999 of fp32 (the index keeps them; queries stay "
        "fp32); `fp32`, a CPU without bf16 or int8 weights: onnxruntime.",
    )
    model_dir: Path | None = Field(
        None, description="Where exported ONNX models are kept; default `<data dir>/models`."
    )
    embed_batch_size: int = Field(32, ge=1, le=1024, description="Texts embedded per batch.")

    @property
    def models_dir(self) -> Path:
        """The folder of exported ONNX models (one subfolder per model and variant)."""
        return self.model_dir or self.data_dir / "models"


class StoreSettings(DataSettings):
    """Where index versions live: folders under the data dir, or a Chroma server."""

    chroma_host: str | None = Field(
        None,
        validation_alias=AliasChoices("CHROMA_HOST", "chroma_host"),
        description="Chroma server host; set to use the server instead of the embedded index.",
    )
    chroma_port: int = Field(
        8000, validation_alias=AliasChoices("CHROMA_PORT", "chroma_port"), ge=1, le=65535
    )
    chroma_timeout_seconds: float = Field(
        10.0,
        gt=0,
        le=600,
        description="Give up on a Chroma server request after this (a server that accepts "
        "connections but never answers).",
    )
    chroma_ssl: bool = Field(False, validation_alias=AliasChoices("CHROMA_SSL", "chroma_ssl"))
    chroma_auth_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("CHROMA_AUTH_TOKEN", "chroma_auth_token")
    )
    chroma_auth_header: str = Field(
        "Authorization",
        validation_alias=AliasChoices("CHROMA_AUTH_HEADER", "chroma_auth_header"),
        description="`Authorization` sends `Bearer <token>`; any other header gets the token "
        "as is.",
    )
    chroma_collection_prefix: str = Field(
        "ai_strategy",
        pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_-]{1,40}$",
        description="Prefix of this deployment's collections on a shared Chroma server.",
    )

    @property
    def index_dir(self) -> Path:
        """The folder holding the index versions and the pointer to the current one."""
        return self.data_dir / "index"


class IndexSettings(KnowledgeSettings, EmbeddingSettings, StoreSettings):
    """Everything the index commands use: the documents, the model, the store."""
