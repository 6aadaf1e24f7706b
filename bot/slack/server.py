"""HTTP mode: the Bolt app behind Starlette and uvicorn, and a uvicorn server in a thread.

`POST /slack/events` takes events, slash commands and interactivity alike (Slack sends all three
to one Request URL when the manifest says so); `GET /healthz` says the process is alive.
"""

import logging
import socket
import threading
import time
from collections.abc import Sequence

import uvicorn
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

EVENTS_PATH = "/slack/events"


def create_http_app(bolt_app: App, *, extra_routes: Sequence[BaseRoute] = ()) -> Starlette:
    """The ASGI application of HTTP mode: Slack's Request URL and a liveness probe."""

    async def slack_events(request: Request) -> Response:
        body = await request.body()
        # The adapter's own `SlackRequestHandler.handle` calls the synchronous `App.dispatch`
        # on the event loop; a slash command waits there (up to 3 s) for its listener to call
        # ack(), which would hold up every other request. A worker thread keeps them apart.
        bolt_response = await run_in_threadpool(bolt_app.dispatch, to_bolt_request(request, body))
        return to_starlette_response(bolt_response)

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    routes = [
        Route(EVENTS_PATH, slack_events, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        *extra_routes,
    ]
    return Starlette(routes=routes)


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket; port 0 picks a free ephemeral port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


class ThreadedServer:
    """An ASGI app served by uvicorn on a background thread (the emulator, tests, benchmarks).

    The socket is bound before the thread starts, so `url` is known (port 0 → ephemeral port)
    and requests can be sent as soon as `start()` returns.
    """

    def __init__(self, app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._socket = bind_socket(host, port)
        self.host, self.port = self._socket.getsockname()[:2]
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def url(self) -> str:
        """Base URL, without a trailing slash."""
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> str:
        """Start serving and return the base URL once the server accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on {self.url} did not start")
            time.sleep(0.005)
        return self.url

    def stop(self, timeout: float = 10.0) -> None:
        """Stop accepting requests, finish those in flight, and close the socket."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._socket.close()


def serve_forever(app: ASGIApp, *, host: str, port: int) -> None:
    """Run uvicorn in the foreground (the `serve` command); returns on SIGINT/SIGTERM."""
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False, lifespan="off")
