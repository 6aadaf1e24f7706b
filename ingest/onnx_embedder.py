"""The embedding model exported to ONNX, run without torch: tokenized by `tokenizers`, the
transformer on onnxruntime (or, for an ingest's bulk work, OpenVINO's bf16 kernels: see
`ingest.openvino_runner`), pooled in NumPy.

What sentence-transformers does for this model (its `modules.json`: Transformer → mean
Pooling → Normalize) is done here on the transformer's token embeddings: the mean of the token
vectors under the attention mask, then division by the L2 norm.
"""

import copy
import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from pathlib import Path
from typing import Protocol

import numpy as np
import onnxruntime
from tokenizers import Encoding, Tokenizer

from ingest.embedding import QUERY_THREADS, EmbedderSpec, length_sorted_batches
from ingest.onnx_export import FP32_MIN_COSINE, PROBES, ExportManifest, verified_model

# The smallest norm `torch.nn.functional.normalize` divides by (sentence-transformers' Normalize).
NORM_EPSILON = 1e-12

log = logging.getLogger("ingest")

Feed = dict[str, np.ndarray]
Consume = Callable[[int, np.ndarray], None]  # (batch index, token embeddings of that batch)


class BatchRunner(Protocol):
    """Runs the transformer on padded batches and hands each batch's token embeddings on."""

    def run(self, feeds: Sequence[Feed], threads: int, consume: Consume) -> None: ...


class OnnxRuntimeRunner:
    """One single-threaded onnxruntime session; a call may run batches in parallel."""

    def __init__(self, model_file: Path) -> None:
        options = onnxruntime.SessionOptions()
        # Parallelism is per call (several batches at once), never inside one run: a session
        # with its own thread pool stalls when the cores are shared with other work.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # Without the arena, the memory of a large batch (an ingest inside the bot) is given
        # back afterwards instead of staying reserved for the life of the process.
        options.enable_cpu_mem_arena = False
        self._session = onnxruntime.InferenceSession(
            str(model_file), options, providers=["CPUExecutionProvider"]
        )
        self.inputs = {item.name for item in self._session.get_inputs()}

    def run(self, feeds: Sequence[Feed], threads: int, consume: Consume) -> None:
        def one(index: int) -> None:
            consume(index, self._session.run(None, feeds[index])[0])

        if threads > 1 and len(feeds) > 1:
            with ThreadPoolExecutor(max_workers=threads) as pool:
                list(pool.map(one, range(len(feeds))))  # onnxruntime releases the GIL
        else:
            for index in range(len(feeds)):
                one(index)


class OnnxEmbedder:
    """The exported model: vectors in batches of similar length, on one `BatchRunner`."""

    def __init__(self, spec: EmbedderSpec, folder: Path) -> None:
        self.spec = spec
        manifest = ExportManifest.read(folder)
        self.dimension = manifest.dimension
        self.variant = manifest.variant
        self._max_length = manifest.max_seq_length
        self._pad_id = manifest.pad_token_id
        self._counter = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._counter.no_truncation()
        self._counter.no_padding()
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(self._max_length)
        self.max_input_tokens = self._max_length - self._counter.num_special_tokens_to_add(False)
        self._model_file = verified_model(folder, manifest)
        runtime = OnnxRuntimeRunner(self._model_file)
        self._inputs = runtime.inputs
        self._runner: BatchRunner = runtime

    @cached_property
    def bf16(self) -> "OnnxEmbedder | None":
        """This model on OpenVINO's bf16 kernels, for an ingest's bulk embedding (made once per
        process); None where the CPU computes no bf16, or where its vectors stray from fp32
        (below FP32_MIN_COSINE on the export's probe texts: they could not share an index with
        fp32 queries)."""
        from ingest.openvino_runner import OpenVinoRunner, bf16_supported

        if self.variant != "fp32" or not bf16_supported():
            return None
        bulk = copy.copy(self)
        bulk._runner = OpenVinoRunner(self._model_file)
        bulk.variant = "bf16"
        # with an ingest's default threads (one per core), so that the model compiled for the
        # check is the one the ingest runs
        threads = os.cpu_count() or 1
        cosine = float((bulk.embed(PROBES, threads=threads) * self.embed(PROBES)).sum(axis=1).min())
        if cosine < FP32_MIN_COSINE:
            log.warning(
                "OpenVINO's bf16 vectors are at cosine %.4f to fp32 (at least %s needed): "
                "ingest embeds with onnxruntime (fp32)",
                cosine,
                FP32_MIN_COSINE,
            )
            return None
        return bulk

    def count_tokens(self, text: str) -> int:
        return len(self._counter.encode(text, add_special_tokens=False).ids)

    def embed(self, texts: Sequence[str], *, threads: int = QUERY_THREADS) -> np.ndarray:
        """Unit vectors, one row per text, in order; batches of similar length."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # sentence-transformers strips each text before tokenizing it
        encodings = self._tokenizer.encode_batch([text.strip() for text in texts])
        batches = length_sorted_batches([len(item.ids) for item in encodings], self.spec.batch_size)
        feeds = [self._feed([encodings[row] for row in rows]) for rows in batches]
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)

        def pool(index: int, tokens: np.ndarray) -> None:
            vectors[batches[index]] = _mean_pooled(tokens, feeds[index]["attention_mask"])

        self._runner.run(feeds, threads, pool)
        return vectors

    def _feed(self, encodings: Sequence[Encoding]) -> Feed:
        """One batch padded to its longest text, as the model's inputs."""
        length = max(len(item.ids) for item in encodings)
        ids = np.full((len(encodings), length), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), length), dtype=np.int64)
        for row, item in enumerate(encodings):
            ids[row, : len(item.ids)] = item.ids
            mask[row, : len(item.ids)] = 1
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        return feed

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text])[0].tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed(texts).tolist()


def _mean_pooled(tokens: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """sentence-transformers' mean pooling under the attention mask, then L2 normalization."""
    weights = mask[..., None].astype(np.float32)
    pooled = (tokens * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.maximum(norms, NORM_EPSILON)).astype(np.float32)
