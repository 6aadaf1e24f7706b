"""Speed against the plain LangChain recipe (bench/recipe.py), every figure from the same run.

    .venv/bin/python -m bench.speed [--repeats 3] [--documents 200] [--mentions 100]

Rows (medians of `--repeats` runs; a ratio is ours / the recipe's of the same run), each with
the goal of issue 14 and whether it holds:

- full ingest of knowledge/, in process (model loaded);
- the same as whole processes (imports, model load and our quality gate included);
- full ingest of `--documents` generated documents (`--large-repeats` runs), then a no-change
  re-run and one edited document;
- warm `ask` p50 / p95 over the dev questions vs the recipe's `similarity_search` answer;
- cold `ai-strategy ask "…"` (process start → answer printed) and its peak memory (max RSS);
- the serving process's peak RSS under a burst of `--mentions` concurrent @mentions.

Prints a Markdown table, writes bench/results/speed.json and speed.md, and puts the table in
README.md between the `bench:speed` markers. The machine may be shared: the load average of
each row is recorded, and the ratios (same run, same load) are what to compare across runs.
"""

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from bench import recipe
from bench.corpus import generate_corpus
from bot.settings import Settings
from ingest.embedding import load_ingest_embedder
from ingest.pipeline import run_ingest

REPO = Path(__file__).resolve().parents[1]
KNOWLEDGE = REPO / "knowledge"
DEV_QUESTIONS = REPO.parent / "shared" / "eval" / "dev_questions.jsonl"
RESULTS = REPO / "bench" / "results"
README = REPO / "README.md"
MARKERS = ("<!-- bench:speed -->", "<!-- /bench:speed -->")
MiB = 1024 * 1024
# The exported model is kept between runs (exporting takes a minute); every process here uses it.
MODELS = Path(os.environ.setdefault("AI_STRATEGY_MODEL_DIR", str(REPO / ".data" / "models")))
QUESTION = "Should we fine-tune or use prompt engineering for a support bot?"
# Issue 14's figure for a full ingest of 200 generated documents before this work; the goal is
# half of it. (The other goals are ratios to the recipe or absolute limits.)
BEFORE_200_DOCUMENTS_SECONDS = 40.1


@dataclass
class Row:
    measure: str
    unit: str
    ours: float
    recipe: float | None = None
    goal: str = ""
    holds: bool | None = None  # None: no goal for this row
    load: float = 0.0  # 1-minute load average when the row was measured

    @property
    def ratio(self) -> float | None:
        return self.ours / self.recipe if self.recipe else None


def seconds_of(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def medians(runs: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median seconds of each run; the runs take turns, so that all meet the same load."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            times[name].append(seconds_of(run))
    return {name: statistics.median(values) for name, values in times.items()}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


# A launcher as small as Python gets starts the measured process: a child's peak RSS counts the
# memory of whatever it was forked from, and this benchmark's own process holds two models.
LAUNCHER = """
import os, sys, time
started = time.perf_counter()
child = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ)
_, status, usage = os.wait4(child, 0)
print(time.perf_counter() - started, usage.ru_maxrss * 1024, os.waitstatus_to_exitcode(status),
      file=sys.stderr)
"""


def process(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and peak resident memory (bytes) of one whole process."""
    done = subprocess.run(
        [sys.executable, "-S", "-c", LAUNCHER, *command], env=env, capture_output=True,
        text=True, check=False,
    )  # fmt: skip
    figures = (done.stderr.splitlines() or [""])[-1]
    seconds, peak, code = figures.split() if figures.count(" ") == 2 else ("0", "0", "-1")
    if done.returncode != 0 or code != "0" or not done.stdout.strip():
        raise RuntimeError(f"{command} failed:\n{done.stderr[-2000:]}")
    return float(seconds), int(peak)


def settings_for(data_dir: Path, knowledge: Path = KNOWLEDGE, **changes) -> Settings:
    return Settings(
        knowledge_dir=knowledge, data_dir=data_dir, model_dir=MODELS, _env_file=None, **changes
    )


def load() -> float:
    return os.getloadavg()[0]


class Bench:
    def __init__(self, work: Path, repeats: int) -> None:
        self.work, self.repeats = work, repeats
        self.rows: list[Row] = []
        self.env = {**os.environ, "HF_HUB_OFFLINE": "1"}
        self.cli = str(Path(sys.executable).with_name("ai-strategy"))
        self.model = recipe.embeddings()
        self._folders = iter(range(10_000))

    def add(self, row: Row) -> Row:
        row.load = load()
        self.rows.append(row)
        print(f"  {row.measure}: {row.ours:.3g} {row.unit}", file=sys.stderr, flush=True)
        return row

    def recipe_folder(self) -> Path:
        return self.work / f"recipe-{next(self._folders)}"

    def ingest_knowledge(self) -> Settings:
        ours = settings_for(self.work / "ours")
        load_ingest_embedder(ours)  # model load is not ingest work
        done = medians(
            {
                "ours": lambda: run_ingest(ours, rebuild=True),
                "recipe": lambda: recipe.ingest(KNOWLEDGE, self.recipe_folder(), self.model),
            },
            self.repeats,
        )
        holds = done["ours"] <= done["recipe"]
        self.add(Row("full ingest of knowledge/ (5 documents), in process", "s", done["ours"],
                     done["recipe"], "≤ the recipe's", holds))  # fmt: skip

        whole = {
            "ours": [self.cli, "ingest", "--rebuild", "--data-dir", str(ours.data_dir)],
            "recipe": [sys.executable, "-m", "bench.recipe", "ingest", str(KNOWLEDGE)],
        }
        times: dict[str, list[float]] = {name: [] for name in whole}
        for _ in range(self.repeats):
            times["ours"].append(process(whole["ours"], self.env)[0])
            times["recipe"].append(process([*whole["recipe"], str(self.recipe_folder())],
                                           self.env)[0])  # fmt: skip
        self.add(Row("full ingest of knowledge/, whole processes (imports, model load; ours "
                     "with its quality gate)", "s", statistics.median(times["ours"]),
                     statistics.median(times["recipe"])))  # fmt: skip
        return ours

    def ingest_generated(self, documents: int, repeats: int) -> None:
        corpus = self.work / "generated"
        generate_corpus(KNOWLEDGE, corpus, documents)
        ours = settings_for(self.work / "generated-index", corpus)
        done = medians(
            {
                "ours": lambda: run_ingest(ours, rebuild=True),
                "recipe": lambda: recipe.ingest(corpus, self.recipe_folder(), self.model),
            },
            repeats,
        )
        half = BEFORE_200_DOCUMENTS_SECONDS / 2
        goal = f"≤ {half:.1f} s (half of the {BEFORE_200_DOCUMENTS_SECONDS} s before)"
        self.add(Row(f"full ingest, {documents} generated documents", "s", done["ours"],
                     done["recipe"], goal, done["ours"] <= half))  # fmt: skip
        rerun = medians({"ours": lambda: run_ingest(ours)}, max(self.repeats, 5))["ours"]
        self.add(Row(f"{documents} documents: no-change re-run", "s", rerun))
        edited = corpus / "doc-0000.md"

        def edit() -> None:
            edited.write_text(f"# Edited\n\nPrompt templates, revision {time.time_ns()}.\n")
            run_ingest(ours)

        self.add(Row(f"{documents} documents: one document edited", "s",
                     medians({"ours": edit}, self.repeats)["ours"]))  # fmt: skip

    def warm_ask(self, settings: Settings) -> None:
        from bot.answering.engine import AnswerEngine

        questions = [
            json.loads(line)["question"]
            for line in DEV_QUESTIONS.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        engine = AnswerEngine(settings)
        engine.warm_up()
        folder = self.recipe_folder()
        recipe.ingest(KNOWLEDGE, folder, self.model)
        paths = {"ours": engine.answer, "recipe": recipe.answerer(folder, self.model)}
        for answer in paths.values():
            for question in questions:
                answer(question)  # warm: caches, index version
        timings: dict[str, list[float]] = {name: [] for name in paths}
        for _ in range(self.repeats):  # interleaved, so that both meet the same load
            for name, answer in paths.items():
                for question in questions:
                    started = time.perf_counter()
                    answer(question)
                    timings[name].append((time.perf_counter() - started) * 1000)
        engine.index.close()
        ours, baseline = (percentile(timings[n], 0.5) for n in ("ours", "recipe"))
        self.add(
            Row(
                f"warm `ask` p50 ({len(questions)} dev questions × {self.repeats})",
                "ms",
                ours,
                recipe=baseline,
                goal="≤ the recipe's",
                holds=ours <= baseline,
            )
        )
        ours, baseline = (percentile(timings[n], 0.95) for n in ("ours", "recipe"))
        self.add(Row("warm `ask` p95", "ms", ours, recipe=baseline))

    def cold_ask(self, settings: Settings) -> None:
        command = [self.cli, "ask", QUESTION, "--data-dir", str(settings.data_dir)]
        runs = [process(command, self.env) for _ in range(max(self.repeats, 5))]
        seconds = statistics.median(seconds for seconds, _ in runs)
        peak = statistics.median(rss for _, rss in runs) / MiB
        self.add(Row('cold `ai-strategy ask "…"` (process start → answer printed)', "s",
                     seconds, goal="≤ 2 s", holds=seconds <= 2))  # fmt: skip
        self.add(Row("peak memory (max RSS) of that cold ask", "MiB", peak,
                     goal="≤ 300 MiB", holds=peak <= 300))  # fmt: skip

    def serving(self, settings: Settings, mentions: int) -> None:
        from tests.load_generator import run_load

        result = run_load(
            data_dir=settings.data_dir, knowledge_dir=KNOWLEDGE, workdir=self.work / "load",
            mentions=mentions, rounds=1, warm_up=20, timeout=180,
        )  # fmt: skip
        if result.problems():
            raise RuntimeError(f"the load test was not served right: {result.problems()}")
        peak = result.last.rss_peak / MiB
        self.add(Row(f"serving RSS, peak under {mentions} concurrent @mentions", "MiB", peak,
                     goal="≤ 400 MiB", holds=peak <= 400))  # fmt: skip


def cell(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    digits = {"s": 2, "ms": 1, "MiB": 0}[unit]
    return f"{value:.{digits}f} {unit}"


def render(rows: list[Row], conditions: str) -> str:
    lines = [
        "| measure | ai-strategy | LangChain recipe | ours / recipe | goal | holds |",
        "|---|---:|---:|---:|---|:---:|",
    ]
    for row in rows:
        ratio = "—" if row.ratio is None else f"×{row.ratio:.2f}"
        holds = {None: "", True: "yes", False: "**no**"}[row.holds]
        lines.append(
            f"| {row.measure} | {cell(row.ours, row.unit)} | {cell(row.recipe, row.unit)} | "
            f"{ratio} | {row.goal} | {holds} |"
        )
    return "\n".join(lines) + f"\n\n{conditions}"


def write_readme(table: str) -> None:
    text = README.read_text(encoding="utf-8")
    start, end = MARKERS
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"README.md has no {start} … {end} section to put the table in")
    README.write_text(pattern.sub(lambda _: f"{start}\n{table}\n{end}", text), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument(
        "--large-repeats", type=int, default=2, help="runs of the generated documents' ingest"
    )
    parser.add_argument("--mentions", type=int, default=100, help="0 skips the load test")
    parser.add_argument("--no-readme", action="store_true", help="do not rewrite README.md")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="speed-bench-"))
    started, load_before = time.monotonic(), load()
    try:
        bench = Bench(work, args.repeats)
        ours = bench.ingest_knowledge()
        bench.ingest_generated(args.documents, args.large_repeats)
        bench.warm_ask(ours)
        bench.cold_ask(ours)
        if args.mentions:
            bench.serving(ours, args.mentions)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    loads = [load_before] + [row.load for row in bench.rows]
    conditions = (
        f"Measured by `make bench` (`python -m bench.speed`: medians of {args.repeats} runs, "
        f"{args.large_repeats} of the generated documents' ingest; {args.mentions} mentions) on "
        f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}), "
        f"{time.strftime('%Y-%m-%d', time.gmtime())}, in {time.monotonic() - started:.0f} s; "
        f"1-minute load average {min(loads):.1f}–{max(loads):.1f} while it ran "
        "(its own processes included)."
    )
    table = render(bench.rows, conditions)
    print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    rows = [asdict(row) | {"ratio": row.ratio} for row in bench.rows]
    report = {"rows": rows, "conditions": conditions}
    (RESULTS / "speed.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    (RESULTS / "speed.md").write_text(table + "\n", encoding="utf-8")
    if not args.no_readme:
        write_readme(table)


if __name__ == "__main__":
    main()
