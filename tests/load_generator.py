"""The load generator: bursts of concurrent signed @mentions against one `ai-strategy serve`.

`run_load` is what `python -m bench.load_test` measures (bench/load_test.py prints and saves its
figures) and what tests/test_load.py checks for correctness only, never speed.
"""

import math
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from bot.slack.blocks import FEEDBACK_BLOCK
from bot.slack.server import EVENTS_PATH, ThreadedServer
from slack_emulator import SlackEmulator
from slack_emulator.requests import (
    JSON,
    SignedSender,
    app_mention_event,
    event_body,
    message_event,
    rich_text,
)
from tests.serve_process import ServeProcess, bot_environment, metric
from tests.slack_helpers import QUESTIONS

USERS = ("U0ALICE", "U0BOB", "U0ADMIN")
CHANNEL = "C0GENERAL"
ACK_LIMIT_SECONDS = 3.0
MiB = 1024 * 1024


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (`share` in 0..1)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)] if ordered else float("nan")


@dataclass
class Round:
    """One burst: what was sent, how it was acknowledged and answered."""

    mentions: int
    seconds: float  # first mention sent → last answer posted
    ack_seconds: list[float] = field(repr=False)
    answer_seconds: list[float] = field(repr=False)
    refused_acks: int  # deliveries not answered 200
    slow_acks: int  # deliveries acked with 200 in 3 s or more
    unanswered: int
    answered_twice: int
    apologies: int
    rss_before: int
    rss_after: int
    rss_peak: int

    @property
    def throughput(self) -> float:
        return self.mentions / self.seconds if self.seconds else 0.0

    def figures(self) -> dict[str, float]:
        return {
            "mentions": self.mentions,
            "seconds": round(self.seconds, 2),
            "throughput_per_s": round(self.throughput, 1),
            "ack_p50_ms": round(percentile(self.ack_seconds, 0.5) * 1000, 1),
            "ack_p99_ms": round(percentile(self.ack_seconds, 0.99) * 1000, 1),
            "ack_max_ms": round(max(self.ack_seconds, default=0) * 1000, 1),
            "answer_p50_ms": round(percentile(self.answer_seconds, 0.5) * 1000, 1),
            "answer_p95_ms": round(percentile(self.answer_seconds, 0.95) * 1000, 1),
            "answer_max_ms": round(max(self.answer_seconds, default=0) * 1000, 1),
            "rss_before_mib": round(self.rss_before / MiB, 1),
            "rss_after_mib": round(self.rss_after / MiB, 1),
            "rss_peak_mib": round(self.rss_peak / MiB, 1),
        }


@dataclass
class LoadResult:
    rounds: list[Round]
    errors_in_metrics: float
    duplicates_skipped: float
    rss_start: int  # after the warm-up, before the first measured round

    @property
    def last(self) -> Round:
        return self.rounds[-1]

    def problems(self, *, timing: bool = True) -> list[str]:
        """Everything that was not right; empty when every mention was served correctly.
        Without `timing`, acks past Slack's 3 s are left out (a speed figure, not a fault)."""
        found = []
        names = ("refused_acks", "unanswered", "answered_twice", "apologies")
        for number, burst in enumerate(self.rounds, 1):
            for name in (*names, "slow_acks") if timing else names:
                if getattr(burst, name):
                    found.append(f"round {number}: {getattr(burst, name)} {name}")
        if self.errors_in_metrics:
            found.append(f"ai_strategy_errors_total = {self.errors_in_metrics:g}")
        return found


class RssSampler:
    """The peak resident memory of a process while a block runs."""

    def __init__(self, bot: ServeProcess, every: float = 0.05) -> None:
        self.bot, self.every, self.peak = bot, every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.bot.rss_bytes())
            self._stop.wait(self.every)

    def __enter__(self) -> Self:
        self.peak = self.bot.rss_bytes()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.bot.rss_bytes())


class Mentioner:
    """Posts @mentions in the emulated workspace and delivers their events as Slack does,
    from many threads at once (each thread with its own connection)."""

    def __init__(self, slack: SlackEmulator, events_url: str) -> None:
        self.slack = slack
        self.events_url = events_url
        self._local = threading.local()
        self._senders: list[SignedSender] = []
        self._lock = threading.Lock()

    def _sender(self) -> SignedSender:
        sender = getattr(self._local, "sender", None)
        if sender is None:
            sender = self._local.sender = SignedSender(self.events_url, self.slack.signing_secret)
            with self._lock:
                self._senders.append(sender)
        return sender

    def mention(self, number: int) -> tuple[str, float, list]:
        """One question; (its ts, when it was sent, its deliveries)."""
        ws = self.slack.workspace
        question = QUESTIONS[number % len(QUESTIONS)]
        with ws.lock:
            channel = ws.resolve_channel(CHANNEL)
            text = f"<@{ws.bot_user_id}> {question}"
            message = ws.add_message(channel, user=USERS[number % len(USERS)], text=text)
            message["client_msg_id"] = str(uuid.uuid4())
            message["blocks"] = rich_text(text)
            events = [
                message_event(message, channel.id, channel.kind),
                app_mention_event(message, channel.id),
            ]
        sent = time.monotonic()
        sender = self._sender()
        deliveries = [sender.send("event", event_body(ws, event), JSON) for event in events]
        return message["ts"], sent, deliveries

    def close(self) -> None:
        for sender in self._senders:
            sender.close()


def answer_posts(slack: SlackEmulator) -> dict[str, list]:
    """Successful posts per thread: the answers (with feedback buttons) and the rest."""
    threads: dict[str, list] = {}
    for call in slack.calls("chat.postMessage", where=lambda c: c.ok):
        threads.setdefault(call.args.get("thread_ts"), []).append(call)
    return threads


def has_feedback_buttons(call) -> bool:
    return any(block.get("block_id") == FEEDBACK_BLOCK for block in call.args.get("blocks") or [])


def burst(
    slack: SlackEmulator, mentioner: Mentioner, bot: ServeProcess, *, count: int, timeout: float
) -> Round:
    """Send `count` mentions at once; wait until all are answered or `timeout` passes."""
    rss_before = bot.rss_bytes()
    offset = len(slack.workspace.channels[CHANNEL].messages)
    with RssSampler(bot) as sampler:
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=count, thread_name_prefix="mention") as pool:
            sent = list(pool.map(lambda n: mentioner.mention(offset + n), range(count)))
        asked = {ts for ts, _, _ in sent}

        def answered() -> bool:
            threads = answer_posts(slack)
            return all(any(map(has_feedback_buttons, threads.get(ts, ()))) for ts in asked)

        try:
            slack.calls.wait_until(answered, timeout=max(1.0, started + timeout - time.monotonic()))
        except TimeoutError:
            pass
        time.sleep(0.5)  # room for a second answer to show up, if there were one
    threads = answer_posts(slack)
    answer_seconds, answered_at, unanswered, twice, apologies = [], [], 0, 0, 0
    for ts, sent_at, _ in sent:
        posts = threads.get(ts, [])
        answers = [post for post in posts if has_feedback_buttons(post)]
        apologies += sum(
            "Sorry, something went wrong" in post.args.get("text", "") for post in posts
        )
        if not answers:
            unanswered += 1
            continue
        twice += len(answers) > 1
        answered_at.append(answers[0].at)
        answer_seconds.append(answers[0].at - sent_at)
    deliveries = [delivery for _, _, sent_deliveries in sent for delivery in sent_deliveries]
    return Round(
        mentions=count,
        seconds=max(answered_at, default=time.monotonic()) - started,
        ack_seconds=[delivery.seconds for delivery in deliveries],
        answer_seconds=answer_seconds,
        refused_acks=sum(d.status != 200 for d in deliveries),
        slow_acks=sum(d.status == 200 and d.seconds >= ACK_LIMIT_SECONDS for d in deliveries),
        unanswered=unanswered,
        answered_twice=twice,
        apologies=apologies,
        rss_before=rss_before,
        rss_after=bot.rss_bytes(),
        rss_peak=sampler.peak,
    )


def run_load(
    *,
    data_dir: Path,
    knowledge_dir: Path,
    workdir: Path,
    mentions: int = 200,
    rounds: int = 2,
    warm_up: int = 50,
    timeout: float = 60.0,
    database_url: str | None = None,
) -> LoadResult:
    """Start the emulator and one bot process; a warm-up burst, then `rounds` measured bursts."""
    slack = SlackEmulator(serve=ThreadedServer)
    slack.start()
    env = bot_environment(
        slack,
        data_dir=data_dir,
        knowledge_dir=knowledge_dir,
        AI_STRATEGY_DATABASE_URL=database_url or f"sqlite:///{workdir / 'state.sqlite3'}",
        AI_STRATEGY_LOG_FORMAT="json",
    )
    bot = ServeProcess(env, workdir=workdir).start()
    mentioner = Mentioner(slack, bot.url + EVENTS_PATH)
    try:
        bot.wait_ready()
        slack.connect(bot.url + EVENTS_PATH)  # where Slack sends the bot's own posts back
        if warm_up:
            burst(slack, mentioner, bot, count=warm_up, timeout=timeout)
        rss_start = bot.rss_bytes()
        measured = [
            burst(slack, mentioner, bot, count=mentions, timeout=timeout) for _ in range(rounds)
        ]
        samples = bot.metrics()
        errors = sum(
            value for (name, _), value in samples.items() if name == "ai_strategy_errors_total"
        )
        return LoadResult(
            rounds=measured,
            errors_in_metrics=errors,
            duplicates_skipped=metric(samples, "ai_strategy_events_deduplicated_total"),
            rss_start=rss_start,
        )
    finally:
        mentioner.close()
        code = bot.stop()
        slack.stop()
        if code != 0:
            raise RuntimeError(f"the bot exited with {code}:\n{bot.output()[-4000:]}")
