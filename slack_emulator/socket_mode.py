"""Slack's side of Socket Mode: a WebSocket the app connects to, and envelopes sent over it.

`apps.connections.open` (with the app-level token) hands out a `ws://` URL; on connection
Slack sends `hello`, then each request as an envelope (`events_api`, `slash_commands`,
`interactive`) that the app acknowledges with `{"envelope_id": …, "payload": …}`. Requests go
to the most recent connection.
"""

import asyncio
import json
import secrets
import threading
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl

from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from slack_emulator.requests import Delivery

ENVELOPE_TYPES = {"event": "events_api", "command": "slash_commands", "interaction": "interactive"}


class SocketMode:
    """The WebSocket end of Socket Mode, for one app."""

    def __init__(self, *, app_id: str) -> None:
        self.app_id = app_id
        self._tickets: set[str] = set()
        self._connection: tuple[WebSocket, asyncio.AbstractEventLoop] | None = None
        self._acks: dict[str, tuple[threading.Event, list[dict]]] = {}
        self._lock = threading.Lock()
        self._connected = threading.Condition(self._lock)

    def routes(self) -> list[WebSocketRoute]:
        return [WebSocketRoute("/socket-mode/{ticket}", self._endpoint)]

    def issue_url(self, base_url: str) -> str:
        """A one-time WebSocket URL, as `apps.connections.open` returns."""
        ticket = secrets.token_urlsafe(12)
        with self._lock:
            self._tickets.add(ticket)
        return base_url.replace("http://", "ws://", 1) + f"/socket-mode/{ticket}"

    @property
    def connected(self) -> bool:
        with self._lock:
            return self._connection is not None

    def wait_connected(self, timeout: float = 30.0) -> None:
        """Block until an app is connected; TimeoutError otherwise."""
        with self._connected:
            if not self._connected.wait_for(lambda: self._connection is not None, timeout):
                raise TimeoutError(f"no Socket Mode connection within {timeout:.0f} s")

    async def _endpoint(self, websocket: WebSocket) -> None:
        ticket = websocket.path_params["ticket"]
        with self._lock:
            valid = ticket in self._tickets
            self._tickets.discard(ticket)
        if not valid:
            await websocket.close(code=4001)
            return
        await websocket.accept()
        await websocket.send_text(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "debug_info": {"host": "emulator", "approximate_connection_time": 3600},
                    "connection_info": {"app_id": self.app_id},
                }
            )
        )
        with self._connected:
            self._connection = (websocket, asyncio.get_running_loop())
            self._connected.notify_all()
        try:
            while True:
                message = json.loads(await websocket.receive_text())
                with self._lock:
                    waiting = self._acks.get(message.get("envelope_id", ""))
                if waiting is not None:
                    waiting[1].append(message)
                    waiting[0].set()
        except WebSocketDisconnect:
            pass
        finally:
            with self._lock:
                if self._connection is not None and self._connection[0] is websocket:
                    self._connection = None

    def send(
        self,
        kind: str,
        body: bytes,
        content_type: str,
        *,
        retry_num: int = 0,
        retry_reason: str = "timeout",
        timeout: float = 3.0,
        **_: Any,
    ) -> Delivery:
        """Send one request as an envelope and wait for the app's acknowledgement (3 s)."""
        with self._lock:
            connection = self._connection
        if connection is None:
            raise RuntimeError("no app is connected in Socket Mode")
        websocket, loop = connection
        envelope_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": ENVELOPE_TYPES[kind],
            "payload": _payload(kind, body),
            "accepts_response_payload": kind != "event",
        }
        if kind == "event":
            envelope["retry_attempt"] = retry_num
            envelope["retry_reason"] = retry_reason if retry_num else ""
        acked = threading.Event()
        answers: list[dict] = []
        with self._lock:
            self._acks[envelope_id] = (acked, answers)
        started = time.perf_counter()
        try:
            asyncio.run_coroutine_threadsafe(
                websocket.send_text(json.dumps(envelope)), loop
            ).result(timeout)
            acked.wait(timeout)
        finally:
            with self._lock:
                del self._acks[envelope_id]
        seconds = time.perf_counter() - started
        if not answers:
            return Delivery(kind, body, content_type, 0, b"", seconds, retry_num)
        payload = answers[0].get("payload")
        content = json.dumps(payload).encode() if payload else b""
        return Delivery(
            kind, body, content_type, 200, content, seconds, retry_num, "application/json"
        )

    def close(self) -> None:
        """Tell the connected app to go away (Slack's `disconnect`), as when Slack restarts."""
        with self._lock:
            connection = self._connection
        if connection is not None:
            websocket, loop = connection
            message = json.dumps({"type": "disconnect", "reason": "warning", "debug_info": {}})
            asyncio.run_coroutine_threadsafe(websocket.send_text(message), loop).result(3)


def _payload(kind: str, body: bytes) -> dict[str, Any]:
    text = body.decode("utf-8")
    if kind == "event":
        return json.loads(text)
    form = dict(parse_qsl(text))
    return json.loads(form["payload"]) if kind == "interaction" else form
