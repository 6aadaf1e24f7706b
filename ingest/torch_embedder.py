"""The embedding model on sentence-transformers (torch): the reference backend."""

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ingest.embedding import QUERY_THREADS, EmbedderSpec, ModelNotFoundError, length_sorted_batches

# torch's thread count is process-wide: a call sets it for itself and restores it, and calls
# take turns so that one call's setting never leaks into another's.
_TORCH_CALL = threading.Lock()


class TorchEmbedder:
    """sentence-transformers on the CPU, normalized vectors for cosine."""

    def __init__(self, spec: EmbedderSpec, model_path: Path) -> None:
        import transformers
        from sentence_transformers import SentenceTransformer

        # Loading bars and the "sequence longer than the model reads" note (we count tokens of
        # long texts on purpose, to split them) are noise on the command line.
        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()
        self.spec = spec
        self.variant = "fp32"
        try:
            self._model = SentenceTransformer(str(model_path), device="cpu")
        except OSError as error:
            raise ModelNotFoundError(
                f"cannot load embedding model from {model_path} ({error})"
            ) from error
        self._tokenizer = self._model.tokenizer
        dimension = self._model.get_embedding_dimension()
        if dimension is None:
            raise ModelNotFoundError(f"{model_path} is not a sentence embedding model")
        self.dimension = dimension
        self.max_input_tokens = (
            self._model.max_seq_length - self._tokenizer.num_special_tokens_to_add(pair=False)
        )

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=False))

    def embed(self, texts: Sequence[str], *, threads: int = QUERY_THREADS) -> np.ndarray:
        """Unit vectors, one row per text, in order; batches of similar length."""
        import torch

        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        lengths = [len(text) for text in texts]  # sentence-transformers sorts by characters too
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        with _TORCH_CALL:
            previous = torch.get_num_threads()
            torch.set_num_threads(threads)
            try:
                for rows in length_sorted_batches(lengths, self.spec.batch_size):
                    vectors[rows] = self._model.encode(
                        [texts[row] for row in rows],
                        batch_size=self.spec.batch_size,
                        normalize_embeddings=True,
                        convert_to_numpy=True,
                        show_progress_bar=False,
                    )
            finally:
                torch.set_num_threads(previous)
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text])[0].tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed(texts).tolist()
