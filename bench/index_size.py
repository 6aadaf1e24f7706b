"""Index size and bot memory for a larger knowledge base, for the sizing guidance of deploy/.

    .venv/bin/python -m bench.index_size [--copies 11 55] [--no-server] [--no-rss]

knowledge/ is small (a few dozen chunks), so a larger knowledge base is made from it: each
document copied `copies` times, each copy's paragraphs marked with its number (so that every
chunk is distinct text of a realistic length). For each size it measures:

- the ingest (seconds, chunks embedded per second) into the embedded index, and its size on
  disk (Chroma folder, chunks.jsonl, vectors.npy);
- the same ingest into a Chroma server (`chroma run`, started here), and the growth of its data
  folder;
- the resident memory of an `ai-strategy serve` process once ready (models loaded, BM25 and
  passage vectors built) on that index.

Prints a Markdown table; writes bench/results/index_size.json.
"""

import argparse
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from bot.settings import Settings
from bot.slack.server import ThreadedServer
from ingest.pipeline import run_ingest
from slack_emulator import SlackEmulator
from tests.serve_process import ChromaServer, ServeProcess, bot_environment

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
MiB = 1024 * 1024


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def make_corpus(target: Path, copies: int) -> None:
    """`copies` numbered copies of each document of knowledge/ (its README excepted)."""
    target.mkdir(parents=True)
    for source in sorted((REPO / "knowledge").glob("*.md")):
        if source.name == "README.md":
            continue
        text = source.read_text(encoding="utf-8")
        for number in range(1, copies + 1):
            marked = re.sub(r"^(?=[A-Za-z])", f"(Copy {number}) ", text, flags=re.MULTILINE)
            (target / f"{source.stem}-{number:03d}.md").write_text(marked, encoding="utf-8")


def serve_rss(settings: Settings, workdir: Path) -> int:
    """Resident memory of `ai-strategy serve` on this index once /readyz says ready."""
    slack = SlackEmulator(serve=ThreadedServer)
    slack.start()
    env = bot_environment(
        slack,
        data_dir=settings.data_dir,
        knowledge_dir=settings.knowledge_dir,
        AI_STRATEGY_DATABASE_URL=f"sqlite:///{workdir / 'state.sqlite3'}",
    )
    bot = ServeProcess(env, workdir=workdir).start()
    try:
        bot.wait_ready(timeout=600)
        return bot.rss_bytes()
    finally:
        bot.stop()
        slack.stop()


def measure(copies: int, folder: Path, *, server: bool, rss: bool) -> dict[str, float]:
    knowledge = folder / "knowledge"
    make_corpus(knowledge, copies)
    settings = Settings(knowledge_dir=knowledge, data_dir=folder / "data", _env_file=None)
    summary = run_ingest(settings)
    version = settings.index_dir / "versions" / summary.version
    row = {
        "copies": copies,
        "documents": summary.added,
        "chunks": summary.chunks,
        "ingest_seconds": round(summary.seconds, 1),
        "embedded_per_second": round(summary.embedded / summary.seconds, 1),
        "embedded_bytes": folder_bytes(version),
        "embedded_chroma_bytes": folder_bytes(version / "chroma"),
        "chunks_jsonl_bytes": (version / "chunks.jsonl").stat().st_size,
        "vectors_bytes": (version / "vectors.npy").stat().st_size,
    }
    if server:
        chroma = ChromaServer(folder / "chroma-server")
        chroma.start()
        try:
            empty = folder_bytes(chroma.path)
            remote = settings.model_copy(
                update={
                    "chroma_host": "127.0.0.1",
                    "chroma_port": chroma.port,
                    "data_dir": folder / "data-remote",
                }
            )
            started = time.perf_counter()
            run_ingest(remote)
            row["server_ingest_seconds"] = round(time.perf_counter() - started, 1)
        finally:
            chroma.stop()
        row["server_bytes"] = folder_bytes(chroma.path) - empty
    if rss:
        row["serve_rss_bytes"] = serve_rss(settings, folder / "serve")
    return row


def table(rows: list[dict[str, float]]) -> str:
    lines = [
        (
            "| chunks | ingest | embedded index on disk | per 1,000 chunks | Chroma server data "
            "| per 1,000 chunks | bot RSS when ready |"
        ),
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        per = 1000 / row["chunks"]
        server = row.get("server_bytes")
        rss = row.get("serve_rss_bytes")
        lines.append(
            f"| {row['chunks']} | {row['ingest_seconds']:.0f} s "
            f"({row['embedded_per_second']:.0f} chunks/s) | "
            f"{row['embedded_bytes'] / MiB:.1f} MiB | {row['embedded_bytes'] * per / MiB:.1f} MiB | "
            + (
                f"{server / MiB:.1f} MiB | {server * per / MiB:.1f} MiB | "
                if server
                else "- | - | "
            )
            + (f"{rss / MiB:.0f} MiB |" if rss else "- |")
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, nargs="+", default=[11, 55])
    parser.add_argument("--no-server", action="store_true", help="skip the Chroma server")
    parser.add_argument("--no-rss", action="store_true", help="skip the bot's memory")
    options = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    rows = []
    for copies in options.copies:
        folder = Path(tempfile.mkdtemp(prefix="ai-strategy-size-"))
        try:
            rows.append(
                measure(copies, folder, server=not options.no_server, rss=not options.no_rss)
            )
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        print(json.dumps(rows[-1]), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "index_size.json").write_text(
        json.dumps({"cpus": os.cpu_count(), "rows": rows}, indent=2)
    )
    print(table(rows))


if __name__ == "__main__":
    main()
