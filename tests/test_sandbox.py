"""The sandbox without a browser: its page server over real HTTP, the bot behind it, `start`.

The bot's engines are faked at their boundary here (answers in milliseconds); the browser
tests in test_sandbox_browser.py run the real engines.
"""

import json
import re
import time

import httpx
import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.sandbox import PERSON, Sandbox
from bot.sandbox import cli as sandbox_cli
from bot.sandbox.page import STATIC_DIR
from bot.sandbox.snapshot import SET_STATUS, statuses
from bot.settings import Settings
from bot.slack.engines import Engines
from bot.slack.modal import questions_of
from slack_emulator import RecordedCall
from tests.slack_helpers import cited_answer

GENERAL = "C0GENERAL"


# One client for the module's requests: a new one per request (`httpx.get`) costs 50 ms here,
# most of it loading the CA bundle for a TLS these loopback requests never use.
http = httpx.Client(timeout=10)


@pytest.fixture(scope="module", autouse=True)
def close_http():
    yield
    http.close()


@pytest.fixture(autouse=True)
def keep_logging(monkeypatch):
    """The commands configure the root logger for a terminal; tests keep pytest's capture."""
    monkeypatch.setattr(sandbox_cli, "configure_logging", lambda: None)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data", _env_file=None)


@pytest.fixture
def sandbox(settings):
    settings.data_dir.mkdir()
    engines = Engines(
        answer=lambda question, history: cited_answer(question),
        recommend=lambda answers: pytest.fail("not used"),
        reindex=lambda: pytest.fail("not used"),
    )
    with Sandbox(settings, engines=engines, port=0) as started:
        yield started


def state(sandbox) -> dict:
    return http.get(sandbox.url + "/sandbox/state").json()


def conversation(document: dict, conversation_id: str) -> dict:
    return next(c for c in document["conversations"] if c["id"] == conversation_id)


def wait_for(predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def act(sandbox, path: str, **body) -> httpx.Response:
    return http.post(sandbox.url + path, json=body, timeout=10)


def test_the_page_and_its_files_are_served_with_no_outside_address(sandbox):
    page = http.get(sandbox.url + "/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for name in ("app.js", "blockkit.js", "style.css"):
        assert http.get(f"{sandbox.url}/static/{name}").status_code == 200
    for path in STATIC_DIR.iterdir():
        # Works offline: nothing loaded from a CDN (the only address is the SVG namespace).
        addresses = re.findall(r"https?://[^\s\"')]+", path.read_text())
        assert addresses in ([], ["http://www.w3.org/2000/svg"]), (path.name, addresses)


def test_the_person_sees_the_channel_and_a_dm_with_the_bot(sandbox):
    document = state(sandbox)
    assert document["me"] == {"id": PERSON.id, "name": PERSON.name}
    assert [(c["kind"], c["name"]) for c in document["conversations"]] == [
        ("channel", "general"),
        ("im", "ai-strategy"),
    ]
    assert document["modal"] is None and document["examples"]


def test_a_mention_is_delivered_signed_and_answered_in_a_thread(sandbox):
    answer = act(sandbox, "/sandbox/send", conversation=GENERAL, text="@ai-strategy How much data?")
    assert answer.json()["ok"]
    asked = answer.json()["ts"]

    (mention,) = [
        d
        for d in sandbox.emulator.deliveries
        if json.loads(d.body)["event"]["type"] == "app_mention"
    ]
    assert mention.status == 200  # the real app verified Slack's signature
    replies = wait_for(
        lambda: [
            m
            for m in conversation(state(sandbox), GENERAL)["messages"]
            if m.get("thread_ts") == asked and m["ts"] != asked
        ]
    )
    assert replies[0]["user"] == sandbox.emulator.workspace.bot_user_id
    assert any(block["type"] == "context" for block in replies[0]["blocks"])  # the sources


def test_typed_markup_characters_are_escaped_as_slack_clients_do(sandbox):
    act(sandbox, "/sandbox/send", conversation=GENERAL, text="<b>hi</b> & @bob")
    (typed,) = sandbox.emulator.messages(GENERAL)
    assert typed["text"] == "&lt;b&gt;hi&lt;/b&gt; &amp; <@U0BOB>"


def test_a_dm_is_answered_in_the_dm(sandbox):
    dm = sandbox.emulator.workspace.dm_with(PERSON.id).id
    assert act(
        sandbox, "/sandbox/send", conversation=dm, text="What does fine-tuning cost?"
    ).json()["ok"]
    wait_for(lambda: len(conversation(state(sandbox), dm)["messages"]) == 2)


def test_ai_strategy_opens_the_modal_and_a_submission_pushes_the_next_step(sandbox):
    assert act(sandbox, "/sandbox/send", conversation=GENERAL, text="/ai-strategy").json()["ok"]
    modal = wait_for(lambda: state(sandbox)["modal"])
    assert modal["depth"] == 1
    assert [b["block_id"] for b in modal["blocks"] if b["type"] == "input"] == [
        q.field for q in questions_of(1)
    ]

    values = {q.field: (q.values[0] if q.options else None) for q in questions_of(1)}
    assert act(sandbox, "/sandbox/submit", values=values).json()["ok"]
    assert state(sandbox)["modal"]["depth"] == 2

    assert act(sandbox, "/sandbox/close", all_views=False).json()["ok"]
    assert state(sandbox)["modal"]["depth"] == 1
    assert act(sandbox, "/sandbox/close", all_views=True).json()["ok"]
    assert state(sandbox)["modal"] is None


def test_ai_strategy_help_is_shown_only_to_the_person(sandbox):
    assert act(sandbox, "/sandbox/send", conversation=GENERAL, text="/ai-strategy help").json()[
        "ok"
    ]
    (shown,) = conversation(state(sandbox), GENERAL)["ephemeral"]
    assert "Usage" in shown["text"]


def test_what_slack_would_not_send_is_refused_with_a_reason(sandbox):
    unknown = act(sandbox, "/sandbox/send", conversation=GENERAL, text="/giphy cats")
    assert unknown.status_code == 400 and "/giphy is not a valid command" in unknown.json()["error"]
    assert act(sandbox, "/sandbox/send", conversation=GENERAL, text="   ").status_code == 400
    assert act(sandbox, "/sandbox/send", conversation="C0RANDOM", text="hi").status_code == 400
    assert act(sandbox, "/sandbox/submit", values={}).status_code == 400  # no modal open
    assert (
        act(sandbox, "/sandbox/click", conversation=GENERAL, ts="1.0", action_id="x").status_code
        == 400
    )


def test_actions_need_json_from_the_page_itself(sandbox):
    form = http.post(sandbox.url + "/sandbox/send", data={"conversation": GENERAL, "text": "hi"})
    assert form.status_code == 415  # a cross-site form cannot post as the person
    elsewhere = http.post(
        sandbox.url + "/sandbox/send",
        json={"conversation": GENERAL, "text": "hi"},
        headers={"Origin": "http://evil.example"},
    )
    assert elsewhere.status_code == 403
    assert not sandbox.emulator.messages(GENERAL)


def test_the_live_stream_sends_the_state_when_it_changes(sandbox):
    with http.stream("GET", sandbox.url + "/sandbox/events", timeout=10) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.iter_lines()
        first = json.loads(next(line for line in lines if line.startswith("data: "))[6:])
        assert not conversation(first, GENERAL)["messages"]
        act(sandbox, "/sandbox/send", conversation=GENERAL, text="hello everyone")
        changed = json.loads(next(line for line in lines if line.startswith("data: "))[6:])
        assert conversation(changed, GENERAL)["messages"][0]["text"] == "hello everyone"


def call(method: str, at: float, **args) -> RecordedCall:
    response = {"ok": True, "channel": args.get("channel")}
    return RecordedCall(method, args, at, 200, response)


def test_a_thread_status_shows_until_the_app_replies_in_that_thread():
    set_status = call(SET_STATUS, 1.0, channel_id="D1", thread_ts="1.1", status="is thinking…")
    assert statuses([set_status]) == [
        {"channel": "D1", "thread_ts": "1.1", "status": "is thinking…"}
    ]
    elsewhere = call("chat.postMessage", 2.0, channel="D1", thread_ts="9.9")
    assert len(statuses([set_status, elsewhere])) == 1
    replied = call("chat.postMessage", 2.0, channel="D1", thread_ts="1.1")
    assert statuses([set_status, replied]) == []
    cleared = call(SET_STATUS, 3.0, channel_id="D1", thread_ts="1.1", status="")
    assert statuses([set_status, cleared]) == []


def test_the_page_shows_the_status_the_app_sets_in_a_thread(sandbox):
    ws = sandbox.emulator.workspace
    thread = ws.add_message(ws.channels[GENERAL], user=PERSON.id, text="a question")["ts"]
    answer = http.post(
        sandbox.emulator.api_url + SET_STATUS,
        headers={"Authorization": f"Bearer {sandbox.emulator.bot_token}"},
        json={"channel_id": GENERAL, "thread_ts": thread, "status": "is thinking…"},
    )
    assert answer.json() == {"ok": True}
    assert state(sandbox)["statuses"] == [
        {"channel": GENERAL, "thread_ts": thread, "status": "is thinking…"}
    ]


def test_the_bot_gets_fresh_credentials_shared_only_with_the_emulator(sandbox, settings):
    bot = sandbox.settings
    assert bot.slack_bot_token.get_secret_value() == sandbox.emulator.bot_token
    assert bot.slack_signing_secret.get_secret_value() == sandbox.emulator.signing_secret
    assert len(sandbox.emulator.signing_secret) >= 32
    assert bot.slack_api_url == sandbox.emulator.api_url and bot.slack_app_token is None
    assert PERSON.id in bot.admin_users
    assert settings.slack_bot_token is None  # the caller's settings are untouched


# -- `ai-strategy start` -------------------------------------------------------------------


@pytest.fixture
def launched(monkeypatch):
    """What `start` launched: the sandbox or `serve`, with which arguments (nothing really runs)."""
    calls = []
    monkeypatch.setattr(
        sandbox_cli, "run_sandbox", lambda settings, **kw: calls.append(("sandbox", kw))
    )
    monkeypatch.setattr(sandbox_cli, "ensure_index", lambda settings: None)
    monkeypatch.setattr("bot.slack.cli.serve", lambda **kw: calls.append(("serve", kw)))
    return calls


def test_start_without_slack_tokens_runs_the_sandbox_and_says_so(launched):
    result = CliRunner().invoke(app, ["start", "--port", "3100"])
    assert result.exit_code == 0, result.output
    assert launched == [("sandbox", {"host": "127.0.0.1", "port": 3100})]
    assert "No Slack tokens configured" in result.output and "sandbox" in result.output


def test_start_with_slack_tokens_runs_the_bot_and_says_where(launched, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-real")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret")
    result = CliRunner().invoke(app, ["start"])
    assert result.exit_code == 0, result.output
    assert launched == [
        ("serve", {"port": 3000, "host": "0.0.0.0", "knowledge_dir": None, "data_dir": None})
    ]
    assert "Slack tokens found" in result.output and "http://0.0.0.0:3000" in result.output
    assert "xoxb-real" not in result.output and "secret" not in result.output


def test_start_with_only_an_app_token_says_socket_mode(launched, monkeypatch):
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-real")
    result = CliRunner().invoke(app, ["start"])
    assert launched[0][0] == "serve" and "Socket Mode" in result.output


def test_sandbox_on_a_port_in_use_says_so(settings, monkeypatch):
    monkeypatch.setattr(sandbox_cli, "ensure_index", lambda settings: None)
    monkeypatch.setattr(
        "bot.slack.engines.Engines.from_settings",
        classmethod(lambda cls, settings: Engines(lambda q, h: cited_answer(q), None, None)),
    )
    settings.data_dir.mkdir()
    with Sandbox(settings, engines=Engines(None, None, None), port=0) as taken:
        port = int(taken.url.rsplit(":", 1)[1])
        result = CliRunner().invoke(
            app, ["sandbox", "--port", str(port), "--data-dir", str(settings.data_dir)]
        )
    assert result.exit_code == 1
    assert f"127.0.0.1:{port}" in result.output and "--port" in result.output


@pytest.mark.slow
def test_with_no_index_yet_the_ingest_runs_first_and_says_so(tmp_path, capsys):
    from ingest.index import KnowledgeIndex

    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "note.md").write_text("# Prompting\n\nPrompt engineering needs no labeled data.\n")
    settings = Settings(knowledge_dir=knowledge, data_dir=tmp_path / "data", _env_file=None)

    sandbox_cli.ensure_index(settings)

    assert "No knowledge index yet" in capsys.readouterr().err
    index = KnowledgeIndex(settings)
    try:
        assert index.version
    finally:
        index.close()
    sandbox_cli.ensure_index(settings)  # an index exists now: nothing to do, nothing said
    assert capsys.readouterr().err == ""
