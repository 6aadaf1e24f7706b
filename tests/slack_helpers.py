"""The Slack end-to-end harness: the real Bolt app over real HTTP, against the Slack emulator.

`SlackHarness` is the product's `LocalSlack` (emulator + bot served by uvicorn on an ephemeral
port, connected) with helpers for tests: a test acts as people in Slack do
(`harness.slack.user_says(...)`) and reads what the bot did from the emulator's call log.
"""

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client import generate_latest

from bot.answering.models import Answer, Citation, Turn
from bot.settings import Settings
from bot.slack.app import LISTENER_THREADS
from bot.slack.engines import Engines
from bot.slack.local import LocalSlack
from bot.slack.server import ThreadedServer
from slack_emulator import DEFAULT_SCOPES, RecordedCall, SlackEmulator
from tests.serve_process import parse_metrics

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-test-bot-token"
ADMIN = "U0ADMIN"
ALICE = "U0ALICE"
BOB = "U0BOB"
GENERAL = "C0GENERAL"
RANDOM = "C0RANDOM"
# Questions the knowledge base answers, for tests and benchmarks that ask many.
QUESTIONS = (
    "How much labeled data does fine-tuning need?",
    "When is prompt engineering enough?",
    "What does fine-tuning cost compared with prompting?",
    "How long does fine-tuning take?",
    "Is fine-tuning more accurate than prompt engineering?",
    "What expertise does fine-tuning require?",
    "How flexible is prompt engineering when requirements change?",
    "Can I combine prompt engineering and fine-tuning?",
)


def harness_settings(base: Settings, *, data_dir: Path) -> Settings:
    """`base` with an admin and its own database (the Slack settings come from the emulator)."""
    return base.model_copy(
        update={"admin_users": [ADMIN], "database_url": f"sqlite:///{data_dir / 'state.sqlite3'}"}
    )


class SlackHarness(LocalSlack):
    """The bot and the emulator on loopback, with what tests ask of them."""

    def settle(self, seconds: float = 0.3) -> None:
        """Let acked deliveries reach their listeners, then wait for the work they started."""
        time.sleep(seconds)
        assert self.bot.work.wait_idle(30), "background work did not finish"

    def finish_requests(self, timeout: float = 30) -> None:
        """Wait for the listeners of the requests answered so far (Bolt answers once a listener
        acknowledges; the listener may still run), then for the work they started.

        LISTENER_THREADS tasks meeting at one barrier can all be running on Bolt's pool of that
        many threads only once every task queued before them has ended."""
        gate = threading.Barrier(LISTENER_THREADS + 1)
        for _ in range(LISTENER_THREADS):
            self.bot.listeners.submit(gate.wait, timeout)
        gate.wait(timeout)
        assert self.bot.work.wait_idle(timeout), "background work did not finish"

    def posts(
        self, channel: str | None = None, *, thread_ts: str | None = None
    ) -> list[RecordedCall]:
        """The bot's successful chat.postMessage calls (optionally in one channel or thread)."""

        def matches(call: RecordedCall) -> bool:
            return (
                call.ok
                and (channel is None or call.response["channel"] == channel)
                and (thread_ts is None or call.args.get("thread_ts") == thread_ts)
            )

        return self.slack.calls("chat.postMessage", where=matches)


def start_harness(
    base: Settings,
    engines: Engines,
    *,
    data_dir: Path,
    scopes: Iterable[str] = DEFAULT_SCOPES,
    **settings: object,
) -> SlackHarness:
    """Start the emulator (its token holding `scopes`), then the bot over HTTP pointed at it
    (`settings` changed as given), and connect the two."""
    data_dir.mkdir(parents=True, exist_ok=True)
    emulator = SlackEmulator(
        serve=ThreadedServer, signing_secret=SIGNING_SECRET, bot_token=BOT_TOKEN, scopes=scopes
    )
    emulator.start()
    bot_settings = harness_settings(base, data_dir=data_dir).model_copy(update=settings)
    return SlackHarness.start(bot_settings, engines=engines, emulator=emulator)


def start_fake_engine_harness(
    folder: Path, answer: Callable[[str, Sequence[Turn]], Answer] | None = None
) -> SlackHarness:
    """The bot with its answer engine faked at the boundary (`answer`; by default a cited
    answer to any question) and no index: end to end in the fast tier."""
    base = Settings(knowledge_dir=folder / "knowledge", data_dir=folder / "data", _env_file=None)
    engines = Engines(
        answer=answer or (lambda question, history=(): cited_answer(question)),
        recommend=None,
        reindex=None,
    )
    return start_harness(base, engines, data_dir=folder / "data")


def cited_answer(question: str, text: str | None = None, *, citations: int = 2) -> Answer:
    """A grounded answer with numbered citations, for engines faked at the boundary."""
    return Answer(
        question=question,
        text=text
        or "Fine-tuning needs **hundreds of labeled examples** [1]. Prompting needs none [2].",
        citations=[
            Citation(
                n=n,
                doc=f"doc-{n}",
                title=f"Document {n}",
                section="Data",
                url=f"https://example.com/{n}" if n % 2 else None,
                text="A passage.",
            )
            for n in range(1, citations + 1)
        ],
        grounded=True,
    )


@dataclass
class RecordingAnswerer:
    """Wraps an answer function and records what it was asked (question and history)."""

    answer: Callable[[str, Sequence[Turn]], Answer]
    asked: list[tuple[str, list[Turn]]] = field(default_factory=list)

    def __call__(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        self.asked.append((question, list(history)))
        return self.answer(question, history)


@dataclass
class HeldAnswerer:
    """Wraps an answer function and holds each answer until `release` is set (`started` says
    one is being prepared): for what happens while an answer is on its way."""

    answer: Callable[[str, Sequence[Turn]], Answer]
    started: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def __call__(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        self.started.set()
        self.release.wait(30)
        return self.answer(question, history)


def block_texts(blocks: list[dict]) -> str:
    """Every text in a message's blocks, one per line (for assertions on what people see)."""
    lines = []
    for block in blocks:
        for item in [block.get("text"), *block.get("elements", []), *block.get("fields", [])]:
            if isinstance(item, dict):
                text = item.get("text")
                lines.append(text["text"] if isinstance(text, dict) else text or "")
    return "\n".join(line for line in lines if line)


def errors_total(harness: "SlackHarness") -> float:
    """The errors the bot counted in its metrics, of every kind."""
    samples = parse_metrics(generate_latest(harness.bot.metrics.registry).decode())
    return sum(value for (name, _), value in samples.items() if name == "ai_strategy_errors_total")
