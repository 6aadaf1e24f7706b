"""Ingest benchmark: throughput on the seeds and on 1,000 generated documents, and the no-change
re-run over those 1,000, beside the plain LangChain recipe run in the same process.

    .venv/bin/python -m bench.ingest_bench [--documents 1000] [--repeats 3]

Prints a Markdown table (the README keeps the latest) and writes bench/results/ingest.json.
"""

import argparse
import json
import random
import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from ingest.embedding import load_embedder, resolve_model_path
from ingest.pipeline import run_ingest
from ingest.settings import IndexSettings

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"


def generate_corpus(folder: Path, count: int, seed: int = 7) -> None:
    """Documents made of the knowledge base's own sentences, shuffled under new headings."""
    text = " ".join(
        path.read_text(encoding="utf-8") for path in (REPO / "knowledge").glob("*.md") if path.name != "README.md"
    )
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", re.sub(r"[#|*>-]", " ", text)) if 40 < len(s) < 300]
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        sections = []
        for section in range(rng.randint(2, 4)):
            paragraphs = [" ".join(rng.sample(sentences, rng.randint(2, 4))) for _ in range(rng.randint(1, 3))]
            sections.append(f"## Part {section + 1}\n\n" + "\n\n".join(paragraphs))
        (folder / f"doc-{number:04d}.md").write_text(
            f"---\ntitle: Generated note {number}\n---\n# Generated note {number}\n\n" + "\n\n".join(sections),
            encoding="utf-8",
        )


def timed_ingest(settings: IndexSettings, **options) -> tuple[float, int]:
    started = time.perf_counter()
    summary = run_ingest(settings, **options)
    return time.perf_counter() - started, summary.embedded


def langchain_recipe(knowledge: Path, folder: Path) -> tuple[float, int]:
    """The plain recipe: load, split by characters, `Chroma.from_documents`."""
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    started = time.perf_counter()
    documents = [
        Document(page_content=path.read_text(encoding="utf-8"), metadata={"doc": path.stem})
        for path in sorted(knowledge.glob("*.md"))
        if path.name != "README.md"
    ]
    chunks = RecursiveCharacterTextSplitter(chunk_size=800, chunk_overlap=80).split_documents(documents)
    from langchain_huggingface import HuggingFaceEmbeddings

    embeddings = HuggingFaceEmbeddings(model_name=str(resolve_model_path(IndexSettings().embedding_model)))
    Chroma.from_documents(chunks, embeddings, persist_directory=str(folder))
    return time.perf_counter() - started, len(chunks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    load_embedder(IndexSettings())  # model load is not ingest work
    work = Path(tempfile.mkdtemp(prefix="ingest-bench-"))
    rows = {}
    try:
        seeds = IndexSettings(knowledge_dir=REPO / "knowledge", data_dir=work / "seeds", _env_file=None)
        runs = [timed_ingest(seeds, rebuild=True) for _ in range(args.repeats)]
        seconds = statistics.median(run[0] for run in runs)
        rows["seeds: full ingest"] = (seconds, runs[0][1] / seconds)
        baseline = [langchain_recipe(REPO / "knowledge", work / f"recipe-{i}") for i in range(args.repeats)]
        base_seconds = statistics.median(run[0] for run in baseline)
        rows["seeds: LangChain recipe (baseline)"] = (base_seconds, baseline[0][1] / base_seconds)

        corpus = work / "corpus"
        generate_corpus(corpus, args.documents)
        large = IndexSettings(knowledge_dir=corpus, data_dir=work / "large", _env_file=None)
        seconds, embedded = timed_ingest(large)
        rows[f"{args.documents} documents: full ingest"] = (seconds, embedded / seconds)
        reruns = [timed_ingest(large)[0] for _ in range(max(args.repeats, 5))]
        rows[f"{args.documents} documents: no-change re-run"] = (statistics.median(reruns), None)
        (corpus / "doc-0000.md").write_text("# Edited\n\nOne edited document about prompt templates.\n")
        seconds, embedded = timed_ingest(large)
        rows[f"{args.documents} documents: one document edited"] = (seconds, None)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print("| ingest run | median seconds | chunks/s |\n|---|---:|---:|")
    for name, (seconds, rate) in rows.items():
        print(f"| {name} | {seconds:.3f} | {'' if rate is None else f'{rate:.1f}'} |")
    ratio = rows["seeds: full ingest"][1] / rows["seeds: LangChain recipe (baseline)"][1]
    print(f"\nthroughput ratio, ingest / LangChain recipe: {ratio:.2f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "ingest.json").write_text(json.dumps({"rows": rows, "ratio": ratio}, indent=2))


if __name__ == "__main__":
    main()
