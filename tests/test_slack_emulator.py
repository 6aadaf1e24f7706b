"""The Slack emulator answers as Slack documents: auth, errors, limits, triggers, modals."""

import json
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.slack.server import ThreadedServer
from slack_emulator import SlackEmulator, SlackError
from slack_emulator.workspace import RESPONSE_URL_USES, TRIGGER_TTL_SECONDS

TOKEN = "xoxb-emulator-test"
REPO = Path(__file__).resolve().parents[1]


# One client for the module's requests: a new one per request (`httpx.get`) costs 50 ms here,
# most of it loading the CA bundle for a TLS these loopback requests never use.
http = httpx.Client(timeout=10)


@pytest.fixture(scope="module", autouse=True)
def close_http():
    yield
    http.close()


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
    assert http.post(url, data={"token": TOKEN}).json()["ok"] is True
    assert http.post(url).json() == {"ok": False, "error": "not_authed"}
    assert (
        http.post(url, headers={"Authorization": "Bearer xoxb-wrong"}).json()["error"]
        == "invalid_auth"
    )
    assert (
        http.post(emulator.api_url + "no.such", data={"token": TOKEN}).json()["error"]
        == "unknown_method"
    )


def test_post_message_form_and_json_bodies_threads_and_dms(emulator, client):
    parent = client.chat_postMessage(channel="C0GENERAL", text="parent")
    form = http.post(
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
    empty = http.post(
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
    limited = http.post(
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
        http.post(emulator.api_url + "reactions.add", data={"token": TOKEN}).status_code
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
        http.post(url, json={"text": f"n{i}"}).status_code for i in range(RESPONSE_URL_USES + 1)
    ]
    assert statuses == [200] * RESPONSE_URL_USES + [404]
    assert http.post(f"{emulator.url}/hooks/unknown", json={"text": "x"}).status_code == 404
    in_channel = (
        f"{emulator.url}/hooks/{emulator.workspace.issue_response_url('C0GENERAL', 'U0ALICE')}"
    )
    http.post(in_channel, json={"text": "for all", "response_type": "in_channel"})
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
    loaded = set(
        json.loads(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
            ).stdout
        )
    )
    assert "slack_emulator" in loaded and "starlette" in loaded
    assert not loaded & {"bot", "ingest", "slack_sdk", "slack_bolt"}


# -- what Slack does that a bot must not assume away -----------------------------------------


class RecordingApp:
    """An app's Request URL that acknowledges everything and keeps what Slack sent it."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.server = ThreadedServer(
            Starlette(routes=[Route("/", self._receive, methods=["POST"])])
        )

    async def _receive(self, request: Request) -> Response:
        body = await request.body()
        if request.headers["content-type"].startswith("application/json"):
            self.received.append(json.loads(body))
        else:
            self.received.append(json.loads(dict(parse_qsl(body.decode()))["payload"]))
        return Response(status_code=200)

    def events(self) -> list[dict]:
        return [r["event"] for r in self.received if r.get("type") == "event_callback"]


@pytest.fixture
def connected(emulator):
    """The module's emulator delivering to a recording app."""
    app = RecordingApp()
    app.server.start()
    emulator.connect(app.server.url + "/")
    yield emulator, app
    app.server.stop()


def test_a_method_without_its_scope_answers_missing_scope_with_needed_and_provided():
    slack = SlackEmulator(serve=ThreadedServer, bot_token=TOKEN, scopes=["chat:write"])
    slack.start()
    try:
        client = WebClient(token=TOKEN, base_url=slack.api_url, retry_handlers=[])
        parent = client.chat_postMessage(channel="C0GENERAL", text="hi")
        assert parent.headers["x-oauth-scopes"] == "chat:write"
        with pytest.raises(SlackApiError) as raised:
            client.reactions_add(channel="C0GENERAL", timestamp=parent["ts"], name="eyes")
        answer = raised.value.response
        assert answer["error"] == "missing_scope"
        assert answer["needed"] == "reactions:write" and answer["provided"] == "chat:write"
        with pytest.raises(SlackApiError) as raised:
            client.conversations_replies(channel="C0GENERAL", ts=parent["ts"])
        assert raised.value.response["needed"] == "channels:history"
        # setStatus is accepted under chat:write; the assistant's prompts need assistant:write.
        client.assistant_threads_setStatus(
            channel_id="C0GENERAL", thread_ts=parent["ts"], status="is thinking…"
        )
    finally:
        slack.stop()


def test_conversations_the_bot_is_not_in(emulator, client, connected):
    ws = emulator.workspace
    ws.add_channel("G0SECRET", "secret", private=True, members=("U0ALICE",))
    assert error_of(lambda: client.chat_postMessage(channel="C0RANDOM", text="x")) == (
        "not_in_channel"
    )
    assert error_of(lambda: client.chat_postMessage(channel="G0SECRET", text="x")) == (
        "channel_not_found"
    )
    said = emulator.user_says("U0ALICE", "C0RANDOM", "@ai-strategy are you here?")
    assert said.deliveries == []  # no app_mention (nor message) where the bot is not a member
    assert error_of(lambda: client.conversations_replies(channel="G0SECRET", ts=said.ts)) == (
        "channel_not_found"
    )


def test_a_dm_between_two_people_does_not_exist_for_the_bot(emulator, client):
    emulator.workspace.add_user("U0BOB", "bob")
    emulator.workspace.add_dm("D0ALICEBOB", ("U0ALICE", "U0BOB"))
    assert error_of(lambda: client.chat_postMessage(channel="D0ALICEBOB", text="x")) == (
        "channel_not_found"
    )
    said = emulator.user_says("U0ALICE", "D0ALICEBOB", "@ai-strategy are you here?")
    assert said.deliveries == []  # no message.im for a DM the bot is not in
    assert client.chat_postMessage(channel="U0ALICE", text="x")["channel"].startswith("D")


def test_replies_are_oldest_first_in_pages_that_start_with_the_parent(emulator, client):
    parent = client.chat_postMessage(channel="C0GENERAL", text="parent")
    for n in range(5):
        client.chat_postMessage(channel="C0GENERAL", text=f"reply {n}", thread_ts=parent["ts"])
    pages, cursor = [], None
    for _ in range(10):
        page = client.conversations_replies(
            channel="C0GENERAL", ts=parent["ts"], limit=3, cursor=cursor
        )
        pages.append([m["text"] for m in page["messages"]])
        cursor = page["response_metadata"]["next_cursor"]
        if not page["has_more"]:
            break
    assert pages == [
        ["parent", "reply 0", "reply 1"],
        ["parent", "reply 2", "reply 3"],
        ["parent", "reply 4"],
    ]
    assert not cursor
    assert error_of(lambda: client.conversations_replies(channel="C0GENERAL", ts="1.0")) == (
        "thread_not_found"
    )


def test_an_edit_is_message_changed_and_an_app_mention_again_with_edited(connected):
    emulator, app = connected
    said = emulator.user_says("U0ALICE", "C0GENERAL", "what about fine-tuning?")
    edited = emulator.user_edits("U0ALICE", "C0GENERAL", said.ts, "@ai-strategy fine-tuning?")
    events = app.events()
    assert [e["type"] for e in events] == ["message", "message", "app_mention"]
    changed, mention = events[1], events[2]
    assert changed["subtype"] == "message_changed"
    assert changed["message"]["ts"] == said.ts and "edited" in changed["message"]
    assert changed["previous_message"]["text"] == "what about fine-tuning?"
    assert mention["ts"] == said.ts and mention["edited"]["user"] == "U0ALICE"
    envelopes = [r["event_id"] for r in app.received]
    assert len(set(envelopes)) == 3  # each delivery is a new event
    assert edited.message["text"].startswith("<@U0AIBOT>")

    emulator.user_deletes("U0ALICE", "C0GENERAL", said.ts)
    deleted = app.events()[-1]
    assert deleted["subtype"] == "message_deleted" and deleted["deleted_ts"] == said.ts
    with pytest.raises(SlackError):
        emulator.workspace.find_message("C0GENERAL", said.ts)


def test_a_message_with_a_file_is_file_share_with_its_text(connected):
    emulator, app = connected
    emulator.user_says("U0ALICE", "C0GENERAL", "@ai-strategy is this prompting?", files=["a.pdf"])
    message, mention = app.events()
    assert message["subtype"] == "file_share" and message["files"][0]["name"] == "a.pdf"
    assert message["text"].endswith("is this prompting?")
    assert mention["type"] == "app_mention" and mention["files"][0]["name"] == "a.pdf"


def test_group_dms_deliver_like_channels_to_a_bot_in_them(connected):
    emulator, app = connected
    ws = emulator.workspace
    ws.add_group_dm("G0MPIM", ("U0ALICE", "U0BOB", ws.bot_user_id))
    said = emulator.user_says("U0ALICE", "G0MPIM", "@ai-strategy hello")
    message, mention = app.events()
    assert message["channel_type"] == "mpim" and mention["type"] == "app_mention"
    assert emulator.web_api.handle(
        "conversations.replies", {"channel": "G0MPIM", "ts": said.ts}, TOKEN
    )[1]["ok"]


def test_a_click_in_a_thread_carries_the_thread_in_its_container(connected, client):
    emulator, app = connected
    parent = client.chat_postMessage(channel="C0GENERAL", text="parent")
    button = {"type": "button", "text": {"type": "plain_text", "text": "Go"}, "action_id": "go"}
    reply = client.chat_postMessage(
        channel="C0GENERAL",
        thread_ts=parent["ts"],
        text="reply",
        blocks=[{"type": "actions", "block_id": "b", "elements": [button]}],
    )
    emulator.click("U0ALICE", "C0GENERAL", reply["ts"], "go")
    # the posts' message events may arrive after the click: they are delivered on their own
    clicks = [payload for payload in app.received if payload.get("type") == "block_actions"]
    container = clicks[-1]["container"]
    assert container["message_ts"] == reply["ts"] and container["thread_ts"] == parent["ts"]


@pytest.fixture
def assistant_scope(emulator):
    """The module's emulator installed with `assistant:write` too (the assistant container)."""
    emulator.web_api.scopes.add("assistant:write")
    yield
    emulator.web_api.scopes.discard("assistant:write")


def test_assistant_threads_status_prompts_and_title(emulator, client, assistant_scope):
    dm = emulator.workspace.dm_with("U0ALICE").id
    thread = client.chat_postMessage(channel=dm, text="Hi, how can I help?")["ts"]
    client.assistant_threads_setStatus(channel_id=dm, thread_ts=thread, status="is thinking…")
    prompts = [{"title": f"Q{n}", "message": f"Question {n}?"} for n in range(4)]
    client.assistant_threads_setSuggestedPrompts(channel_id=dm, thread_ts=thread, prompts=prompts)
    client.assistant_threads_setTitle(channel_id=dm, thread_ts=thread, title="Fine-tuning data")
    state = emulator.assistant_thread(dm, thread)
    assert state["status"] == "is thinking…" and state["title"] == "Fine-tuning data"
    assert [p["title"] for p in state["prompts"]] == ["Q0", "Q1", "Q2", "Q3"]

    too_many = [*prompts, {"title": "Q4", "message": "?"}]
    assert (
        error_of(
            lambda: client.assistant_threads_setSuggestedPrompts(
                channel_id=dm, thread_ts=thread, prompts=too_many
            )
        )
        == "invalid_arguments"
    )
    assert (
        error_of(
            lambda: client.assistant_threads_setTitle(
                channel_id="C0GENERAL", thread_ts=thread, title="x"
            )
        )
        == "channel_not_found"
    )
    assert (
        error_of(
            lambda: client.assistant_threads_setStatus(channel_id=dm, thread_ts="1.0", status="x")
        )
        == "invalid_thread_ts"
    )
    assert (
        error_of(
            lambda: client.assistant_threads_setStatus(
                channel_id=dm,
                thread_ts=thread,
                status="x",
                loading_messages=[str(n) for n in range(11)],
            )
        )
        == "invalid_arguments"
    )


def test_the_home_tab_is_published_and_updated_only_from_its_current_hash(emulator, client):
    home = {
        "type": "home",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "v1"}}],
    }
    first = client.views_publish(user_id="U0ALICE", view=home)["view"]
    assert emulator.home_view("U0ALICE")["id"] == first["id"]
    home["blocks"][0]["text"]["text"] = "v2"
    second = client.views_publish(user_id="U0ALICE", view=home, hash=first["hash"])["view"]
    assert second["id"] == first["id"] and second["hash"] != first["hash"]
    assert (
        error_of(lambda: client.views_publish(user_id="U0ALICE", view=home, hash=first["hash"]))
        == "hash_conflict"
    )
    assert (
        error_of(lambda: client.views_update(view_id=first["id"], view=home, hash=first["hash"]))
        == "hash_conflict"
    )
    client.views_update(view_id=first["id"], view=home, hash=second["hash"])
    too_long = {"type": "home", "blocks": [{"type": "divider"}] * 101}
    assert error_of(lambda: client.views_publish(user_id="U0ALICE", view=too_long)) == (
        "invalid_arguments"
    )
    assert error_of(lambda: client.views_publish(user_id="U0NOBODY", view=home)) == (
        "user_not_found"
    )


def test_a_shared_file_is_read_with_files_read_and_the_bot_s_token_only(connected, client):
    emulator, _ = connected
    ws = emulator.workspace
    dm = ws.dm_with("U0ALICE").id
    said = emulator.user_says("U0ALICE", dm, "", files=[("notes.md", b"# Notes\n")])
    shared = said.message["files"][0]
    info = client.files_info(file=shared["id"])["file"]
    assert (info["name"], info["size"], info["mimetype"]) == ("notes.md", 8, "text/markdown")
    download = info["url_private_download"]
    answer = http.get(download, headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200 and answer.content == b"# Notes\n"
    for headers in ({}, {"Authorization": "Bearer xoxb-wrong"}):  # Slack's sign-in page
        refused = http.get(download, headers=headers)
        assert refused.status_code == 302 and "redir=" in refused.headers["location"]
    # Shared where the bot is not a member: the bot cannot see it.
    elsewhere = emulator.user_says("U0ALICE", "C0RANDOM", "", files=[("b.md", b"x")])
    hidden = elsewhere.message["files"][0]
    assert error_of(lambda: client.files_info(file=hidden["id"])) == "file_not_found"
    assert http.get(hidden["url_private"], headers={"Authorization": f"Bearer {TOKEN}"}).is_redirect
    assert error_of(lambda: client.files_info(file="F0NOSUCH")) == "file_not_found"


def test_reading_a_file_needs_the_files_read_scope():
    slack = SlackEmulator(serve=ThreadedServer, bot_token=TOKEN, scopes=["chat:write"])
    slack.start()
    try:
        client = WebClient(token=TOKEN, base_url=slack.api_url, retry_handlers=[])
        dm = slack.workspace.dm_with("U0ALICE").id
        shared = slack.user_says("U0ALICE", dm, "", files=[("a.md", b"a")]).message["files"][0]
        with pytest.raises(SlackApiError) as raised:
            client.files_info(file=shared["id"])
        assert raised.value.response["needed"] == "files:read"
        headers = {"Authorization": f"Bearer {TOKEN}"}
        assert http.get(shared["url_private_download"], headers=headers).status_code == 302
    finally:
        slack.stop()
