"""HTTP mode: the Bolt app behind Starlette and uvicorn, and a uvicorn server in a thread.

`POST /slack/events` takes events, slash commands and interactivity alike (Slack sends all three
to one Request URL when the manifest says so); `GET /healthz` says the process is alive, and for
a whole `SlackBot` `GET /readyz` whether it is ready for work and `GET /metrics` its Prometheus
metrics (see `bot.slack.ops` and `bot.slack.metrics`).

What reaches `/slack/events` is hostile until proven otherwise, so in this order: the body is
read up to a limit (413 past it, counted while reading, so a huge POST costs no memory); the
Slack signature is checked on the raw bytes (401, one log line, nothing else runs); a signed
body that is not UTF-8 or not a Slack payload Bolt can parse is a 400 with one log line. Only
then does Bolt see it. Whatever then fails inside Bolt is answered as Slack expects (see
`bot.slack.app.on_unhandled_error`), never a 500 and never a traceback; what no listener takes
(an event or a button this version does not know) is acknowledged all the same, since Slack
retries an event answered 404 and shows an error on a button. Slack's `app_rate_limited` notice
(events are being dropped) is logged as such.

Stopping (SIGTERM or Ctrl-C, `serve_http`): `/readyz` turns 503 at once and new events are
answered 503 (Slack re-delivers them; behind a load balancer, to a replica still ready), while
slash commands and clicks, which Slack does not re-deliver, are still handled. Once the answers
in flight are finished (or `drain_seconds` have passed) the server stops.
"""

import hashlib
import hmac
import logging
import secrets
import socket
import threading
import time
from collections.abc import Sequence
from types import FrameType

import uvicorn
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_starlette_response
from slack_bolt.request import BoltRequest, payload_utils
from slack_bolt.request.internals import parse_body
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from bot.slack import messages
from bot.slack.app import ERROR_ID_KEY, SlackBot
from bot.slack.ops import ops_routes

EVENTS_PATH = "/slack/events"
# Seconds Slack is asked to wait before re-delivering an event refused while stopping.
REFUSED_RETRY_AFTER = 1
# Slack's own payloads are a few KB (a modal submission a few tens); 1 MiB leaves ample room.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
# Slack's rule: a request signed more than 5 minutes ago is a replay.
SIGNATURE_MAX_AGE_SECONDS = 300

log = logging.getLogger("bot.slack")


class RequestsInProgress:
    """How many Slack requests the server is handling right now (the drain waits for them)."""

    def __init__(self) -> None:
        self._count = 0
        self._lock = threading.Lock()

    def __enter__(self) -> None:
        with self._lock:
            self._count += 1

    def __exit__(self, *_: object) -> None:
        with self._lock:
            self._count -= 1

    @property
    def count(self) -> int:
        with self._lock:
            return self._count


class RequestTooLarge(Exception):
    """The body grew past the limit while it was being read."""


async def read_body(request: Request, *, limit: int) -> bytes:
    """The request body, or `RequestTooLarge` as soon as it passes `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise RequestTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def signature_is_valid(secret: bytes, body: bytes, headers) -> bool:
    """Slack's HMAC-SHA256 over `v0:{timestamp}:{raw body}` and a timestamp within 5 minutes;
    False for any malformed header. On bytes, not text: a body that is not UTF-8 is refused as
    unsigned rather than failing to decode (`slack_sdk`'s verifier decodes first)."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not (timestamp.isascii() and timestamp.isdigit() and signature.isascii()):
        return False
    if abs(time.time() - int(timestamp)) > SIGNATURE_MAX_AGE_SECONDS:
        return False
    expected = hmac.new(secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    return hmac.compare_digest("v0=" + expected.hexdigest(), signature)


# Bolt's own accessors of a payload's parts: what every listener, and its error handler, reads.
_PAYLOAD_PARTS = (
    payload_utils.to_event,
    payload_utils.to_message,
    payload_utils.to_command,
    payload_utils.to_action,
    payload_utils.to_view,
    payload_utils.to_options,
    payload_utils.to_shortcut,
    payload_utils.to_step,
)


def bolt_request(body: bytes, headers) -> BoltRequest | None:
    """The request as Bolt reads it, or None when the body is not a Slack payload: not UTF-8,
    not JSON / form / `payload=` JSON as Bolt parses them, not an object, or an envelope whose
    parts Bolt's own accessors cannot take apart (`"event": null`, `"authorizations": 5`)."""
    try:
        text = body.decode("utf-8")
        if not isinstance(parse_body(text, headers.get("content-type")), dict):
            return None
        request = BoltRequest(body=text, headers={key: [value] for key, value in headers.items()})
        for part in _PAYLOAD_PARTS:
            part(request.body)
        return request
    except (ValueError, TypeError, AttributeError, KeyError, IndexError, RecursionError):
        return None


def acknowledgement_after_error(body: dict, error_id: str) -> Response:
    """What Slack expects once a request failed (its one log line is written): an
    acknowledgement, so that Slack neither retries nor shows an error; a slash command also
    tells the person the error id."""
    if isinstance(body.get("command"), str):
        return JSONResponse(
            {"response_type": "ephemeral", "text": messages.request_failed(error_id)}
        )
    return Response(status_code=200)


def create_http_app(
    bot: SlackBot | App,
    *,
    signing_secret: str | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    extra_routes: Sequence[BaseRoute] = (),
) -> Starlette:
    """The ASGI application of HTTP mode: Slack's Request URL and the probes.

    Given a bare Bolt `App`, only `/slack/events` and `/healthz`; given a `SlackBot`, also
    `/readyz` and `/metrics`, and new events are refused once the bot is draining. Requests
    are verified with `signing_secret` (a `SlackBot`'s own by default) before anything else.
    """
    bolt_app = bot.app if isinstance(bot, SlackBot) else bot
    readiness = bot.readiness if isinstance(bot, SlackBot) else None
    if signing_secret is None and isinstance(bot, SlackBot):
        signing_secret = bot.signing_secret
    secret = signing_secret.encode() if signing_secret else None
    in_progress = RequestsInProgress()

    async def slack_events(request: Request) -> Response:
        try:
            body = await read_body(request, limit=max_body_bytes)
        except RequestTooLarge:
            log.warning(messages.log_request_too_large(max_body_bytes))
            return JSONResponse({"ok": False, "error": "request_too_large"}, status_code=413)
        if secret is None or not signature_is_valid(secret, body, request.headers):
            log.warning(messages.log_invalid_signature(_printable(request.headers)))
            return JSONResponse({"ok": False, "error": "invalid_signature"}, status_code=401)
        bolt_request_ = bolt_request(body, request.headers)
        if bolt_request_ is None:
            log.warning(messages.log_unparseable_request(secrets.token_hex(4), len(body)))
            return JSONResponse({"ok": False, "error": "invalid_payload"}, status_code=400)
        if bolt_request_.body.get("type") == "app_rate_limited":
            minute = bolt_request_.body.get("minute_rate_limited")
            log.warning(messages.log_app_rate_limited(), extra={"minute_rate_limited": minute})
            return Response(status_code=200)
        if (
            readiness is not None
            and readiness.draining
            and request.headers.get("content-type", "").startswith("application/json")
        ):
            log.info(messages.log_refused_while_draining("event"))
            return JSONResponse(
                {"ok": False, "error": "shutting_down"},
                status_code=503,
                headers={"Retry-After": str(REFUSED_RETRY_AFTER)},
            )
        with in_progress:
            # The adapter's own `SlackRequestHandler.handle` calls the synchronous
            # `App.dispatch` on the event loop; a slash command waits there (up to 3 s) for its
            # listener to call ack(), which would hold up every other request. A worker thread
            # keeps them apart.
            try:
                bolt_response = await run_in_threadpool(bolt_app.dispatch, bolt_request_)
            except Exception as error:
                error_id = secrets.token_hex(4)
                log.error(messages.log_listener_failed(error_id, error))
                return acknowledgement_after_error(bolt_request_.body, error_id)
        failed_id = bolt_request_.context.get(ERROR_ID_KEY)
        if failed_id and bolt_response.status >= 400:
            return acknowledgement_after_error(bolt_request_.body, failed_id)
        if bolt_response.status == 404 and not isinstance(bolt_request_.body.get("command"), str):
            return Response(status_code=200)  # no listener for it (Bolt logged which)
        return to_starlette_response(bolt_response)

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    probes = (
        ops_routes(bot.readiness, bot.metrics, bot.work)
        if isinstance(bot, SlackBot)
        else [Route("/healthz", healthz, methods=["GET"])]
    )
    routes = [Route(EVENTS_PATH, slack_events, methods=["POST"]), *probes, *extra_routes]
    application = Starlette(routes=routes)
    application.state.in_progress = in_progress
    return application


def _printable(headers) -> str:
    """The timestamp header, bounded and printable, for the rejection's log line."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    return timestamp[:20] if timestamp.isprintable() else repr(timestamp[:20])


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket; port 0 picks a free ephemeral port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()  # a port in use must not leak the socket
        raise
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


def wait_for_answers_in_flight(
    bot: SlackBot, *, seconds: float, in_progress: RequestsInProgress | None = None
) -> bool:
    """Block until no Slack request is being handled and no work is left (True), or `seconds`
    pass (False)."""
    started = time.monotonic()

    def busy() -> bool:
        return bool((in_progress.count if in_progress is not None else 0) or bot.work.in_flight)

    while busy() and time.monotonic() - started < seconds:
        time.sleep(0.05)
    unfinished = bot.work.in_flight
    message = messages.log_drained(unfinished, time.monotonic() - started)
    (log.warning if unfinished else log.info)(message)
    return not unfinished


class DrainingServer(uvicorn.Server):
    """uvicorn, stopping as `serve` should: on the first SIGTERM/SIGINT the bot drains (see the
    module docstring) while the server keeps answering probes; then the server stops. A second
    signal stops it at once."""

    def __init__(self, config: uvicorn.Config, *, bot: SlackBot, drain_seconds: float) -> None:
        super().__init__(config)
        self.bot = bot
        self.drain_seconds = drain_seconds
        self._draining: threading.Thread | None = None
        self.drained = True  # False when answers were still in flight after `drain_seconds`

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # Not recorded as captured: the signal has been handled; `serve` returns normally.
        if self._draining is not None:
            self.should_exit = self.force_exit = True
            return
        self.bot.readiness.start_draining()
        self._draining = threading.Thread(target=self._drain, name="ai-strategy-drain")
        self._draining.start()

    def _drain(self) -> None:
        in_progress = getattr(getattr(self.config.app, "state", None), "in_progress", None)
        self.drained = wait_for_answers_in_flight(
            self.bot, seconds=self.drain_seconds, in_progress=in_progress
        )
        self.should_exit = True


def serve_http(
    bot: SlackBot, *, host: str, port: int, drain_seconds: float, max_body_bytes: int
) -> bool:
    """Run HTTP mode in the foreground (the `serve` command); returns once stopped: False when
    answers were still in flight after `drain_seconds`."""
    config = uvicorn.Config(
        create_http_app(bot, max_body_bytes=max_body_bytes),
        host=host,
        port=port,
        log_config=None,  # uvicorn's records go to the root handler: text or JSON lines
        log_level="info",
        access_log=False,  # an access line per Slack request says nothing useful
        lifespan="off",
    )
    server = DrainingServer(config, bot=bot, drain_seconds=drain_seconds)
    server.run()
    return server.drained
