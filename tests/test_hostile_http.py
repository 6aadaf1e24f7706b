"""Hostile requests at /slack/events (issue 12, items 2 and 3): signature first, a body limit,
unparseable signed bodies refused with 400, malformed signed payloads acknowledged as Slack
expects with one log line and an error id. Never a 5xx, never a traceback."""

import json
from urllib.parse import urlencode

import httpx
import pytest

from bot.slack import messages
from bot.slack.blocks import FEEDBACK_UP, SHARE_ACTION
from bot.slack.modal import CALLBACK_ID
from tests.hostile_http import (
    LogCapture,
    post_raw,
    signed_headers,
    web_api_calls,
)
from tests.slack_helpers import errors_total, start_fake_engine_harness

JUNK_BODIES = [b"{bad", b"[1]", b'"x"', b"payload=%7Bbad", "caf\xe9=1".encode("latin-1"), b""]


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    harness = start_fake_engine_harness(tmp_path_factory.mktemp("hostile"))
    yield harness
    harness.close()


@pytest.fixture
def client():
    with httpx.Client(timeout=20) as client:
        yield client


@pytest.fixture
def logs():
    with LogCapture().attached() as capture:
        yield capture


@pytest.mark.parametrize("body", JUNK_BODIES)
@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
def test_unsigned_junk_is_a_401_before_anything_parses_it(
    harness, client, logs, body, content_type
):
    errors_before = errors_total(harness)
    headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": "abc"}
    response = post_raw(client, harness, body, headers)
    assert response.status_code == 401
    assert logs.tracebacks() == []
    assert len(logs.records) == 1 and "invalid signature" in logs.records[0].getMessage()
    assert errors_total(harness) == errors_before  # nobody can fake an alert
    assert web_api_calls(harness) == []


@pytest.mark.parametrize("body", JUNK_BODIES[:-1])
def test_signed_but_unparseable_bodies_are_a_400_with_one_log_line(harness, client, logs, body):
    response = post_raw(client, harness, body, signed_headers(body, "application/json"))
    assert response.status_code == 400
    assert logs.tracebacks() == []
    assert [r.getMessage() for r in logs.records if "not a Slack payload" in r.getMessage()]
    assert len(logs.records) == 1


def test_a_large_body_is_refused_while_being_read(harness, client, logs):
    limit = 1024 * 1024

    def stream():  # no Content-Length: the server must count while it reads
        for _ in range(50):
            yield b"x" * (1024 * 1024)

    headers = {"Content-Type": "application/json"}
    try:
        response = client.post(harness.events_url, content=stream(), headers=headers)
        status = response.status_code
    except httpx.HTTPError:  # the server answered and closed before the upload ended
        status = 413
    assert status == 413
    declared = post_raw(client, harness, b"x" * (limit + 1), {"Content-Type": "application/json"})
    assert declared.status_code == 413
    assert logs.tracebacks() == []
    assert "AI_STRATEGY_MAX_REQUEST_BYTES" in logs.records[-1].getMessage()


def envelope(event) -> dict:
    return {
        "token": "t",
        "team_id": "T0",
        "api_app_id": "A0",
        "type": "event_callback",
        "event": event,
        "event_id": "EvMalformed",
        "event_time": 1,
    }


def block_actions(actions, **extra) -> dict:
    return {
        "type": "block_actions",
        "user": {"id": "U0ALICE"},
        "team": {"id": "T0"},
        "api_app_id": "A0",
        "trigger_id": "1.2",
        "actions": actions,
        **extra,
    }


def view_submission(view) -> dict:
    return {
        "type": "view_submission",
        "user": {"id": "U0ALICE"},
        "team": {"id": "T0"},
        "api_app_id": "A0",
        "trigger_id": "1.2",
        "view": view,
    }


def form(payload: dict) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def command(**fields) -> bytes:
    base = {"command": "/ai-strategy", "text": "", "team_id": "T0", "api_app_id": "A0"}
    return urlencode({**base, **fields}).encode()


MALFORMED = {
    "event null": (json.dumps(envelope(None)).encode(), "application/json"),
    "event a list": (json.dumps(envelope([1])).encode(), "application/json"),
    "mention without user": (
        json.dumps(envelope({"type": "app_mention", "text": "hi", "ts": "1.0"})).encode(),
        "application/json",
    ),
    "authorizations a number": (
        json.dumps({**envelope({"type": "app_mention"}), "authorizations": 5}).encode(),
        "application/json",
    ),
    "block_actions without actions": (
        form(block_actions(None)),
        "application/x-www-form-urlencoded",
    ),
    "feedback value an object": (
        form(block_actions([{"action_id": FEEDBACK_UP, "type": "button", "value": {"a": 1}}])),
        "application/x-www-form-urlencoded",
    ),
    "share without state": (
        form(
            block_actions([{"action_id": SHARE_ACTION, "type": "button", "value": "x"}], state=None)
        ),
        "application/x-www-form-urlencoded",
    ),
    "modal with foreign private_metadata and no state": (
        form(
            view_submission(
                {"callback_id": CALLBACK_ID, "private_metadata": "{not ours", "state": None}
            )
        ),
        "application/x-www-form-urlencoded",
    ),
    "command without user, trigger or channel": (command(), "application/x-www-form-urlencoded"),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_signed_payloads_are_acknowledged_with_one_line_and_an_error_id(
    harness, client, logs, name
):
    body, content_type = MALFORMED[name]
    response = post_raw(client, harness, body, signed_headers(body, content_type))
    harness.finish_requests()
    assert response.status_code in (200, 400), response.text
    assert logs.tracebacks() == []
    errors = [r.getMessage() for r in logs.records if r.levelname in ("ERROR", "WARNING")]
    assert len(errors) <= 1, errors
    if response.status_code == 200 and errors:
        assert "error id" in errors[0]
    assert "chat.postMessage" not in web_api_calls(harness)


@pytest.mark.parametrize(
    "value", ["not json", "[]", '{"channel": 5}', '{"channel": "<!channel>"}', '{"channel": ""}']
)
def test_a_share_button_with_a_tampered_value_posts_nothing_and_says_so(
    harness, client, logs, value
):
    slack = harness.slack
    hook = slack.workspace.issue_response_url("D0ALICE", "U0ALICE")
    body = form(
        block_actions(
            [{"action_id": SHARE_ACTION, "type": "button", "value": value, "block_id": "share"}],
            container={"type": "message", "message_ts": "1.0", "channel_id": "D0ALICE"},
            message={"ts": "1.0", "text": "a recommendation", "blocks": []},
            response_url=f"{slack.url}/hooks/{hook}",
        )
    )
    errors_before, told_before = errors_total(harness), len(slack.calls("response_url"))

    response = post_raw(
        client, harness, body, signed_headers(body, "application/x-www-form-urlencoded")
    )

    assert response.status_code == 200
    told = slack.calls.wait("response_url", count=told_before + 1)[-1]
    assert told.ok and told.args["text"] == messages.SHARE_INVALID
    assert "chat.postMessage" not in web_api_calls(harness)
    assert errors_total(harness) == errors_before and logs.tracebacks() == []


UNHANDLED = {
    "an event type nobody listens to": (
        json.dumps(
            envelope({"type": "reaction_added", "user": "U0ALICE", "reaction": "+1"})
        ).encode(),
        "application/json",
    ),
    "a button of an older version": (
        form(block_actions([{"action_id": "gone", "type": "button", "value": "x"}])),
        "application/x-www-form-urlencoded",
    ),
    "a modal closed": (
        form({**view_submission({"callback_id": CALLBACK_ID}), "type": "view_closed"}),
        "application/x-www-form-urlencoded",
    ),
}


@pytest.mark.parametrize("name", list(UNHANDLED))
def test_what_no_listener_takes_is_acknowledged(harness, client, logs, name):
    body, content_type = UNHANDLED[name]
    response = post_raw(client, harness, body, signed_headers(body, content_type))
    assert response.status_code == 200
    assert logs.tracebacks() == []


def test_slacks_notice_that_it_drops_events_is_acknowledged_and_logged(harness, client, logs):
    notice = {
        "token": "t",
        "type": "app_rate_limited",
        "team_id": "T0",
        "minute_rate_limited": 1518467820,
        "api_app_id": "A0",
    }
    body = json.dumps(notice).encode()
    response = post_raw(client, harness, body, signed_headers(body, "application/json"))
    assert response.status_code == 200
    warnings = [r.getMessage() for r in logs.records if r.levelname == "WARNING"]
    assert warnings == [messages.log_app_rate_limited()]
