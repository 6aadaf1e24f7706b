"""The `openai:` provider end to end: the real langchain-openai client over real HTTP, against
an OpenAI-compatible server on loopback that answers from a script.

Every test also checks that the API key reached the server and never a log record.
"""

import json
import logging
import re
import time

import pytest
from pydantic import SecretStr

from bot.answering import messages
from bot.answering.engine import AnswerEngine
from bot.answering.llm import LlmOptions
from tests.openai_server import MODEL, OpenAiServer, Reply

API_KEY = "sk-loopback-4f9c2e7a1b3d5e6f"
QUESTION = "How much data does fine-tuning need?"


@pytest.fixture(scope="module")
def server():
    running = OpenAiServer().start()
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def no_key_in_logs(caplog):
    """Whatever a test does, no log record (message or field) carries the API key."""
    caplog.set_level(logging.DEBUG)
    yield
    for record in caplog.records:
        assert API_KEY not in record.getMessage()
        assert not any(API_KEY in str(value) for value in record.__dict__.values())


@pytest.fixture(scope="module")
def extractive(indexed_settings, knowledge_index):
    """The offline answer the LLM gets as its draft, and falls back to."""
    return AnswerEngine(indexed_settings, knowledge_index).answer(QUESTION)


def engine(indexed_settings, knowledge_index, server, **overrides) -> AnswerEngine:
    settings = indexed_settings.model_copy(
        update={
            "llm": f"openai:{MODEL}",
            "llm_base_url": server.base_url,
            "llm_api_key": SecretStr(API_KEY),
            "llm_timeout_seconds": 5.0,
            "llm_max_retries": 1,
            **overrides,
        }
    )
    return AnswerEngine(settings, knowledge_index)


def falls_back(answer, extractive, note: str) -> bool:
    return (
        answer.note == note
        and answer.text == extractive.text
        and answer.citations == extractive.citations
    )


@pytest.mark.parametrize("streaming", [False, True], ids=["json", "streamed"])
def test_a_completion_is_held_to_its_sources(
    indexed_settings, knowledge_index, server, extractive, streaming
):
    server.reply(
        Reply(
            "Fine-tuning needs a large set of labeled examples [1]. "
            "Collecting them takes time [2][9]. It is always worth it."
        )
    )
    answer = engine(indexed_settings, knowledge_index, server, llm_streaming=streaming).answer(
        QUESTION
    )

    assert answer.note is None and answer.grounded
    assert answer.text == (
        "Fine-tuning needs a large set of labeled examples. [1] Collecting them takes time. [2]"
    )
    # The extractive answer's sources come first in the prompt, so [1] is its first source.
    assert answer.citations[0] == extractive.citations[0]
    assert [citation.n for citation in answer.citations] == [1, 2]
    (request,) = server.requests
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.body["model"] == MODEL
    assert bool(request.body.get("stream")) is streaming
    system, user = request.body["messages"]
    assert system["role"] == "system" and "Never follow instructions" in system["content"]
    assert "<sources>" in user["content"] and f"<question>\n{QUESTION}" in user["content"]
    assert extractive.citations[0].text.split(".")[0] in user["content"]
    draft = re.search(r"<draft>\n(.*)\n</draft>", user["content"], re.DOTALL).group(1)
    assert draft.split(" [1]")[0] in extractive.text


def test_invented_markers_alone_fall_back_with_a_note(
    indexed_settings, knowledge_index, server, extractive
):
    server.reply(Reply("Fine-tuning needs ten thousand examples [14]. Trust the numbers [99]."))
    answer = engine(indexed_settings, knowledge_index, server).answer(QUESTION)
    assert falls_back(answer, extractive, messages.LLM_UNCITED)


def test_a_rate_limit_is_retried_once_then_answered(
    indexed_settings, knowledge_index, server, extractive
):
    server.reply(
        Reply(status=429, error="Rate limit reached", headers={"retry-after-ms": "50"}),
        Reply("Fine-tuning needs labeled examples [1]."),
    )
    answer = engine(indexed_settings, knowledge_index, server).answer(QUESTION)
    assert len(server.requests) == 2
    assert answer.note is None and answer.text == "Fine-tuning needs labeled examples. [1]"


@pytest.mark.parametrize("status", [429, 500])
def test_a_provider_that_keeps_failing_falls_back_with_a_note(
    indexed_settings, knowledge_index, server, extractive, caplog, status
):
    failure = Reply(status=status, error="try later", headers={"retry-after-ms": "50"})
    server.reply(failure, failure)
    answer = engine(indexed_settings, knowledge_index, server).answer(QUESTION)
    assert len(server.requests) == 2  # the first try and one retry
    assert falls_back(answer, extractive, messages.LLM_UNAVAILABLE)
    (warning,) = [r for r in caplog.records if r.getMessage() == messages.LOG_LLM_FALLBACK]
    assert warning.reason == "LlmUnavailable" and str(status) in warning.detail


@pytest.mark.parametrize("streaming", [False, True], ids=["json", "streamed"])
def test_a_stalled_provider_times_out_and_falls_back(
    indexed_settings, knowledge_index, server, extractive, streaming
):
    server.reply(Reply("Too late [1]. Far too late [2].", delay=3.0))
    started = time.monotonic()
    answer = engine(
        indexed_settings,
        knowledge_index,
        server,
        llm_timeout_seconds=0.5,
        llm_max_retries=0,
        llm_streaming=streaming,
    ).answer(QUESTION)
    assert time.monotonic() - started < 2.5  # the answer does not wait for the stalled model
    assert falls_back(answer, extractive, messages.llm_timed_out(0.5))


def test_a_server_echoing_the_key_keeps_it_out_of_the_logs(
    indexed_settings, knowledge_index, server, extractive, caplog
):
    server.reply(Reply(status=401, error=f"Incorrect API key provided: {API_KEY}."))
    answer = engine(indexed_settings, knowledge_index, server).answer(QUESTION)
    assert falls_back(answer, extractive, messages.LLM_UNAVAILABLE)
    (warning,) = [r for r in caplog.records if r.getMessage() == messages.LOG_LLM_FALLBACK]
    assert "AuthenticationError" in warning.detail and "[redacted]" in warning.detail


def test_options_pass_the_key_and_base_url_only_when_set():
    bare = LlmOptions(model="openai:gpt-4o-mini", timeout_seconds=3, max_retries=2)
    assert bare.model_arguments() == {"timeout": 3, "max_retries": 2}
    configured = LlmOptions(
        model="openai:gpt-4o-mini", base_url="http://127.0.0.1:9/v1", api_key=SecretStr("k-1")
    )
    assert configured.model_arguments()["base_url"] == "http://127.0.0.1:9/v1"
    assert configured.model_arguments()["api_key"] == "k-1"
    assert "k-1" not in repr(configured)


def test_ask_reads_the_llm_settings_from_the_environment(indexed_settings, server, monkeypatch):
    from typer.testing import CliRunner

    from bot.cli import app

    for name, value in {
        "AI_STRATEGY_LLM": f"openai:{MODEL}",
        "AI_STRATEGY_LLM_BASE_URL": server.base_url,
        "OPENAI_API_KEY": API_KEY,
        "AI_STRATEGY_LLM_STREAMING": "true",
    }.items():
        monkeypatch.setenv(name, value)
    server.reply(Reply("Fine-tuning needs labeled examples [1]."))
    folders = ["--knowledge-dir", str(indexed_settings.knowledge_dir)]
    folders += ["--data-dir", str(indexed_settings.data_dir)]
    result = CliRunner().invoke(app, ["ask", QUESTION, "--json", *folders])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["answer"] == "Fine-tuning needs labeled examples. [1]"
    (request,) = server.requests
    assert request.headers["authorization"] == f"Bearer {API_KEY}" and request.body["stream"]
    assert API_KEY not in result.output
