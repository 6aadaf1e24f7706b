"""The sandbox page's web server: the Slack client side of the emulator, for one person.

`GET /` is the page (static HTML, JS and CSS from `static/`, nothing from the internet);
`GET /sandbox/state` the person's view of the workspace and `GET /sandbox/events` the same as
a server-sent event stream whenever it changes. The page acts through `POST /sandbox/send`
(a message, or `/ai-strategy`), `/sandbox/click` (a button), `/sandbox/submit` and
`/sandbox/close` (the modal), `/sandbox/home` and `/sandbox/home_action` (the app's Home tab
opened, acted in) and `/sandbox/assistant` (an assistant thread opened), each carried out by
the emulator, which signs what it sends the app exactly as Slack does.
"""

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.sandbox import messages
from bot.sandbox.snapshot import Person, snapshot_json
from bot.slack.messages import COMMAND
from bot.slack.mrkdwn import escape
from slack_emulator import Delivery, SlackEmulator, SlackError

STATIC_DIR = Path(__file__).parent / "static"
STREAM_TICK_SECONDS = 0.2
STREAM_KEEPALIVE_SECONDS = 15.0
# The page loads only its own files and talks only to its own server.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
NO_STORE = {"Cache-Control": "no-store"}


class RefusedAction(Exception):
    """An action the page asked for that Slack's client would not send (HTTP 400)."""


class SandboxPage:
    """The page's routes over one emulator, acting as one person."""

    def __init__(self, emulator: SlackEmulator, person: Person) -> None:
        self.emulator = emulator
        self.person = person
        self._closing = threading.Event()

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/", self._index, methods=["GET"]),
                Route("/sandbox/state", self._state, methods=["GET"]),
                Route("/sandbox/events", self._events, methods=["GET"]),
                Route("/sandbox/send", self._action(self.send), methods=["POST"]),
                Route("/sandbox/click", self._action(self.click), methods=["POST"]),
                Route("/sandbox/submit", self._action(self.submit), methods=["POST"]),
                Route("/sandbox/close", self._action(self.close_modal), methods=["POST"]),
                Route("/sandbox/home", self._action(self.open_home), methods=["POST"]),
                Route("/sandbox/home_action", self._action(self.home_action), methods=["POST"]),
                Route("/sandbox/assistant", self._action(self.open_assistant), methods=["POST"]),
                Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
            ]
        )

    def close(self) -> None:
        """End the live streams, so that the server can stop without waiting for browsers."""
        self._closing.set()

    # -- reading ---------------------------------------------------------------------------

    async def _index(self, _: Request) -> Response:
        headers = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, **NO_STORE}
        return FileResponse(STATIC_DIR / "index.html", headers=headers)

    async def _state(self, _: Request) -> Response:
        body = await run_in_threadpool(snapshot_json, self.emulator, self.person)
        return Response(body, media_type="application/json", headers=NO_STORE)

    async def _events(self, request: Request) -> Response:
        async def stream():
            sent, quiet = None, 0.0
            while not self._closing.is_set() and not await request.is_disconnected():
                current = await run_in_threadpool(snapshot_json, self.emulator, self.person)
                if current != sent:
                    sent, quiet = current, 0.0
                    yield f"data: {current}\n\n"
                elif quiet >= STREAM_KEEPALIVE_SECONDS:
                    quiet = 0.0
                    yield ": keep-alive\n\n"
                await asyncio.sleep(STREAM_TICK_SECONDS)
                quiet += STREAM_TICK_SECONDS

        headers = {"X-Accel-Buffering": "no", **NO_STORE}
        return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)

    # -- acting ----------------------------------------------------------------------------

    def _action(self, handler):
        """A POST endpoint: JSON in, the handler run off the event loop, JSON out.

        The emulator's calls block until the app answers, and the app calls the emulator's
        Web API meanwhile; a worker thread keeps the page's server free.
        """

        async def endpoint(request: Request) -> Response:
            if "application/json" not in request.headers.get("content-type", ""):
                return JSONResponse({"ok": False, "error": messages.NOT_JSON}, status_code=415)
            origin = request.headers.get("origin")
            if (
                origin is not None
                and origin != f"{request.url.scheme}://{request.headers.get('host')}"
            ):
                return JSONResponse({"ok": False, "error": messages.CROSS_ORIGIN}, status_code=403)
            try:
                arguments = json.loads(await request.body() or b"{}")
                if not isinstance(arguments, dict):
                    raise RefusedAction(messages.NOT_JSON)
                answer = await run_in_threadpool(handler, **arguments)
            except (RefusedAction, ValueError, TypeError, SlackError) as error:
                return JSONResponse({"ok": False, "error": _reason(error)}, status_code=400)
            return JSONResponse({"ok": True, **answer})

        return endpoint

    def _conversation_id(self, conversation: str) -> str:
        ws = self.emulator.workspace
        with ws.lock:
            channel = ws.channels.get(conversation)
            if channel is None or self.person.id not in channel.members:
                raise RefusedAction(messages.UNKNOWN_CONVERSATION)
            return channel.id

    def send(self, *, conversation: str, text: str, thread_ts: str | None = None) -> dict[str, Any]:
        """A message typed in a conversation (or a thread), or a slash command."""
        channel = self._conversation_id(conversation)
        text = text.strip() if isinstance(text, str) else ""
        if not text:
            raise RefusedAction(messages.EMPTY_MESSAGE)
        if text.startswith("/"):
            command, _, rest = text.partition(" ")
            if command != COMMAND:
                raise RefusedAction(messages.unknown_command(command))
            delivery = self.emulator.run_command(self.person.id, channel, rest.strip())
            return _delivered([delivery])
        # Slack's clients send typed text with its markup characters escaped.
        said = self.emulator.user_says(
            self.person.id, channel, escape(text), thread_ts=thread_ts or None
        )
        return {"ts": said.ts, **_delivered(said.deliveries)}

    def click(
        self, *, conversation: str, ts: str, action_id: str, value: str | None = None
    ) -> dict[str, Any]:
        """A button clicked on a message."""
        channel = self._conversation_id(conversation)
        delivery = self.emulator.click(self.person.id, channel, ts, action_id, value=value)
        return _delivered([delivery])

    def submit(self, *, values: dict[str, Any]) -> dict[str, Any]:
        """The top modal submitted with its inputs' values, `{block_id: value}`."""
        delivery = self.emulator.submit_view(self.person.id, values)
        return _delivered([delivery])

    def open_home(self) -> dict[str, Any]:
        """The app's Home tab opened (the app publishes it)."""
        delivery = self.emulator.open_home(self.person.id)
        return _delivered([delivery] if delivery else [])

    def home_action(self, *, action_id: str, value: str | None = None) -> dict[str, Any]:
        """A button clicked, or an option picked, in the Home tab."""
        return _delivered([self.emulator.home_action(self.person.id, action_id, value)])

    def open_assistant(self, *, viewing: str | None = None) -> dict[str, Any]:
        """The assistant panel opened, while viewing `viewing` (a channel the person is in)."""
        channel = self._conversation_id(viewing) if viewing else None
        if channel is not None and self.emulator.workspace.channels[channel].kind == "im":
            channel = None  # a DM is no context for the assistant
        thread_ts = self.emulator.open_assistant_thread(self.person.id, viewing=channel)
        dm = self.emulator.workspace.dm_with(self.person.id).id
        return {"conversation": dm, "thread_ts": thread_ts}

    def close_modal(self, *, all_views: bool = False) -> dict[str, Any]:
        """The modal's close button (back to the previous view) or its ✕ (every view)."""
        # The emulator has no "person closes a modal" action; its workspace does this part.
        self.emulator.workspace.close_views(self.person.id, all_views=all_views)
        return {}


def _delivered(deliveries: list[Delivery]) -> dict[str, Any]:
    """Nothing to add when the app took every request; a refusal saying how it answered else."""
    failed = [d.status for d in deliveries if d.status != 200]
    if failed:
        raise RefusedAction(messages.app_did_not_answer(failed[0]))
    return {}


def _reason(error: Exception) -> str:
    if isinstance(error, SlackError):
        return " ".join([error.code, *error.messages])
    return str(error)
