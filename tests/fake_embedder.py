"""A deterministic embedder with the interface of ingest.embedding's, for the fast tier.

Words (lowercased letters and digits) are hashed into the model's 384 dimensions and a text's
vector is its normalized word counts: texts that share words are near, others nearly
orthogonal. Tests of chunking, scoring, composing, rendering and intake see lexical similarity
and stable vectors, never the model's semantics; what depends on those (answer quality, the
decline threshold) is an integration test on the real model. Tokens are words and punctuation
marks, about what the model's WordPiece tokenizer counts for English prose.
"""

import hashlib
import re
from collections.abc import Sequence

import numpy as np

DIMENSION = 384
MAX_INPUT_TOKENS = 254  # all-MiniLM-L6-v2 reads 256 tokens, two of them special
TOKEN = re.compile(r"\w+|[^\w\s]")
WORD = re.compile(r"[a-z0-9]+")


def _bucket(word: str) -> tuple[int, float]:
    digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
    value = int.from_bytes(digest, "big")
    return value % DIMENSION, 1.0 if value >> 63 else -1.0


class FakeEmbedder:
    """Hashed bag-of-words vectors, unit length, float32; the same text gives the same vector."""

    dimension = DIMENSION
    max_input_tokens = MAX_INPUT_TOKENS

    def __init__(self, spec: object = None) -> None:
        self.spec = spec
        # what the real model of this spec would record in an index's manifest
        self.variant = "int8" if getattr(spec, "quantized", False) else "fp32"

    def embed(self, texts: Sequence[str], *, threads: int = 1) -> np.ndarray:
        vectors = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in WORD.findall(text.lower()):
                column, sign = _bucket(word)
                vectors[row, column] += sign
            norm = np.linalg.norm(vectors[row])
            if norm:
                vectors[row] /= norm
            else:  # no word at all: one fixed direction, still a unit vector
                vectors[row, 0] = 1.0
        return vectors

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text])[0].tolist()

    def count_tokens(self, text: str) -> int:
        return len(TOKEN.findall(text))
