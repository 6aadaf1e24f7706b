"""Operating the bot: /readyz, /metrics, graceful stop, JSON logs, and the index going away.

The bot runs as deployed: in-process behind uvicorn on loopback (`LocalSlack`) where a test
needs to reach inside, or as a real `ai-strategy serve` process where signals, logs and the
process itself are what is tested. Slack is the emulator; Chroma is a real `chroma run`.
"""

import json
import logging
import signal
import threading
import time
from dataclasses import replace

import httpx
import pytest

from bot.answering.engine import AnswerEngine
from bot.settings import Settings
from bot.slack import messages, ops
from bot.slack.blocks import FEEDBACK_ACTION
from bot.slack.engines import Engines
from bot.slack.server import EVENTS_PATH, ThreadedServer
from common.logs import REDACTED, configure_logging
from ingest.pipeline import run_ingest
from slack_emulator import SlackEmulator
from tests.conftest import KNOWLEDGE_DIR
from tests.serve_process import ServeProcess, bot_environment, metric, parse_metrics
from tests.slack_helpers import (
    ADMIN,
    ALICE,
    BOB,
    BOT_TOKEN,
    GENERAL,
    SIGNING_SECRET,
    block_texts,
    cited_answer,
    start_harness,
)
from tests.stalling_proxy import StallingProxy
from tests.test_chroma_server import ChromaServer

QUESTION = "How much labeled data does fine-tuning need?"
OUT_OF_SCOPE = "What is the capital of France?"


def fake_engines(**overrides) -> Engines:
    engines = Engines(
        answer=lambda question, history=(): cited_answer(question), recommend=None, reindex=None
    )
    return replace(engines, **overrides)


def get(url: str, **options) -> httpx.Response:
    return httpx.get(url, timeout=options.pop("timeout", 20), **options)


def wait_for_status(url: str, status: int, timeout: float = 30) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        response = get(url)
        if response.status_code == status or time.monotonic() > deadline:
            return response
        time.sleep(0.1)


def event_type(delivery) -> str:
    return json.loads(delivery.body)["event"]["type"]


# -- /readyz and /metrics ------------------------------------------------------------------


def test_readyz_and_metrics_report_what_the_bot_did(indexed_settings, knowledge_index, tmp_path):
    engine = AnswerEngine(indexed_settings, knowledge_index)

    def answer(question, history=()):
        if "explode" in question:
            raise RuntimeError("the engine broke")
        return engine.answer(question, history)

    engines = Engines(
        answer=answer,
        recommend=None,
        reindex=lambda: run_ingest(indexed_settings),
        index=knowledge_index,
    )
    harness = start_harness(indexed_settings, engines, data_dir=tmp_path)
    slack, url = harness.slack, harness.server.url
    try:
        ready = get(url + "/readyz")
        body = ready.json()
        assert ready.status_code == 200 and body["status"] == "ready", body
        assert list(body["checks"]) == ["index", "model", "slack", "database"]
        assert all(check["ok"] for check in body["checks"].values())
        assert body["checks"]["index"]["detail"].startswith(f"version {knowledge_index.version}")
        assert "query ok" in body["checks"]["index"]["detail"]
        assert get(url + "/healthz").json() == {"status": "ok"}

        said = slack.user_says(ALICE, GENERAL, f"@ai-strategy {QUESTION}")
        mention = next(d for d in said.deliveries if event_type(d) == "app_mention")
        post = slack.calls.wait("chat.postMessage", where=lambda c: c.ok)[0]
        assert slack.redeliver(mention, retry_num=1).status == 200  # a retry: not answered
        slack.user_says(BOB, GENERAL, f"@ai-strategy {OUT_OF_SCOPE}")  # declined
        slack.user_says(BOB, GENERAL, "@ai-strategy please explode")  # an apology
        slack.calls.wait("chat.postMessage", count=3, where=lambda c: c.ok)
        answer_id = post.args["blocks"][-1]["elements"][0]["positive_button"]["value"][3:]
        slack.click(BOB, GENERAL, post.response["ts"], FEEDBACK_ACTION, value=f"down:{answer_id}")
        slack.click(ALICE, GENERAL, post.response["ts"], FEEDBACK_ACTION, value=f"up:{answer_id}")
        slack.run_command(ADMIN, GENERAL, "reindex")
        slack.run_command(ALICE, GENERAL, QUESTION)  # answered to the asker only
        slack.calls.wait("response_url", count=4, timeout=120)
        harness.settle()

        response = get(url + "/metrics")
        assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
        samples = parse_metrics(response.text)
    finally:
        harness.close()
    assert metric(samples, "ai_strategy_answers_total", surface="conversation") == 1
    assert metric(samples, "ai_strategy_answers_total", surface="command") == 1
    assert metric(samples, "ai_strategy_declines_total", surface="conversation") == 1
    assert metric(samples, "ai_strategy_answer_seconds_count", surface="conversation") == 2
    assert metric(samples, "ai_strategy_answer_seconds_sum", surface="conversation") > 0
    assert metric(samples, "ai_strategy_feedback_votes_total", vote="up") == 1
    assert metric(samples, "ai_strategy_feedback_votes_total", vote="down") == 1
    assert metric(samples, "ai_strategy_errors_total", kind="answer") == 1
    assert metric(samples, "ai_strategy_errors_total", kind="listener") == 0
    assert metric(samples, "ai_strategy_ingest_runs_total", outcome="ok") == 1
    assert metric(samples, "ai_strategy_events_deduplicated_total") == 1
    assert metric(samples, "ai_strategy_ready") == 1
    assert metric(samples, "process_resident_memory_bytes") > 0


def test_readyz_waits_for_the_model(indexed_settings, tmp_path):
    loaded = threading.Event()
    harness = start_harness(
        indexed_settings, fake_engines(warm_up=lambda: loaded.wait(20)), data_dir=tmp_path
    )
    try:
        loading = get(harness.server.url + "/readyz")
        assert loading.status_code == 503
        assert loading.json()["failed"] == ["model"]
        assert loading.json()["checks"]["model"]["detail"] == "loading"
        loaded.set()
        assert wait_for_status(harness.server.url + "/readyz", 200).status_code == 200
    finally:
        loaded.set()
        harness.close()


def test_readyz_caches_auth_test_and_names_slack_when_it_fails(
    indexed_settings, tmp_path, monkeypatch
):
    monkeypatch.setattr(ops, "SLACK_AUTH_FAILED_TTL_SECONDS", 0.3)
    harness = start_harness(indexed_settings, fake_engines(), data_dir=tmp_path)
    readyz = harness.server.url + "/readyz"
    try:
        harness.slack.fail_next("auth.test", status=500)
        failed = get(readyz)
        assert failed.status_code == 503 and failed.json()["failed"] == ["slack"]
        assert failed.json()["checks"]["slack"]["detail"].startswith("auth.test")
        time.sleep(0.4)
        assert [get(readyz).status_code for _ in range(5)] == [200] * 5
        # The app's own auth.test at start, the failed probe, one probe for the five above.
        assert len(harness.slack.calls("auth.test")) == 3
    finally:
        harness.close()


def test_a_check_that_never_answers_is_reported_in_bounded_time(indexed_settings, tmp_path):
    release = threading.Event()

    class HangingIndex:  # a server that accepts the connection and never answers
        @property
        def version(self) -> str:
            release.wait(30)
            return "v1"

        def embed_query(self, text: str) -> list[float]:
            return [1.0]

        def search_vector(self, vector, k):
            return []

    harness = start_harness(indexed_settings, fake_engines(index=HangingIndex()), data_dir=tmp_path)
    harness.bot.readiness.timeout = 0.5
    readyz = harness.server.url + "/readyz"
    try:
        started = time.monotonic()
        hanging = get(readyz)
        assert time.monotonic() - started < 3
        assert hanging.status_code == 503 and hanging.json()["failed"] == ["index"]
        assert hanging.json()["checks"]["index"]["detail"] == "no answer within 0.5 s"
        assert get(readyz).status_code == 503
        probes = [t for t in threading.enumerate() if t.name == "ai-strategy-readyz-index"]
        assert len(probes) == 1 and probes[0].daemon  # waited on again, not started twice
        release.set()
        assert wait_for_status(readyz, 200).status_code == 200
    finally:
        release.set()
        harness.close()


# -- the Chroma server going away ----------------------------------------------------------


@pytest.mark.slow
def test_chroma_server_going_away_is_an_apology_and_503_then_recovers_with_nothing_lost(
    tmp_path,
):
    chroma = ChromaServer(tmp_path / "chroma-server")
    chroma.start()
    try:
        settings = Settings(
            knowledge_dir=KNOWLEDGE_DIR,
            data_dir=tmp_path / "data",
            chroma_host="127.0.0.1",
            chroma_port=chroma.port,
            _env_file=None,
        )
        first = run_ingest(settings)
        engines = Engines.from_settings(settings)
        harness = start_harness(settings, engines, data_dir=tmp_path / "bot")
        slack, readyz = harness.slack, harness.server.url + "/readyz"
        try:
            ready = wait_for_status(readyz, 200, timeout=120).json()
            assert ready["checks"]["index"]["detail"].startswith(f"version {first.version}")
            said = slack.user_says(ALICE, GENERAL, f"@ai-strategy {QUESTION}")
            answered = slack.calls.wait("chat.postMessage", where=lambda c: c.ok, timeout=60)[0]
            assert "*Sources*" in block_texts(answered.args["blocks"])

            chroma.stop()
            down = get(readyz)
            assert down.status_code == 503 and down.json()["failed"] == ["index"]
            assert down.json()["checks"]["index"]["detail"].startswith("cannot query the index")
            said = slack.user_says(ALICE, GENERAL, f"@ai-strategy {QUESTION}")
            apology = slack.calls.wait(
                "chat.postMessage",
                where=lambda c: c.ok and c.args.get("thread_ts") == said.ts,
                timeout=60,
            )[0]
            assert apology.args["text"].startswith("Sorry, something went wrong")
            assert "error id" in apology.args["text"]

            chroma.start()
            assert wait_for_status(readyz, 200).status_code == 200
            said = slack.user_says(BOB, GENERAL, f"@ai-strategy {QUESTION}")
            again = slack.calls.wait(
                "chat.postMessage",
                where=lambda c: c.ok and c.args.get("thread_ts") == said.ts,
                timeout=60,
            )[0]
            assert "*Sources*" in block_texts(again.args["blocks"])
            samples = parse_metrics(get(harness.server.url + "/metrics").text)
            assert metric(samples, "ai_strategy_errors_total", kind="answer") == 1
            assert metric(samples, "ai_strategy_answers_total", surface="conversation") == 2
        finally:
            harness.close()
            engines.close()
        after = run_ingest(settings)  # nothing lost: the same documents, nothing re-embedded
        assert (after.embedded, after.unchanged, after.chunks) == (0, first.added, first.chunks)
    finally:
        if chroma.process.poll() is None:
            chroma.stop()


@pytest.mark.slow
def test_a_chroma_server_that_stops_answering_is_an_apology_and_503_within_the_timeout(
    tmp_path,
):
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "data.md").write_text(
        "# Training data\n\nFine-tuning needs hundreds to thousands of labeled examples of the"
        " task, while prompt engineering needs none.\n"
    )
    chroma = ChromaServer(tmp_path / "chroma-server")
    chroma.start()
    proxy = StallingProxy(chroma.port)
    try:
        settings = Settings(
            knowledge_dir=knowledge,
            data_dir=tmp_path / "data",
            chroma_host="127.0.0.1",
            chroma_port=proxy.port,
            chroma_timeout_seconds=2,
            _env_file=None,
        )
        run_ingest(settings)
        engines = Engines.from_settings(settings)
        harness = start_harness(settings, engines, data_dir=tmp_path / "bot")
        slack, readyz = harness.slack, harness.server.url + "/readyz"

        def reply_to(user: str) -> tuple[str, float]:
            said = slack.user_says(user, GENERAL, f"@ai-strategy {QUESTION}")
            started = time.monotonic()
            reply = slack.calls.wait(
                "chat.postMessage",
                where=lambda c: c.ok and c.args.get("thread_ts") == said.ts,
                timeout=60,
            )[0]
            return reply.args["text"], time.monotonic() - started

        try:
            assert wait_for_status(readyz, 200, timeout=120).status_code == 200
            assert not reply_to(ALICE)[0].startswith("Sorry")

            proxy.stall()  # connections are still accepted; nothing comes back
            started = time.monotonic()
            silent = get(readyz)
            assert time.monotonic() - started < ops.CHECK_TIMEOUT_SECONDS + 1
            assert silent.status_code == 503 and silent.json()["failed"] == ["index"]
            assert "timed out" in silent.json()["checks"]["index"]["detail"].lower()
            text, seconds = reply_to(BOB)
            assert text.startswith("Sorry, something went wrong") and "error id" in text
            assert seconds < 15, seconds  # the 2 s timeout, not a hang

            proxy.resume()
            assert wait_for_status(readyz, 200).status_code == 200
            assert not reply_to(ALICE)[0].startswith("Sorry")
        finally:
            harness.close()
            engines.close()
    finally:
        proxy.close()
        chroma.stop()


# -- the real process: graceful stop, JSON logs, Socket Mode --------------------------------


@pytest.fixture
def slack():
    emulator = SlackEmulator(
        serve=ThreadedServer, signing_secret=SIGNING_SECRET, bot_token=BOT_TOKEN
    )
    emulator.start()
    yield emulator
    emulator.stop()


def serve_env(settings: Settings, slack: SlackEmulator, **extra: str) -> dict[str, str]:
    return bot_environment(
        slack, data_dir=settings.data_dir, knowledge_dir=settings.knowledge_dir, **extra
    )


@pytest.mark.slow
def test_sigterm_turns_readyz_503_at_once_and_finishes_the_answer_in_flight_with_json_logs(
    slack, indexed_settings, tmp_path
):
    chroma_token = "chroma-token-7f3a9c21"
    secret_question = "What is the fine-tuning plan for Project Nightingale?"
    bot = ServeProcess(
        serve_env(
            indexed_settings,
            slack,
            CHROMA_AUTH_TOKEN=chroma_token,  # set, unused (no CHROMA_HOST): must not be logged
            AI_STRATEGY_DATABASE_URL=f"sqlite:///{tmp_path / 'state.sqlite3'}",
            AI_STRATEGY_LOG_FORMAT="json",
        ),
        workdir=tmp_path,
    ).start()
    try:
        bot.wait_ready()
        slack.connect(bot.url + EVENTS_PATH)
        forged = slack.send_raw("event", b"{}", "application/json", signing_secret="wrong")
        assert forged.status == 401
        # The answer's post is rate limited: it waits 3 s (Retry-After) in flight.
        slack.fail_next("chat.postMessage", status=429, retry_after=3)
        said = slack.user_says(ALICE, GENERAL, f"@ai-strategy {secret_question}")
        slack.calls.wait("chat.postMessage", timeout=60)  # the 429

        bot.process.send_signal(signal.SIGTERM)
        stopping = wait_for_status(bot.url + "/readyz", 503, timeout=2)
        assert stopping.status_code == 503
        assert stopping.json() == {
            "status": "shutting down",
            "failed": ["shutting_down"],
            "checks": {},
        }
        assert get(bot.url + "/healthz").status_code == 200
        refused = slack.user_says(BOB, GENERAL, "@ai-strategy When is prompt engineering enough?")
        assert [d.status for d in refused.deliveries] == [503, 503]  # Slack will retry them
        assert slack.run_command(BOB, GENERAL, "help").message()["text"] == messages.USAGE

        assert bot.process.wait(60) == 0
    finally:
        bot.kill()
    posts = slack.calls("chat.postMessage", where=lambda c: c.ok)
    assert [p.args["thread_ts"] for p in posts] == [said.ts]  # answered, after the SIGTERM

    lines = bot.output().splitlines()
    records = [json.loads(line) for line in lines]  # every line is a JSON object
    assert all({"ts", "level", "logger", "message"} <= set(r) for r in records)
    text = bot.output()
    for secret in (BOT_TOKEN, SIGNING_SECRET, chroma_token):
        assert secret not in text
    assert "Nightingale" not in text and "prompt engineering enough" not in text
    said_messages = [r["message"] for r in records]
    answered = [r for r in records if r["message"].startswith("answered")]
    # Structured fields, for a log collector.
    assert [(r["surface"], r["channel"], type(r["grounded"])) for r in answered] == [
        ("conversation", "C0GENERAL", bool)
    ]
    assert messages.LOG_DRAINING in said_messages
    assert said_messages[-1] == messages.LOG_STOPPED
    assert any("invalid signature" in m for m in said_messages)


@pytest.mark.slow
def test_the_drain_gives_up_after_drain_seconds(slack, indexed_settings, tmp_path):
    bot = ServeProcess(
        serve_env(
            indexed_settings,
            slack,
            AI_STRATEGY_DATABASE_URL=f"sqlite:///{tmp_path / 'state.sqlite3'}",
            AI_STRATEGY_DRAIN_SECONDS="1",
        ),
        workdir=tmp_path,
    ).start()
    try:
        bot.wait_ready()
        slack.connect(bot.url + EVENTS_PATH)
        slack.fail_next("chat.postMessage", status=429, retry_after=20)  # stuck for 20 s
        slack.user_says(ALICE, GENERAL, f"@ai-strategy {QUESTION}")
        slack.calls.wait("chat.postMessage", timeout=60)
        stopped = time.monotonic()
        bot.process.send_signal(signal.SIGTERM)
        assert bot.process.wait(15) == 1  # not 0: an answer was dropped
        assert time.monotonic() - stopped < 10
    finally:
        bot.kill()
    assert "1 answers still in flight after 1 s; stopping anyway" in bot.output()
    assert slack.calls("chat.postMessage", where=lambda c: c.ok) == []


@pytest.mark.slow
def test_socket_mode_serves_readyz_and_metrics_on_the_port(slack, indexed_settings, tmp_path):
    bot = ServeProcess(
        serve_env(
            indexed_settings,
            slack,
            SLACK_APP_TOKEN=slack.app_token,
            AI_STRATEGY_DATABASE_URL=f"sqlite:///{tmp_path / 'state.sqlite3'}",
        ),
        workdir=tmp_path,
    ).start()
    try:
        checks = bot.wait_ready()["checks"]
        assert checks["socket_mode"]["ok"] and checks["socket_mode"]["detail"] == "connected"
        said = slack.user_says(ALICE, GENERAL, f"@ai-strategy {QUESTION}")
        post = slack.calls.wait("chat.postMessage", where=lambda c: c.ok, timeout=60)[0]
        assert post.args["thread_ts"] == said.ts
        # Counted once the answer is posted: the count can trail the post by a moment.
        for _ in range(100):
            samples = bot.metrics()
            if metric(samples, "ai_strategy_answers_total", surface="conversation"):
                break
            time.sleep(0.05)
        assert metric(samples, "ai_strategy_answers_total", surface="conversation") == 1
        assert bot.stop() == 0
    finally:
        bot.kill()
    assert "stopped (answers in flight were finished)" in bot.output()


# -- log lines -----------------------------------------------------------------------------


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.captureWarnings(False)


def test_json_log_lines_carry_no_secret(capsys, restore_logging):
    secret = "signing-secret-0123456789"
    configure_logging(log_format="json", secrets=[secret])
    log = logging.getLogger("bot.test")
    log.warning(
        "tokens xoxb-1-2-abc and xapp-1-A1-xyz, url %s",
        "postgresql+psycopg://bot:hunter22@db:5432/ai_strategy",
    )
    log.info("header Authorization: Bearer abc.def.ghi; secret %s", secret)
    log.info("with an id", extra={"error_id": "ab12cd34", "note": f"has {secret}"})
    try:
        raise RuntimeError(f"failed with xoxb-9-9-zzz and {secret}")
    except RuntimeError:
        log.exception("it failed")
    log.debug("not shown at INFO")

    lines = capsys.readouterr().err.splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["level"] for r in records] == ["WARNING", "INFO", "INFO", "ERROR"]
    text = "\n".join(lines)
    for leaked in (secret, "xoxb-1-2-abc", "xapp-1-A1-xyz", "hunter22", "abc.def.ghi", "xoxb-9"):
        assert leaked not in text
    assert records[0]["message"] == (
        f"tokens {REDACTED} and {REDACTED}, url "
        f"postgresql+psycopg://bot:{REDACTED}@db:5432/ai_strategy"
    )
    assert records[2]["error_id"] == "ab12cd34" and records[2]["logger"] == "bot.test"
    assert "RuntimeError" in records[3]["exception"]


def test_every_setting_of_a_secret_is_redacted(monkeypatch):
    monkeypatch.setenv("AI_STRATEGY_DATABASE_URL", "postgresql+psycopg://u:pw-db-123@h/d")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-abc")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "signing")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-abc")
    monkeypatch.setenv("CHROMA_AUTH_TOKEN", "chroma")
    monkeypatch.setenv("AI_STRATEGY_LLM_API_KEY", "sk-llm-key")
    values = Settings(_env_file=None).secret_values()
    assert sorted(values) == sorted(
        ["xoxb-abc", "signing", "xapp-abc", "chroma", "pw-db-123", "sk-llm-key"]
    )


def test_text_logs_stay_readable(capsys, restore_logging):
    configure_logging(log_format="text", secrets=["s3cret-value"])
    logging.getLogger("bot.test").info("plain line with s3cret-value")
    err = capsys.readouterr().err
    assert "plain line with [redacted]" in err and not err.lstrip().startswith("{")


def test_library_chatter_stays_out_of_a_command_s_output(capsys, restore_logging):
    configure_logging(log_format="text")
    chatty = logging.getLogger("bm25s")
    chatty.setLevel(logging.DEBUG)  # as bm25s does on import, after logging is set up
    chatty.debug("Building index from tokens")
    logging.getLogger("alembic.runtime.plugins").info("setup plugin alembic.autogenerate.types")
    logging.getLogger("bm25s").warning("a warning still shows")
    logging.getLogger("bot.test").info("our own line shows")
    err = capsys.readouterr().err
    assert "Building index" not in err and "setup plugin" not in err
    assert "a warning still shows" in err and "our own line shows" in err
