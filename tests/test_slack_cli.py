"""`ai-strategy serve` in both modes, its clear errors, and the app manifest."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from bot.cli import app
from bot.slack.scopes import BOT_SCOPES
from bot.slack.server import EVENTS_PATH, ThreadedServer, bind_socket
from slack_emulator import DEFAULT_BOT_EVENTS, DEFAULT_SCOPES, SlackEmulator
from tests.slack_helpers import ALICE, BOT_TOKEN, GENERAL, SIGNING_SECRET

REPO = Path(__file__).resolve().parents[1]
AI_STRATEGY = Path(sys.executable).with_name("ai-strategy")


@pytest.fixture
def emulator():
    slack = SlackEmulator(serve=ThreadedServer, bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET)
    slack.start()
    yield slack
    slack.stop()


def test_serve_without_tokens_says_what_is_missing(tmp_path):
    result = CliRunner().invoke(app, ["serve", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "SLACK_BOT_TOKEN" in result.output and "SLACK_SIGNING_SECRET" in result.output
    assert "Traceback" not in result.output


def test_serve_with_a_token_slack_rejects_fails_clearly(emulator, indexed_settings, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-not-the-token")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("SLACK_API_URL", emulator.api_url)
    result = CliRunner().invoke(app, ["serve", "--data-dir", str(indexed_settings.data_dir)])
    assert result.exit_code == 1, result.output
    assert "invalid_auth" in result.output and "xoxb-not-the-token" not in result.output


def test_serve_without_an_index_says_to_ingest(tmp_path, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    result = CliRunner().invoke(app, ["serve", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1 and "ai-strategy ingest" in result.output


def test_the_manifest_asks_for_exactly_what_the_bot_uses():
    manifest = yaml.safe_load((REPO / "deploy" / "manifest.yaml").read_text())
    settings = manifest["settings"]
    assert settings["event_subscriptions"]["bot_events"] == list(DEFAULT_BOT_EVENTS)
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["event_subscriptions"]["request_url"].endswith(EVENTS_PATH)
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/ai-strategy"]
    # The emulator is installed with the manifest's scopes by default, so the end-to-end
    # tests fail on a method the manifest does not allow.
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(DEFAULT_SCOPES)
    # ... and /readyz checks the installed token for the same scopes.
    assert sorted(BOT_SCOPES) == sorted(DEFAULT_SCOPES)
    assert "user" not in manifest["oauth_config"]["scopes"]


def serve_process(settings, tmp_path, **env) -> subprocess.Popen:
    environment = os.environ | {
        "AI_STRATEGY_DATA_DIR": str(settings.data_dir),
        "AI_STRATEGY_KNOWLEDGE_DIR": str(settings.knowledge_dir),
        "AI_STRATEGY_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "HF_HUB_OFFLINE": "1",
        **env,
    }
    return subprocess.Popen(
        [str(AI_STRATEGY), "serve", "--host", "127.0.0.1"],
        env=environment,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop(process: subprocess.Popen) -> str:
    """SIGTERM, as a process manager stops the bot: it must exit cleanly."""
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "stopped (answers in flight were finished)" in output
    return output


def free_port() -> int:
    sock = bind_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    sock.close()
    return port


@pytest.mark.slow
def test_serve_in_http_mode_answers_a_signed_mention(emulator, indexed_settings, tmp_path):
    port = free_port()
    process = serve_process(
        indexed_settings,
        tmp_path,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=emulator.api_url,
        PORT=str(port),
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        emulator.connect(f"http://127.0.0.1:{port}{EVENTS_PATH}")
        said = emulator.user_says(ALICE, GENERAL, "@ai-strategy What does fine-tuning cost?")
        assert all(d.status == 200 for d in said.deliveries)
        answer = emulator.calls.wait("chat.postMessage", where=lambda c: c.ok, timeout=90)[0]
        assert answer.args["thread_ts"] == said.ts
    finally:
        output = stop(process)
    assert "Traceback" not in output and "fine-tuning cost" not in output


@pytest.mark.slow
def test_serve_in_socket_mode_when_an_app_token_is_set(emulator, indexed_settings, tmp_path):
    process = serve_process(
        indexed_settings,
        tmp_path,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_APP_TOKEN=emulator.app_token,
        SLACK_API_URL=emulator.api_url,
    )
    try:
        emulator.socket_mode.wait_connected(90)
        said = emulator.user_says(ALICE, GENERAL, "@ai-strategy What does fine-tuning cost?")
        assert all(d.status == 200 for d in said.deliveries)
        answer = emulator.calls.wait("chat.postMessage", where=lambda c: c.ok, timeout=90)[0]
        assert answer.args["thread_ts"] == said.ts
        assert emulator.run_command(ALICE, GENERAL, "help").message()["text"].startswith("*Usage*")
    finally:
        output = stop(process)
    assert "Traceback" not in output and "fine-tuning cost" not in output
