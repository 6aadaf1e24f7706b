"""Property tests: generated bodies, headers and payloads at /slack/events, unsigned and
signed. Whatever arrives: never a 5xx, never a traceback in the log, and for unsigned input
nothing reaches Slack and no error is counted."""

import json
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hostile_http import (
    LogCapture,
    post_raw,
    signed_headers,
    web_api_calls,
)
from tests.slack_helpers import errors_total, start_fake_engine_harness
from tests.test_hostile_http import MALFORMED, block_actions, envelope, view_submission

EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
# Header values as bytes: visible ASCII plus obs-text (0x80-0xFF), all that HTTP lets through.
header_text = st.lists(st.integers(0x20, 0x7E) | st.integers(0x80, 0xFF), max_size=40).map(
    lambda value: bytes(value).strip()
)
content_types = (
    st.sampled_from(
        [
            b"application/json",
            b"application/x-www-form-urlencoded",
            b"text/plain",
            b"",
            b"multipart/form-data",
        ]
    )
    | header_text
)


def as_body(value, kind: str) -> bytes:
    if kind == "json":
        return json.dumps(value).encode()
    if kind == "payload":
        return urlencode({"payload": json.dumps(value)}).encode()
    return urlencode({"command": "/ai-strategy", "text": json.dumps(value)}).encode()


raw_bodies = st.binary(max_size=300) | st.text(max_size=200).map(str.encode)
encoded_bodies = st.builds(as_body, json_values, st.sampled_from(["json", "payload", "form"]))


def part_replaced(base: dict, value) -> dict:
    """`base` with one of its fields (top level or one level down) replaced by `value`."""
    return {**base, **{key: value for key in list(base)[:1]}}


# Real payload shapes with one part replaced by an arbitrary JSON value: a null event, actions
# that are not a list, a state of the wrong type, a view that is a string...
shapes = st.sampled_from(
    [
        envelope(
            {
                "type": "app_mention",
                "user": "U0ALICE",
                "channel": "C0GENERAL",
                "ts": "1.0",
                "text": "<@U0BOT> hi",
            }
        ),
        block_actions([{"action_id": "feedback_up", "type": "button", "value": "x"}]),
        view_submission(
            {"callback_id": "ai_strategy_intake", "private_metadata": "{}", "state": {"values": {}}}
        ),
    ]
)


@st.composite
def mutated_payloads(draw) -> tuple[bytes, str]:
    base = draw(shapes)
    key = draw(st.sampled_from(sorted(base)))
    mutated = {**base, key: draw(json_values)}
    if isinstance(base.get("event"), dict) and draw(st.booleans()):
        event_key = draw(st.sampled_from(sorted(base["event"])))
        mutated = {**base, "event": {**base["event"], event_key: draw(json_values)}}
    if mutated.get("type") == "event_callback":
        return json.dumps(mutated).encode(), "application/json"
    return urlencode({"payload": json.dumps(mutated)}).encode(), "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    harness = start_fake_engine_harness(tmp_path_factory.mktemp("properties"))
    yield harness
    harness.close()


@pytest.fixture(scope="module")
def client():
    with httpx.Client(timeout=20) as client:
        yield client


@pytest.mark.slow
@EXAMPLES
@given(
    body=raw_bodies | encoded_bodies,
    content_type=content_types,
    timestamp=st.none() | header_text | st.integers(-(10**12), 10**12).map(lambda n: b"%d" % n),
    signature=st.none()
    | header_text
    | st.text("0123456789abcdef", max_size=64).map(lambda h: b"v0=" + h.encode()),
)
def test_unsigned_requests_are_refused_quietly(
    harness, client, body, content_type, timestamp, signature
):
    headers = {"Content-Type": content_type}
    if timestamp is not None:
        headers["X-Slack-Request-Timestamp"] = timestamp
    if signature is not None:
        headers["X-Slack-Signature"] = signature
    errors_before = errors_total(harness)
    with LogCapture().attached() as logs:
        response = post_raw(client, harness, body, headers)
    assert response.status_code == 401
    assert logs.tracebacks() == []
    assert errors_total(harness) == errors_before
    assert web_api_calls(harness) == []


@pytest.mark.slow
@EXAMPLES
@given(body=raw_bodies | encoded_bodies, content_type=content_types)
def test_signed_arbitrary_bodies_never_fail_the_server(harness, client, body, content_type):
    with LogCapture().attached() as logs:
        response = post_raw(
            client, harness, body, signed_headers(body, content_type.decode("latin-1"))
        )
        harness.finish_requests()
    assert response.status_code < 500
    assert logs.tracebacks() == []


@pytest.mark.slow
@EXAMPLES
@given(request=mutated_payloads() | st.sampled_from(list(MALFORMED.values())))
def test_signed_payloads_with_a_malformed_part_are_acknowledged(harness, client, request):
    body, content_type = request
    with LogCapture().attached() as logs:
        response = post_raw(client, harness, body, signed_headers(body, content_type))
        harness.finish_requests()
    assert response.status_code < 500
    assert logs.tracebacks() == []
