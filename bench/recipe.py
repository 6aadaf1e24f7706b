"""The plain LangChain recipe every speed figure is compared with, run on the same machine.

RecursiveCharacterTextSplitter → HuggingFaceEmbeddings (the same MiniLM, on torch) →
`Chroma.from_documents` → `similarity_search` top-4, the answer being its first sentences.

    .venv/bin/python -m bench.recipe ingest KNOWLEDGE_DIR INDEX_DIR   # a whole process
"""

import re
import sys
from pathlib import Path

from ingest.embedding import resolve_model_path
from ingest.settings import DEFAULT_EMBEDDING_MODEL

COLLECTION = "recipe"


def embeddings():
    """LangChain's HuggingFaceEmbeddings over the bundled model, as the recipe uses it."""
    from langchain_huggingface import HuggingFaceEmbeddings

    return HuggingFaceEmbeddings(
        model_name=str(resolve_model_path(DEFAULT_EMBEDDING_MODEL)),
        encode_kwargs={"normalize_embeddings": True},
    )


def ingest(knowledge: Path, folder: Path, model=None) -> int:
    """Load, split by characters, `Chroma.from_documents`; returns the number of chunks."""
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    documents = [
        Document(page_content=path.read_text(encoding="utf-8"), metadata={"doc": path.stem})
        for path in sorted(knowledge.glob("*.md"))
        if path.name != "README.md"
    ]
    chunks = RecursiveCharacterTextSplitter(chunk_size=800, chunk_overlap=80).split_documents(
        documents
    )
    Chroma.from_documents(
        chunks, model or embeddings(), collection_name=COLLECTION, persist_directory=str(folder)
    )
    return len(chunks)


def answerer(folder: Path, model=None):
    """A function answering a question the recipe's way, over an index built by `ingest`."""
    from langchain_chroma import Chroma

    store = Chroma(
        collection_name=COLLECTION,
        embedding_function=model or embeddings(),
        persist_directory=str(folder),
    )

    def answer(question: str) -> str:
        found = store.similarity_search(question, k=4)
        sentences = re.split(r"(?<=[.!?])\s+", " ".join(item.page_content for item in found))
        return " ".join(sentences[:3])

    return answer


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "ingest":
        sys.exit(__doc__)
    print(ingest(Path(sys.argv[2]), Path(sys.argv[3])))
