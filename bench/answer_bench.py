"""`ask` benchmark: warm answer latency in process over the dev questions, beside the plain
LangChain recipe (`Chroma.similarity_search` top-4, answer = first sentences) on the same index.

    .venv/bin/python -m bench.answer_bench [--questions FILE] [--repeats 5]
"""

import argparse
import json
import re
import statistics
import tempfile
import time
from pathlib import Path

from bot.answering.engine import AnswerEngine
from bot.settings import Settings
from ingest.index import KnowledgeIndex
from ingest.pipeline import run_ingest
from ingest.store import VersionStore, chroma_client

REPO = Path(__file__).resolve().parents[1]
DEV_QUESTIONS = REPO.parent / "shared" / "eval" / "dev_questions.jsonl"
RESULTS = REPO / "bench" / "results"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def timings(answer, questions: list[str], repeats: int) -> list[float]:
    for question in questions:  # warm: model, caches, index version
        answer(question)
    durations = []
    for _ in range(repeats):
        for question in questions:
            started = time.perf_counter()
            answer(question)
            durations.append((time.perf_counter() - started) * 1000)
    return durations


def langchain_recipe(settings: Settings, index: KnowledgeIndex):
    """The plain recipe over the same Chroma collection the engine reads."""
    from langchain_chroma import Chroma

    store = VersionStore(settings.index_dir)
    folder = store.version_path(store.current_name()) / "chroma"
    vectorstore = Chroma(
        client=chroma_client(folder),
        collection_name="chunks",
        embedding_function=index.embedder,
    )

    def answer(question: str) -> str:
        documents = vectorstore.similarity_search(question, k=4)
        sentences = re.split(r"(?<=[.!?])\s+", " ".join(d.page_content for d in documents))
        return " ".join(sentences[:3])

    return answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=DEV_QUESTIONS)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    questions = [json.loads(line)["question"] for line in args.questions.read_text().splitlines() if line.strip()]
    with tempfile.TemporaryDirectory(prefix="answer-bench-") as data_dir:
        settings = Settings(knowledge_dir=REPO / "knowledge", data_dir=Path(data_dir), _env_file=None)
        run_ingest(settings)
        index = KnowledgeIndex(settings)
        engine = AnswerEngine(settings, index)
        engine.warm_up()
        ours = timings(engine.answer, questions, args.repeats)
        baseline = timings(langchain_recipe(settings, index), questions, args.repeats)
        index.close()
    rows = {
        "ai-strategy `ask` (hybrid retrieval + extractive composer)": ours,
        "LangChain recipe (similarity_search top-4 + first sentences)": baseline,
    }
    print(f"{len(questions)} questions x {args.repeats} runs, warm, in process\n")
    print("| answer path | p50 ms | p95 ms |\n|---|---:|---:|")
    for name, values in rows.items():
        print(f"| {name} | {statistics.median(values):.1f} | {percentile(values, 0.95):.1f} |")
    ratio = statistics.median(ours) / statistics.median(baseline)
    print(f"\nmedian ratio, ask / recipe: {ratio:.2f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "answer.json").write_text(json.dumps({name: sorted(v) for name, v in rows.items()}))


if __name__ == "__main__":
    main()
