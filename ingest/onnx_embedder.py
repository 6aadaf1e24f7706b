"""The embedding model exported to ONNX, run with onnxruntime and `tokenizers`, without torch.

What sentence-transformers does for this model (its `modules.json`: Transformer → mean
Pooling → Normalize) is done here in NumPy on the transformer's token embeddings: the mean of
the token vectors under the attention mask, then division by the L2 norm.
"""

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import onnxruntime
from tokenizers import Tokenizer

from ingest.embedding import QUERY_THREADS, EmbedderSpec, length_sorted_batches
from ingest.onnx_export import ExportManifest, verified_model

# The smallest norm `torch.nn.functional.normalize` divides by (sentence-transformers' Normalize).
NORM_EPSILON = 1e-12


class OnnxEmbedder:
    """Embed with one single-threaded onnxruntime session; a call may run batches in parallel."""

    def __init__(self, spec: EmbedderSpec, folder: Path) -> None:
        self.spec = spec
        manifest = ExportManifest.read(folder)
        self.dimension = manifest.dimension
        self._max_length = manifest.max_seq_length
        self._pad_id = manifest.pad_token_id
        self._counter = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._counter.no_truncation()
        self._counter.no_padding()
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(self._max_length)
        self.max_input_tokens = self._max_length - self._counter.num_special_tokens_to_add(False)
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
            str(verified_model(folder, manifest)), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {item.name for item in self._session.get_inputs()}

    def count_tokens(self, text: str) -> int:
        return len(self._counter.encode(text, add_special_tokens=False).ids)

    def embed(self, texts: Sequence[str], *, threads: int = QUERY_THREADS) -> np.ndarray:
        """Unit vectors, one row per text, in order; batches of similar length."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # sentence-transformers strips each text before tokenizing it
        encodings = self._tokenizer.encode_batch([text.strip() for text in texts])
        batches = length_sorted_batches([len(item.ids) for item in encodings], self.spec.batch_size)
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)

        def run(rows: np.ndarray) -> None:
            vectors[rows] = self._embed_batch([encodings[row] for row in rows])

        if threads > 1 and len(batches) > 1:
            with ThreadPoolExecutor(max_workers=threads) as pool:
                list(pool.map(run, batches))  # onnxruntime releases the GIL while it runs
        else:
            for rows in batches:
                run(rows)
        return vectors

    def _embed_batch(self, encodings) -> np.ndarray:
        length = max(len(item.ids) for item in encodings)
        ids = np.full((len(encodings), length), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), length), dtype=np.int64)
        for row, item in enumerate(encodings):
            ids[row, : len(item.ids)] = item.ids
            mask[row, : len(item.ids)] = 1
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        tokens = self._session.run(None, feed)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (tokens * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, NORM_EPSILON)).astype(np.float32)

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text])[0].tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed(texts).tolist()
