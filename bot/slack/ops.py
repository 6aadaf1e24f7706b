"""What operators and orchestrators ask of a running bot: readiness, metrics, a graceful stop.

- `Readiness`: `GET /readyz` runs its checks (index reachable with a query on the current
  version, embedding model loaded, Slack accepting the token, database reachable), each bounded
  in time, and answers 200 with the checks, or 503 naming those that failed. Once draining
  starts (SIGTERM) it answers 503 at once, without checking anything.
- `ops_routes`: the three routes (`/healthz`, `/readyz`, `/metrics`), mounted next to
  `/slack/events` in HTTP mode and on a small server of their own in Socket Mode.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.slack import messages
from bot.slack.metrics import Metrics
from bot.slack.scopes import BOT_SCOPES, missing_scopes

if TYPE_CHECKING:
    from bot.slack.engines import Engines
    from bot.slack.work import BackgroundWork
    from bot.storage import Store

log = logging.getLogger("bot.slack")

# A readiness check that takes longer than this has failed (a server that does not answer).
CHECK_TIMEOUT_SECONDS = 4.0
# How long an auth.test result is reused: Slack is asked at most once per TTL per replica.
SLACK_AUTH_TTL_SECONDS = 30.0
SLACK_AUTH_FAILED_TTL_SECONDS = 5.0
PROBE_QUERY = "readiness probe: prompt engineering or fine-tuning"


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str
    ms: float

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "detail": self.detail, "ms": round(self.ms, 1)}


class CheckFailed(Exception):
    """A readiness check's clear failure (the message is what /readyz shows)."""


class Readiness:
    """The checks behind `/readyz`, the model warm-up they wait for, and the draining switch."""

    def __init__(
        self,
        *,
        engines: "Engines",
        store: "Store",
        client: WebClient,
        metrics: Metrics,
        timeout: float = CHECK_TIMEOUT_SECONDS,
    ) -> None:
        self.engines = engines
        self.store = store
        self.metrics = metrics
        self.timeout = timeout
        # Probes get a client of their own: short timeout, no retries (a probe is retried by
        # whoever probes), and the bot's clients are not held up by it.
        self._slack = WebClient(
            token=client.token,
            base_url=client.base_url,
            timeout=round(timeout),
            retry_handlers=[],
        )
        self._slack_lock = threading.Lock()
        self._slack_cached: tuple[float, CheckResult] | None = None
        self.socket_connected: Callable[[], bool] | None = None
        self._draining = threading.Event()
        self._model_state = "loaded" if engines.warm_up is None else "not loaded"
        self._model_error = ""
        self._probe_vector: list[float] | None = None
        self._pending: dict[str, _Pending] = {}
        self._pending_lock = threading.Lock()

    # -- draining --------------------------------------------------------------------------

    def start_draining(self) -> None:
        """From now on `/readyz` answers 503 (the process is stopping; send no new work)."""
        if not self._draining.is_set():
            self._draining.set()
            self.metrics.ready.set(0)
            log.info(messages.LOG_DRAINING)

    @property
    def draining(self) -> bool:
        return self._draining.is_set()

    # -- the model -------------------------------------------------------------------------

    def warm_up(self) -> None:
        """Load the models and prepare the index (blocking); `model` is ready once it is done."""
        if self.engines.warm_up is None:
            return
        self._model_state = "loading"
        started = time.perf_counter()
        try:
            self.engines.warm_up()
        except Exception as error:
            self._model_state, self._model_error = "failed", _describe(error)
            self.metrics.error("background")
            log.error(messages.log_unexpected_error(messages.new_error_id(), error))
            return
        self._model_state = "loaded"
        log.info(messages.log_warmed_up(time.perf_counter() - started))

    def warm_up_in_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.warm_up, name="ai-strategy-warm-up", daemon=True)
        thread.start()
        return thread

    # -- the checks ------------------------------------------------------------------------

    def checks(self) -> dict[str, Callable[[], str]]:
        """Name → check (returns a short detail, raises on failure), for this configuration."""
        checks: dict[str, Callable[[], str]] = {}
        if self.engines.index is not None:
            checks["index"] = self._check_index
        checks["model"] = self._check_model
        checks["slack"] = self._check_slack
        if self.socket_connected is not None:
            checks["socket_mode"] = self._check_socket
        checks["database"] = self._check_database
        return checks

    def run(self) -> tuple[bool, dict[str, Any]]:
        """Run every check at once, each bounded by the timeout; (ready, JSON body)."""
        if self.draining:
            return False, {"status": "shutting down", "failed": ["shutting_down"], "checks": {}}
        started = time.perf_counter()
        running = {name: self._start(name, check) for name, check in self.checks().items()}
        results: dict[str, CheckResult] = {}
        for name, pending in running.items():
            remaining = max(0.0, self.timeout - (time.perf_counter() - started))
            if pending.done.wait(remaining) and pending.result is not None:
                results[name] = pending.result
            else:
                results[name] = CheckResult(
                    False, f"no answer within {self.timeout:g} s", self.timeout * 1000
                )
        failed = [name for name, result in results.items() if not result.ok]
        ready = not failed and not self.draining
        if self.draining:
            failed.append("shutting_down")
        self.metrics.ready.set(1 if ready else 0)
        body: dict[str, Any] = {"status": "ready" if ready else "not ready"}
        if failed:
            body["failed"] = failed
        body["checks"] = {name: result.as_json() for name, result in results.items()}
        return ready, body

    def _start(self, name: str, check: Callable[[], str]) -> "_Pending":
        """Run a check on a daemon thread (a server that never answers cannot hold up the
        process's exit); a check still running from an earlier probe is waited on again rather
        than started twice."""
        with self._pending_lock:
            pending = self._pending.get(name)
            if pending is None or pending.done.is_set():
                pending = self._pending[name] = _Pending(check, name)
            return pending

    def _check_index(self) -> str:
        index = self.engines.index
        if index is None:  # not listed in `checks()` then
            return "no index"
        try:
            version = index.version
            if self._probe_vector is None and self._model_state == "loaded":
                self._probe_vector = index.embed_query(PROBE_QUERY)
            if self._probe_vector is None:
                return f"version {version} (query once the model is loaded)"
            hits = index.search_vector(self._probe_vector, 1)
        except Exception as error:
            raise CheckFailed(f"cannot query the index: {_describe(error)}") from error
        return f"version {version}, query ok ({len(hits)} hit)"

    def _check_model(self) -> str:
        state = self._model_state
        if state == "failed":
            raise CheckFailed(f"loading failed: {self._model_error}")
        if state != "loaded":
            raise CheckFailed(state)
        return state

    def _check_slack(self) -> str:
        with self._slack_lock:
            now = time.monotonic()
            if self._slack_cached is not None and self._slack_cached[0] > now:
                cached = self._slack_cached[1]
            else:
                cached = _timed(self._auth_test)
                ttl = SLACK_AUTH_TTL_SECONDS if cached.ok else SLACK_AUTH_FAILED_TTL_SECONDS
                self._slack_cached = (time.monotonic() + ttl, cached)
        if not cached.ok:
            raise CheckFailed(cached.detail)
        return cached.detail

    def _auth_test(self) -> str:
        try:
            response = self._slack.auth_test()
        except SlackApiError as error:
            raise CheckFailed(f"auth.test: {error.response.get('error', 'failed')}") from error
        except Exception as error:
            raise CheckFailed(f"cannot reach Slack: {_describe(error)}") from error
        headers = {name.lower(): value for name, value in (response.headers or {}).items()}
        missing = missing_scopes(_header_value(headers.get("x-oauth-scopes")))
        if missing:
            log.warning(messages.log_missing_scopes(missing), extra={"missing_scopes": missing})
            raise CheckFailed(messages.missing_scopes(missing, [BOT_SCOPES[s] for s in missing]))
        return "auth.test ok"

    def _check_socket(self) -> str:
        if self.socket_connected is None or not self.socket_connected():
            raise CheckFailed("not connected to Slack")
        return "connected"

    def _check_database(self) -> str:
        try:
            self.store.ping()
        except Exception as error:
            raise CheckFailed(f"cannot reach the database: {_describe(error)}") from error
        return f"{self.store.engine.dialect.name} ok"


class _Pending:
    """One run of a check on its own daemon thread; `result` once `done` is set."""

    def __init__(self, check: Callable[[], str], name: str) -> None:
        self.done = threading.Event()
        self.result: CheckResult | None = None
        self._check = check
        threading.Thread(target=self._run, name=f"ai-strategy-readyz-{name}", daemon=True).start()

    def _run(self) -> None:
        self.result = _timed(self._check)
        self.done.set()


def _timed(check: Callable[[], str]) -> CheckResult:
    started = time.perf_counter()
    try:
        detail = check()
    except CheckFailed as failure:
        return CheckResult(False, str(failure), (time.perf_counter() - started) * 1000)
    except Exception as error:
        return CheckResult(False, _describe(error), (time.perf_counter() - started) * 1000)
    return CheckResult(True, detail, (time.perf_counter() - started) * 1000)


def _header_value(value: Any) -> str | None:
    """A header as slack_sdk hands it over (a string, or a list of one)."""
    if isinstance(value, list):
        return ",".join(value)
    return value


def _describe(error: BaseException) -> str:
    text = " ".join(str(error).split()).split(" (Background on this error")[0]
    text = text[:160] + ("…" if len(text) > 160 else "")
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def ops_routes(readiness: Readiness, metrics: Metrics, work: "BackgroundWork") -> list[Route]:
    """`/healthz` (alive), `/readyz` (ready for work) and `/metrics` (Prometheus) of a bot."""

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        ready, body = await run_in_threadpool(readiness.run)
        return JSONResponse(body, status_code=200 if ready else 503)

    async def exposition(request: Request) -> Response:
        metrics.work_in_flight.set(work.in_flight)
        content, content_type = metrics.exposition(request.headers.get("accept"))
        return Response(content, media_type=None, headers={"Content-Type": content_type})

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", exposition, methods=["GET"]),
    ]
