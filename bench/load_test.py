"""Load test: a burst of concurrent signed @mentions against one bot process, on loopback.

    .venv/bin/python -m bench.load_test [--mentions 200] [--rounds 2] [--database-url URL]

One `ai-strategy serve` process (HTTP mode, real engines over an index of knowledge/) answers
the Slack emulator, which runs in this process. Each round, a pool of threads (one per mention)
sends every mention at once, as Slack delivers them: the `message` event and the
`app_mention` event of each, signed. Then it waits (bounded by `--timeout`) until every mention
is answered, and checks, for every one:

- both deliveries acknowledged with 200 within Slack's 3 seconds;
- exactly one answer in its thread (one message carrying the feedback buttons), no apology;

and for the bot: no error in its metrics, resident memory flat from the first round to the last
(sampled every 50 ms while it works). A warm-up burst first loads models and fills pools.

Prints the figures (throughput, p50/p95 mention → answer, ack times, peak RSS) as a Markdown
table and writes bench/results/load_test.json (load_test_postgresql.json with a database URL). The generator is
tests/load_generator.py, shared with the slow test that checks it for correctness.
"""

import argparse
import json
import os
import tempfile
from pathlib import Path

from tests.load_generator import LoadResult, MiB, run_load

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"


def table(result: LoadResult) -> str:
    lines = [
        (
            "| round | mentions | all answered in | throughput | p50 / p95 mention → answer "
            "| ack p99 / max | peak RSS | RSS before → after |"
        ),
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for number, burst_ in enumerate(result.rounds, 1):
        f = burst_.figures()
        lines.append(
            f"| {number} | {f['mentions']} | {f['seconds']:.1f} s | "
            f"{f['throughput_per_s']:.1f} answers/s | "
            f"{f['answer_p50_ms'] / 1000:.2f} s / {f['answer_p95_ms'] / 1000:.2f} s | "
            f"{f['ack_p99_ms']:.0f} ms / {f['ack_max_ms']:.0f} ms | {f['rss_peak_mib']:.0f} MiB | "
            f"{f['rss_before_mib']:.0f} → {f['rss_after_mib']:.0f} MiB |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mentions", type=int, default=200, help="mentions per burst")
    parser.add_argument("--rounds", type=int, default=2, help="measured bursts")
    parser.add_argument("--warm-up", type=int, default=50, help="mentions of the warm-up burst")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per burst, at most")
    parser.add_argument("--database-url", help="e.g. a PostgreSQL URL; default SQLite")
    options = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from bot.settings import Settings
    from ingest.pipeline import run_ingest

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            knowledge_dir=REPO / "knowledge", data_dir=Path(folder) / "data", _env_file=None
        )
        run_ingest(settings)
        result = run_load(
            data_dir=settings.data_dir,
            knowledge_dir=settings.knowledge_dir,
            workdir=Path(folder) / "work",
            mentions=options.mentions,
            rounds=options.rounds,
            warm_up=options.warm_up,
            timeout=options.timeout,
            database_url=options.database_url,
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    report = {
        "cpus": os.cpu_count(),
        "database": "postgresql" if options.database_url else "sqlite",
        "rounds": [burst_.figures() for burst_ in result.rounds],
        "rss_start_mib": round(result.rss_start / MiB, 1),
        "errors_in_metrics": result.errors_in_metrics,
        "duplicates_skipped": result.duplicates_skipped,
        "problems": result.problems(),
    }
    name = "load_test_postgresql.json" if options.database_url else "load_test.json"
    (RESULTS / name).write_text(json.dumps(report, indent=2))
    print(table(result))
    print(f"problems: {result.problems() or 'none'}")


if __name__ == "__main__":
    main()
