"""Slack latency benchmark: how fast the bot acknowledges Slack, and how fast it answers.

    .venv/bin/python -m bench.slack_latency [--repeats 3] [--acks 200] [--answers 20]

The real bot (Bolt app, Starlette, uvicorn, HTTP mode) answers over loopback with the real
engines over an index of knowledge/, against the Slack emulator, which sends requests signed as
Slack does and records the bot's Web API calls. Measured, each run:

- signed request → ack, client side (what Slack's 3-second limit applies to): events the bot
  only acknowledges (channel chatter), slash commands (`/ai-strategy help`, acked by the
  listener), and mentions sent 10 a second while the bot is busy answering them;
- mention → answer posted: from sending the signed `app_mention` to the `chat.postMessage` of
  the answer reaching the Web API, one question at a time.

Prints a Markdown table of the median over the runs (the README keeps the latest) and writes
bench/results/slack_latency.json.
"""

import argparse
import json
import math
import os
import statistics
import tempfile
import time
from pathlib import Path

from bot.settings import Settings
from bot.slack.engines import Engines
from bot.slack.local import LocalSlack
from ingest.pipeline import run_ingest
from tests.slack_helpers import QUESTIONS

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
USER, CHANNEL = "U0ALICE", "C0GENERAL"


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (`share` in 0..1)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def summary(values: list[float], high: float) -> dict[str, float]:
    """p50 and one high percentile, in milliseconds."""
    return {
        "p50": percentile(values, 0.5) * 1000,
        f"p{round(high * 100)}": percentile(values, high) * 1000,
    }


def ack_times_of_events(local: LocalSlack, count: int) -> list[float]:
    times = []
    for number in range(count):
        said = local.slack.user_says(USER, CHANNEL, f"chatter {number}, no mention")
        times += [delivery.seconds for delivery in said.deliveries]
    return times


def ack_times_of_commands(local: LocalSlack, count: int) -> list[float]:
    return [local.slack.run_command(USER, CHANNEL, "help").seconds for _ in range(count)]


def ack_times_while_answering(local: LocalSlack, count: int, rate: float = 10.0) -> list[float]:
    """Mentions at `rate` per second; the acks of their `app_mention` deliveries."""
    times = []
    for number in range(count):
        started = time.perf_counter()
        said = local.slack.user_says(
            USER, CHANNEL, f"@ai-strategy {QUESTIONS[number % len(QUESTIONS)]}"
        )
        times += [
            d.seconds
            for d in said.deliveries
            if json.loads(d.body)["event"]["type"] == "app_mention"
        ]
        time.sleep(max(0.0, 1 / rate - (time.perf_counter() - started)))
    local.bot.work.wait_idle(600)
    return times


def answer_times(local: LocalSlack, count: int) -> list[float]:
    """Sequential mentions: seconds from sending each to its answer reaching the Web API."""
    times = []
    for number in range(count):
        started = time.monotonic()
        said = local.slack.user_says(
            USER, CHANNEL, f"@ai-strategy {QUESTIONS[number % len(QUESTIONS)]}"
        )
        posted = local.slack.calls.wait(
            "chat.postMessage",
            where=lambda call, thread=said.ts: call.ok and call.args.get("thread_ts") == thread,
            timeout=120,
        )
        times.append(posted[0].at - started)
    local.bot.work.wait_idle(60)
    return times


def run(local: LocalSlack, *, acks: int, answers: int) -> dict[str, dict[str, float]]:
    return {
        "event_ack": summary(ack_times_of_events(local, acks), 0.99),
        "command_ack": summary(ack_times_of_commands(local, acks), 0.99),
        "mention_ack_while_answering": summary(
            ack_times_while_answering(local, max(answers, 20)), 0.99
        ),
        "mention_to_answer": summary(answer_times(local, answers), 0.95),
    }


def median_of(runs: list[dict[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
    return {
        measure: {
            stat: statistics.median(r[measure][stat] for r in runs) for stat in runs[0][measure]
        }
        for measure in runs[0]
    }


def table(result: dict[str, dict[str, float]], repeats: int) -> str:
    labels = {
        "event_ack": "signed event → ack (event the bot only acknowledges)",
        "command_ack": "signed slash command → ack (`/ai-strategy help`)",
        "mention_ack_while_answering": "signed mention → ack, 10 mentions/s while answering",
        "mention_to_answer": "mention → answer posted (one at a time)",
    }
    lines = [
        f"| measure (median of {repeats} runs) | p50 | p95 / p99 |",
        "|---|---:|---:|",
    ]
    for measure, stats in result.items():
        high = next(key for key in stats if key != "p50")
        lines.append(
            f"| {labels[measure]} | {stats['p50']:.1f} ms | {stats[high]:.1f} ms ({high}) |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--acks", type=int, default=200, help="requests per ack measure and run")
    parser.add_argument(
        "--answers", type=int, default=20, help="questions per answer measure and run"
    )
    options = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(knowledge_dir=REPO / "knowledge", data_dir=Path(folder), _env_file=None)
        run_ingest(settings)
        settings = settings.model_copy(
            update={"database_url": f"sqlite:///{Path(folder) / 'state.sqlite3'}"}
        )
        local = LocalSlack.start(settings, engines=Engines.from_settings(settings))
        try:
            answer_times(local, 1)  # load the models before measuring
            runs = [
                run(local, acks=options.acks, answers=options.answers)
                for _ in range(options.repeats)
            ]
        finally:
            local.close()

    result = median_of(runs)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "slack_latency.json").write_text(
        json.dumps({"median": result, "runs": runs, "cpus": os.cpu_count()}, indent=2)
    )
    print(table(result, options.repeats))


if __name__ == "__main__":
    main()
