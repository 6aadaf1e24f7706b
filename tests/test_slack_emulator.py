"""The Slack emulator answers as Slack documents: auth, errors, limits, triggers, modals."""

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.server import ThreadedServer
from slack_emulator import SlackEmulator
from slack_emulator.workspace import RESPONSE_URL_USES, TRIGGER_TTL_SECONDS

TOKEN = "xoxb-emulator-test"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def emulator():
    slack = SlackEmulator(serve=ThreadedServer, bot_token=TOKEN)
    slack.start()
    yield slack
    slack.stop()


@pytest.fixture
def client(emulator) -> WebClient:
    # No retry handlers: these tests look at Slack's answers themselves.
    return WebClient(token=TOKEN, base_url=emulator.api_url, retry_handlers=[])


def error_of(call) -> str:
    with pytest.raises(SlackApiError) as raised:
        call()
    return raised.value.response["error"]


def test_auth_token_in_header_or_form_and_bad_tokens(emulator, client):
    assert client.auth_test()["user_id"] == emulator.workspace.bot_user_id
    url = emulator.api_url + "auth.test"
    assert httpx.post(url, data={"token": TOKEN}).json()["ok"] is True
    assert httpx.post(url).json() == {"ok": False, "error": "not_authed"}
    assert (
        httpx.post(url, headers={"Authorization": "Bearer xoxb-wrong"}).json()["error"]
        == "invalid_auth"
    )
    assert (
        httpx.post(emulator.api_url + "no.such", data={"token": TOKEN}).json()["error"]
        == "unknown_method"
    )


def test_post_message_form_and_json_bodies_threads_and_dms(emulator, client):
    parent = client.chat_postMessage(channel="C0GENERAL", text="parent")
    form = httpx.post(
        emulator.api_url + "chat.postMessage",
        data={
            "token": TOKEN,
            "channel": "#general",
            "thread_ts": parent["ts"],
            "text": "reply",
            "blocks": '[{"type": "divider"}]',
        },
    ).json()
    assert form["ok"] and form["message"]["thread_ts"] == parent["ts"]
    stored = emulator.workspace.find_message("C0GENERAL", parent["ts"])
    assert stored["reply_count"] == 1 and stored["latest_reply"] == form["ts"]
    dm = client.chat_postMessage(channel="U0ALICE", text="hi")
    assert dm["channel"] == emulator.workspace.dm_with("U0ALICE").id
    assert float(dm["ts"]) > float(form["ts"]) > float(parent["ts"])


def test_what_slack_refuses_to_post(emulator, client):
    assert (
        error_of(lambda: client.chat_postMessage(channel="C0RANDOM", text="x")) == "not_in_channel"
    )
    assert (
        error_of(lambda: client.chat_postMessage(channel="C0NOPE", text="x")) == "channel_not_found"
    )
    empty = httpx.post(
        emulator.api_url + "chat.postMessage", data={"token": TOKEN, "channel": "C0GENERAL"}
    )
    assert empty.json()["error"] == "no_text"
    assert (
        error_of(lambda: client.chat_postMessage(channel="C0GENERAL", text="x" * 40_001))
        == "msg_too_long"
    )
    too_many = [{"type": "divider"}] * 51
    assert (
        error_of(lambda: client.chat_postMessage(channel="C0GENERAL", text="x", blocks=too_many))
        == "invalid_blocks"
    )
    long_section = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C0GENERAL", text="x", blocks=long_section)
    assert (
        "json-pointer:/blocks/0/text/text"
        in raised.value.response["response_metadata"]["messages"][0]
    )
    big = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 2900}}] * 5
    assert (
        error_of(lambda: client.chat_postMessage(channel="C0GENERAL", text="x", blocks=big))
        == "msg_blocks_too_long"
    )
    header = [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}]
    assert (
        error_of(lambda: client.chat_postMessage(channel="C0GENERAL", text="x", blocks=header))
        == "invalid_blocks"
    )
    context = [{"type": "context", "elements": [{"type": "mrkdwn", "text": "x"}] * 11}]
    assert (
        error_of(lambda: client.chat_postMessage(channel="C0GENERAL", text="x", blocks=context))
        == "invalid_blocks"
    )
    bad_metadata = {"event_type": "x"}
    assert (
        error_of(
            lambda: client.chat_postMessage(channel="C0GENERAL", text="x", metadata=bad_metadata)
        )
        == "invalid_metadata_format"
    )


def test_reactions_update_and_ephemeral(emulator, client):
    posted = client.chat_postMessage(channel="C0GENERAL", text="a")
    client.reactions_add(channel="C0GENERAL", timestamp=posted["ts"], name="eyes")
    assert (
        error_of(
            lambda: client.reactions_add(channel="C0GENERAL", timestamp=posted["ts"], name="eyes")
        )
        == "already_reacted"
    )
    client.reactions_remove(channel="C0GENERAL", timestamp=posted["ts"], name="eyes")
    assert (
        error_of(
            lambda: client.reactions_remove(
                channel="C0GENERAL", timestamp=posted["ts"], name="eyes"
            )
        )
        == "no_reaction"
    )
    assert (
        error_of(lambda: client.reactions_add(channel="C0GENERAL", timestamp="1.2", name="eyes"))
        == "message_not_found"
    )
    client.chat_update(channel="C0GENERAL", ts=posted["ts"], text="b")
    assert emulator.workspace.find_message("C0GENERAL", posted["ts"])["text"] == "b"
    said = emulator.workspace.add_message(
        emulator.workspace.channels["C0GENERAL"], user="U0ALICE", text="mine"
    )
    assert (
        error_of(lambda: client.chat_update(channel="C0GENERAL", ts=said["ts"], text="x"))
        == "cant_update_message"
    )
    assert client.chat_postEphemeral(channel="C0GENERAL", user="U0BOB", text="psst")["message_ts"]
    assert emulator.ephemeral_for("U0BOB")[-1]["text"] == "psst"


def test_failures_on_demand_429_with_retry_after_and_500(emulator, client):
    emulator.fail_next("chat.postMessage", status=429, retry_after=7)
    limited = httpx.post(
        emulator.api_url + "chat.postMessage",
        data={"token": TOKEN, "channel": "C0GENERAL", "text": "x"},
    )
    assert (limited.status_code, limited.headers["retry-after"], limited.json()["error"]) == (
        429,
        "7",
        "ratelimited",
    )
    emulator.fail_next("reactions.add", status=500, times=2)
    statuses = [
        httpx.post(emulator.api_url + "reactions.add", data={"token": TOKEN}).status_code
        for _ in range(3)
    ]
    assert statuses == [500, 500, 200]


def view(title="Modal", blocks=()):
    return {"type": "modal", "title": {"type": "plain_text", "text": title}, "blocks": list(blocks)}


def test_triggers_are_valid_three_seconds_once_and_the_stack_holds_three_views(emulator, client):
    trigger = emulator.workspace.issue_trigger("U0ALICE")
    opened = client.views_open(trigger_id=trigger, view=view())["view"]
    assert opened["id"].startswith("V") and opened["state"] == {"values": {}}
    assert (
        error_of(lambda: client.views_open(trigger_id=trigger, view=view()))
        == "exchanged_trigger_id"
    )
    assert (
        error_of(lambda: client.views_open(trigger_id="123.456.abc", view=view()))
        == "invalid_trigger_id"
    )
    old = emulator.workspace.issue_trigger("U0ALICE")
    emulator.workspace.triggers[old].issued -= TRIGGER_TTL_SECONDS + 0.1
    assert error_of(lambda: client.views_open(trigger_id=old, view=view())) == "expired_trigger_id"
    for _ in range(2):
        client.views_push(trigger_id=emulator.workspace.issue_trigger("U0ALICE"), view=view())
    push = emulator.workspace.issue_trigger("U0ALICE")
    assert error_of(lambda: client.views_push(trigger_id=push, view=view())) == "push_limit_reached"
    assert len(emulator.open_views("U0ALICE")) == 3
    long_title = emulator.workspace.issue_trigger("U0BOB")
    assert (
        error_of(lambda: client.views_open(trigger_id=long_title, view=view("x" * 25)))
        == "invalid_arguments"
    )
    updated = client.views_update(view_id=opened["id"], view=view("Again"))["view"]
    assert updated["title"]["text"] == "Again" and updated["id"] == opened["id"]
    assert (
        error_of(lambda: client.views_update(view_id=opened["id"], hash="stale", view=view()))
        == "hash_conflict"
    )


def test_a_response_url_takes_five_messages(emulator):
    url = f"{emulator.url}/hooks/{emulator.workspace.issue_response_url('C0GENERAL', 'U0ALICE')}"
    statuses = [
        httpx.post(url, json={"text": f"n{i}"}).status_code for i in range(RESPONSE_URL_USES + 1)
    ]
    assert statuses == [200] * RESPONSE_URL_USES + [404]
    assert httpx.post(f"{emulator.url}/hooks/unknown", json={"text": "x"}).status_code == 404
    in_channel = (
        f"{emulator.url}/hooks/{emulator.workspace.issue_response_url('C0GENERAL', 'U0ALICE')}"
    )
    httpx.post(in_channel, json={"text": "for all", "response_type": "in_channel"})
    assert emulator.messages("C0GENERAL")[-1]["text"] == "for all"


def test_waiting_for_calls_and_its_timeout(emulator, client):
    before = len(emulator.calls("chat.postMessage"))
    client.chat_postMessage(channel="C0GENERAL", text="counted")
    assert len(emulator.calls.wait("chat.postMessage", count=before + 1, timeout=1)) == before + 1
    started = time.monotonic()
    with pytest.raises(TimeoutError, match=r"views\.publish"):
        emulator.calls.wait("views.publish", timeout=0.2)
    assert time.monotonic() - started < 2


def test_a_modal_is_submitted_only_as_a_slack_client_would(emulator):
    select = {
        "type": "input",
        "block_id": "size",
        "label": {"type": "plain_text", "text": "Size"},
        "element": {
            "type": "static_select",
            "action_id": "a",
            "options": [{"text": {"type": "plain_text", "text": "Small"}, "value": "s"}],
        },
    }
    emulator.workspace.open_view(
        "U0BOB",
        view(blocks=[select]) | {"submit": {"type": "plain_text", "text": "Go"}},
        push=False,
    )
    with pytest.raises(ValueError, match="required"):
        emulator.submit_view("U0BOB", {})
    with pytest.raises(ValueError, match="not one of the options"):
        emulator.submit_view("U0BOB", {"size": "xl"})
    with pytest.raises(ValueError, match="no inputs"):
        emulator.submit_view("U0BOB", {"colour": "red"})


def test_the_emulator_package_imports_nothing_of_the_bot():
    """A fake depends on nothing it fakes: importing every module of the package loads no
    module of the bot, of ingest, or of the Slack SDKs the bot uses."""
    code = (
        "import importlib, json, pkgutil, sys, slack_emulator\n"
        "for module in pkgutil.walk_packages(slack_emulator.__path__, 'slack_emulator.'):\n"
        "    importlib.import_module(module.name)\n"
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))\n"
    )
    loaded = set(json.loads(subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    ).stdout))
    assert "slack_emulator" in loaded and "starlette" in loaded
    assert not loaded & {"bot", "ingest", "slack_sdk", "slack_bolt"}
