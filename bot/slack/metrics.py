"""The Prometheus metrics of one bot: its own registry, so several bots in one process (as in
tests) count apart; served as text at `GET /metrics` (`bot.slack.ops`)."""

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.exposition import choose_encoder

# Answer latency buckets, in seconds: extractive answers take tens of milliseconds when idle,
# queueing behind a burst or an LLM takes seconds.
ANSWER_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120)
ERROR_KINDS = ("answer", "recommendation", "reindex", "listener", "background", "slack_api")
ANSWER_SURFACES = ("conversation", "assistant", "command")
INGEST_OUTCOMES = ("ok", "failed", "busy")


class Metrics:
    """The bot's Prometheus metrics, in a registry of its own (plus process and GC metrics)."""

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)
        self.answers = Counter(
            "ai_strategy_answers",
            "Cited answers delivered, by where the question was asked.",
            ["surface"],
            registry=registry,
        )
        self.declines = Counter(
            "ai_strategy_declines",
            "Questions politely declined (nothing in the knowledge base supports an answer).",
            ["surface"],
            registry=registry,
        )
        self.answer_seconds = Histogram(
            "ai_strategy_answer_seconds",
            "From a question taken (after the ack) to its answer or decline delivered.",
            ["surface"],
            buckets=ANSWER_BUCKETS,
            registry=registry,
        )
        self.feedback_votes = Counter(
            "ai_strategy_feedback_votes",
            "Feedback clicks stored, by vote.",
            ["vote"],
            registry=registry,
        )
        self.errors = Counter(
            "ai_strategy_errors",
            "Errors, by kind (each also logged once, with an error id).",
            ["kind"],
            registry=registry,
        )
        self.ingest_runs = Counter(
            "ai_strategy_ingest_runs",
            "Re-ingests run by `/ai-strategy reindex`, by outcome.",
            ["outcome"],
            registry=registry,
        )
        self.events_deduplicated = Counter(
            "ai_strategy_events_deduplicated",
            "Deliveries not answered because the question was already claimed (a Slack retry, "
            "or another replica).",
            registry=registry,
        )
        self.recommendations = Counter(
            "ai_strategy_recommendations",
            "Assessment recommendations delivered by direct message.",
            registry=registry,
        )
        self.work_in_flight = Gauge(
            "ai_strategy_work_in_flight",
            "Answers, recommendations and re-ingests taken and not finished.",
            registry=registry,
        )
        self.ready = Gauge(
            "ai_strategy_ready",
            "1 when the last /readyz answered ready, else 0.",
            registry=registry,
        )
        for surface in ANSWER_SURFACES:
            self.answers.labels(surface)
            self.declines.labels(surface)
            self.answer_seconds.labels(surface)
        for vote in ("up", "down"):
            self.feedback_votes.labels(vote)
        for kind in ERROR_KINDS:
            self.errors.labels(kind)
        for outcome in INGEST_OUTCOMES:
            self.ingest_runs.labels(outcome)

    def delivered(self, surface: str, *, grounded: bool, seconds: float) -> None:
        """An answer (or a decline) reached the person who asked."""
        (self.answers if grounded else self.declines).labels(surface).inc()
        self.answer_seconds.labels(surface).observe(seconds)

    def error(self, kind: str) -> None:
        self.errors.labels(kind).inc()

    def exposition(self, accept: str | None) -> tuple[bytes, str]:
        """The metrics in the format the scraper asked for (Prometheus text by default)."""
        encoder, content_type = choose_encoder(accept or "")
        return encoder(self.registry), content_type
