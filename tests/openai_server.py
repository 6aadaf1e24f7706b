"""A small OpenAI-compatible chat-completions server on loopback, answering from a script.

It stands in for a remote LLM (which cannot exist here) at the HTTP boundary: the product's
real `langchain-openai` client talks to it over real HTTP. Each request takes the next
scripted `Reply`: a completion (sent as JSON, or as server-sent events when the request asks
to stream, as the OpenAI API does), an error status, or a stall. Every request is recorded
with its headers and body.
"""

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from bot.slack.server import ThreadedServer

MODEL = "loopback-chat"


@dataclass(frozen=True)
class Reply:
    """One scripted answer: `content` with status 200, or an error `status`; after `delay`
    seconds (for a stream: between its chunks)."""

    content: str = ""
    status: int = 200
    error: str = ""
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordedRequest:
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def prompt(self) -> str:
        """Every message's content, for assertions on what the model was told."""
        return "\n".join(str(message.get("content", "")) for message in self.body["messages"])


class OpenAiServer:
    """`POST /v1/chat/completions` on 127.0.0.1 (ephemeral port); `base_url` for clients."""

    def __init__(self) -> None:
        self.script: list[Reply] = []
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._released = threading.Event()
        app = Starlette(routes=[Route("/v1/chat/completions", self._complete, methods=["POST"])])
        self._server = ThreadedServer(app)

    @property
    def base_url(self) -> str:
        return f"{self._server.url}/v1"

    def start(self) -> "OpenAiServer":
        self._server.start()
        return self

    def stop(self) -> None:
        self._released.set()  # stalled replies end now, so the server can stop at once
        self._server.stop()

    def reply(self, *replies: Reply) -> None:
        """Script the next answers, in order; requests beyond the script get a 500."""
        with self._lock:
            self.script = list(replies)
            self.requests.clear()

    async def _wait(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self._released.is_set():
            await asyncio.sleep(0.02)

    async def _complete(self, request: Request) -> Response:
        body = await request.json()
        with self._lock:
            self.requests.append(RecordedRequest(headers=dict(request.headers), body=body))
            reply = self.script.pop(0) if self.script else Reply(status=500, error="unscripted")
        if reply.status != 200:
            await self._wait(reply.delay)
            return JSONResponse(
                {"error": {"message": reply.error, "type": "server_error", "code": None}},
                status_code=reply.status,
                headers=reply.headers,
            )
        if body.get("stream"):
            return StreamingResponse(
                self._events(reply), media_type="text/event-stream", headers=reply.headers
            )
        await self._wait(reply.delay)
        return JSONResponse(_completion(reply.content), headers=reply.headers)

    async def _events(self, reply: Reply):
        """The reply as chat.completion.chunk events, a few words each, then [DONE]."""
        words = reply.content.split(" ")
        pieces = [" ".join(words[i : i + 3]) + " " for i in range(0, len(words), 3)]
        yield _event(_chunk({"role": "assistant", "content": ""}))
        for piece in pieces:
            await self._wait(reply.delay)
            yield _event(_chunk({"content": piece}))
        yield _event(_chunk({}, finish_reason="stop"))
        yield "data: [DONE]\n\n"


def _completion(content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-loopback",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def _chunk(delta: dict[str, Any], *, finish_reason: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-loopback",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": MODEL,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


def _event(data: dict[str, Any]) -> str:
    return f"data: {json.dumps(data)}\n\n"
