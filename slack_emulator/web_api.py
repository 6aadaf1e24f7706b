"""The Web API methods the bot calls, answered as Slack documents them, over HTTP.

`POST /api/<method>` takes form-encoded or JSON bodies and the token as a Bearer header (or a
`token` argument); answers are `{"ok": true, ...}` or `{"ok": false, "error": code}` with HTTP
200, 429 with `Retry-After` when rate limited. `POST /hooks/<token>` is a `response_url`.
Every call is recorded, and the next calls of a method can be made to fail.

The bot token holds the scopes it was installed with: a method called without one it needs
answers `missing_scope` (with `needed` and `provided`), and every answer carries the token's
scopes in `X-OAuth-Scopes`, as Slack's do. Conversations the bot is not in behave as in Slack:
`not_in_channel` for public channels, `channel_not_found` for private ones and DMs (a DM
between two people does not exist for the bot).
"""

import base64
import copy
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from slack_emulator.validation import (
    ASSISTANT_LOADING_MESSAGES,
    ASSISTANT_PROMPTS,
    check_view,
    message_error,
)
from slack_emulator.workspace import (
    RESPONSE_URL_TTL_SECONDS,
    RESPONSE_URL_USES,
    Channel,
    SlackError,
    Workspace,
)

RESPONSE_URL_METHOD = "response_url"
FILE_DOWNLOAD = "files-pri"  # how a download of a file's private URL is recorded
JSON_ARGUMENTS = ("blocks", "attachments", "view", "metadata", "prompts", "loading_messages")
REPLIES_PAGE_LIMIT = 1000
# The bot scopes each method accepts (any one of them); methods not listed need none.
METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "chat.postMessage": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "chat.update": ("chat:write",),
    "chat.delete": ("chat:write",),
    "files.info": ("files:read",),
    "reactions.add": ("reactions:write",),
    "reactions.remove": ("reactions:write",),
    "assistant.threads.setStatus": ("assistant:write", "chat:write"),
    "assistant.threads.setSuggestedPrompts": ("assistant:write",),
    "assistant.threads.setTitle": ("assistant:write",),
}
# conversations.* read scopes depend on the kind of conversation.
HISTORY_SCOPE = {
    "channel": "channels:history",
    "group": "groups:history",
    "im": "im:history",
    "mpim": "mpim:history",
}


class MissingScope(SlackError):
    """`missing_scope`: the token lacks `needed` (Slack lists what it has as `provided`)."""

    def __init__(self, needed: str) -> None:
        super().__init__("missing_scope")
        self.needed = needed


@dataclass(frozen=True)
class RecordedCall:
    """One request to the emulator: what was asked, when (monotonic seconds), what it answered."""

    method: str
    args: dict[str, Any]
    at: float
    status: int
    response: dict[str, Any]

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response.get("ok"))


@dataclass
class _Failure:
    status: int
    remaining: int
    retry_after: int
    error: str


# Waits are for calls that should come: generous, since a loaded machine makes a first answer
# (the model loading) slow, and a wait that succeeds returns as soon as the call is made.
WAIT_SECONDS = 60.0


class CallLog:
    """Every call, in order, with waits for tests: `wait(method, count=2)`."""

    def __init__(self) -> None:
        self._calls: list[RecordedCall] = []
        self._changed = threading.Condition()
        self._listeners: list[Callable[[RecordedCall], None]] = []

    def add(self, call: RecordedCall) -> None:
        with self._changed:
            self._calls.append(call)
            self._changed.notify_all()
        for listener in list(self._listeners):
            listener(call)

    def subscribe(self, listener: Callable[[RecordedCall], None]) -> None:
        """Call `listener` after every recorded call (e.g. to refresh the sandbox page)."""
        self._listeners.append(listener)

    def __call__(
        self, method: str | None = None, *, where: Callable[[RecordedCall], bool] | None = None
    ) -> list[RecordedCall]:
        """The calls so far, optionally of one method and matching a predicate."""
        with self._changed:
            return [
                call
                for call in self._calls
                if (method is None or call.method == method) and (where is None or where(call))
            ]

    def wait(
        self,
        method: str | None = None,
        *,
        count: int = 1,
        where: Callable[[RecordedCall], bool] | None = None,
        timeout: float = WAIT_SECONDS,
    ) -> list[RecordedCall]:
        """Block until `count` matching calls were made; they are returned. TimeoutError else."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                matching = self(method, where=where)
                if len(matching) >= count:
                    return matching
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    made = [call.method for call in self._calls]
                    raise TimeoutError(
                        f"waited {timeout:.1f} s for {count} call(s) of {method or 'any method'}"
                        f", got {len(matching)}; calls made: {made}"
                    )
                self._changed.wait(remaining)

    def wait_until(self, predicate: Callable[[], bool], *, timeout: float = WAIT_SECONDS) -> None:
        """Block until `predicate()` holds, re-checking after each call. TimeoutError else."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"condition not met within {timeout:.1f} s")
                self._changed.wait(min(remaining, 0.05))

    def clear(self) -> None:
        with self._changed:
            self._calls.clear()


class WebApi:
    """Slack's Web API over a `Workspace`, for one bot token (and one app-level token)."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        token: str,
        scopes: Iterable[str],
        app_token: str | None = None,
    ) -> None:
        self.workspace = workspace
        self.token = token
        self.scopes = set(scopes)
        self.app_token = app_token
        self.calls = CallLog()
        self._failures: dict[str, _Failure] = {}
        self._failures_lock = threading.Lock()
        self.methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self.auth_test,
            "chat.postMessage": self.chat_post_message,
            "chat.postEphemeral": self.chat_post_ephemeral,
            "chat.update": self.chat_update,
            "reactions.add": lambda args: self.reaction(args, add=True),
            "reactions.remove": lambda args: self.reaction(args, add=False),
            "views.open": lambda args: self.views_open(args, push=False),
            "views.push": lambda args: self.views_open(args, push=True),
            "views.update": self.views_update,
            "views.publish": self.views_publish,
            "conversations.replies": self.conversations_replies,
            "files.info": self.files_info,
            "conversations.history": self.conversations_history,
            "assistant.threads.setStatus": self.assistant_set_status,
            "assistant.threads.setSuggestedPrompts": self.assistant_set_suggested_prompts,
            "assistant.threads.setTitle": self.assistant_set_title,
        }
        # Methods called with the app-level token (xapp-…) rather than the bot token.
        self.app_methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        times: int = 1,
        retry_after: int = 1,
        error: str | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` with an HTTP error (429 or 5xx)."""
        default_error = "ratelimited" if status == 429 else "internal_error"
        with self._failures_lock:
            self._failures[method] = _Failure(status, times, retry_after, error or default_error)

    def _take_failure(self, method: str) -> _Failure | None:
        with self._failures_lock:
            failure = self._failures.get(method)
            if failure is None:
                return None
            failure.remaining -= 1
            if failure.remaining <= 0:
                del self._failures[method]
            return failure

    # -- HTTP ------------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        return [
            Route("/api/{method}", self._api_endpoint, methods=["GET", "POST"]),
            Route("/hooks/{token}", self._response_url_endpoint, methods=["POST"]),
            Route("/files-pri/{team_file}/{name}", self._file_endpoint, methods=["GET"]),
            Route("/files-pri/{team_file}/download/{name}", self._file_endpoint, methods=["GET"]),
        ]

    async def _api_endpoint(self, request: Request) -> Response:
        method = request.path_params["method"]
        args = dict(request.query_params)
        body = await request.body()
        if "json" in request.headers.get("content-type", ""):
            args.update(json.loads(body or b"{}"))
        else:
            args.update(parse_qsl(body.decode("utf-8")))
        token = args.pop("token", None)
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            token = auth[7:].strip()
        for name in JSON_ARGUMENTS:
            if isinstance(args.get(name), str) and args[name]:
                try:
                    args[name] = json.loads(args[name])
                except json.JSONDecodeError:
                    return self._answer(
                        method, args, 200, {"ok": False, "error": f"invalid_{name}"}
                    )
        status, payload, headers = self.handle(method, args, token)
        return self._answer(method, args, status, payload, headers)

    def _answer(
        self, method: str, args: dict, status: int, payload: dict, headers: dict | None = None
    ) -> Response:
        self.calls.add(RecordedCall(method, args, time.monotonic(), status, payload))
        return JSONResponse(payload, status_code=status, headers=headers)

    def handle(
        self, method: str, args: dict[str, Any], token: str | None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Status, JSON body and headers of the answer to one Web API call."""
        failure = self._take_failure(method)
        if failure is not None:
            headers = {"Retry-After": str(failure.retry_after)} if failure.status == 429 else {}
            return failure.status, {"ok": False, "error": failure.error}, headers
        if not token:
            return 200, {"ok": False, "error": "not_authed"}, {}
        handler: Callable[[dict[str, Any]], dict[str, Any]] | None
        if method in self.app_methods:
            if token != self.app_token:
                return 200, {"ok": False, "error": "invalid_auth"}, {}
            handler = self.app_methods[method]
        elif token != self.token:
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        else:
            handler = self.methods.get(method)
        if handler is None:
            return 200, {"ok": False, "error": "unknown_method"}, {}
        headers = {"X-OAuth-Scopes": self.provided_scopes}
        if method in METHOD_SCOPES:
            headers["X-Accepted-OAuth-Scopes"] = ",".join(METHOD_SCOPES[method])
        try:
            self.require_scope(*METHOD_SCOPES.get(method, ()))
            return 200, {"ok": True, **handler(args)}, headers
        except MissingScope as error:
            payload = {
                "ok": False,
                "error": error.code,
                "needed": error.needed,
                "provided": self.provided_scopes,
            }
            return 200, payload, headers
        except SlackError as error:
            payload = {"ok": False, "error": error.code}
            if error.messages:
                payload["response_metadata"] = {"messages": error.messages}
            return 200, payload, headers

    @property
    def provided_scopes(self) -> str:
        return ",".join(sorted(self.scopes))

    def require_scope(self, *accepted: str) -> None:
        """MissingScope unless the token holds one of `accepted` (nothing asked: fine)."""
        if accepted and not self.scopes.intersection(accepted):
            raise MissingScope(accepted[0])

    async def _file_endpoint(self, request: Request) -> Response:
        """A file's private URL: its bytes for the bot's token with `files:read` when the bot
        can see the file; anything else is sent to the sign-in page, as Slack does."""
        file_id = request.path_params["team_file"].rpartition("-")[2]
        auth = request.headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        try:
            if token != self.token or "files:read" not in self.scopes:
                raise SlackError("not_authed")
            shared = self.workspace.visible_file(file_id)
        except SlackError as error:
            self.calls.add(
                RecordedCall(FILE_DOWNLOAD, {"file": file_id}, time.monotonic(), 302,
                             {"ok": False, "error": error.code})
            )  # fmt: skip
            return RedirectResponse(f"{request.base_url}?redir={request.url.path}", status_code=302)
        self.calls.add(
            RecordedCall(FILE_DOWNLOAD, {"file": file_id}, time.monotonic(), 200, {"ok": True})
        )
        return Response(shared.content, media_type=shared.info["mimetype"])

    async def _response_url_endpoint(self, request: Request) -> Response:
        token = request.path_params["token"]
        body = json.loads(await request.body() or b"{}")
        ws = self.workspace
        with ws.lock:
            hook = ws.response_urls.get(token)
            if hook is None:
                status, answer = 404, "no_service"
            elif time.monotonic() - hook.issued > RESPONSE_URL_TTL_SECONDS:
                status, answer = 404, "expired_url"
            elif hook.uses >= RESPONSE_URL_USES:
                status, answer = 404, "used_url"
            elif problem := message_error(
                body.get("text"), body.get("blocks"), ai_blocks=ws.ai_features
            ):
                status, answer = 400, problem[0]
            else:
                hook.uses += 1
                status, answer = 200, "ok"
                self.post_response(hook.channel, hook.user, body, replaces=hook.message_ts)
        args = {
            **body,
            "channel": hook.channel if hook else None,
            "user": hook.user if hook else None,
        }
        self.calls.add(
            RecordedCall(RESPONSE_URL_METHOD, args, time.monotonic(), status, {"ok": status == 200})
        )
        return PlainTextResponse(answer, status_code=status)

    def post_response(
        self, channel_id: str, user: str, body: dict[str, Any], *, replaces: str | None = None
    ) -> None:
        """Show a response to a command or an interaction: to the person, or in the channel.

        With `replace_original`, the ephemeral message the interaction came from (`replaces`)
        is replaced instead.
        """
        ws = self.workspace
        with ws.lock:
            replace = str(body.get("replace_original", "")).lower() in ("1", "true")
            original = next(
                (m for m in ws.ephemeral if replaces and m["ts"] == replaces and m["user"] == user),
                None,
            )
            if replace and original is not None:
                original.update(text=body.get("text", ""), blocks=copy.deepcopy(body.get("blocks")))
                return
            if body.get("response_type") == "in_channel":
                ws.add_message(
                    ws.resolve_channel(channel_id),
                    user=ws.bot_user_id,
                    text=body.get("text", ""),
                    blocks=body.get("blocks"),
                    thread_ts=body.get("thread_ts"),
                )
                return
            ws.ephemeral.append(
                {
                    "channel": channel_id,
                    "user": user,
                    "ts": ws.next_ts(),
                    "text": body.get("text", ""),
                    "blocks": copy.deepcopy(body.get("blocks")),
                    "thread_ts": body.get("thread_ts"),
                }
            )

    # -- methods ---------------------------------------------------------------------------

    def auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        ws = self.workspace
        return {
            "url": f"https://{ws.team_domain}.slack.com/",
            "team": ws.team_domain,
            "user": ws.bot_name,
            "team_id": ws.team_id,
            "user_id": ws.bot_user_id,
            "bot_id": ws.bot_id,
            "is_enterprise_install": False,
        }

    def _check_message(self, args: dict[str, Any]) -> None:
        problem = message_error(
            args.get("text"), args.get("blocks"), ai_blocks=self.workspace.ai_features
        )
        if problem is not None:
            raise SlackError(*problem)
        metadata = args.get("metadata")
        if metadata is not None and (
            not isinstance(metadata, dict)
            or not metadata.get("event_type")
            or not isinstance(metadata.get("event_payload"), dict)
        ):
            raise SlackError("invalid_metadata_format")

    def _bot_can_post(self, channel_ref: str) -> Channel:
        return self._member_channel(channel_ref)

    def _member_channel(self, channel_ref: str) -> Channel:
        """The conversation, if the bot is in it: a private one it is not in does not exist
        for it (`channel_not_found`), a public one answers `not_in_channel`."""
        ws = self.workspace
        channel = ws.resolve_channel(channel_ref)
        if ws.bot_user_id not in channel.members:
            raise SlackError("channel_not_found" if channel.is_private else "not_in_channel")
        return channel

    def chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        ws = self.workspace
        with ws.lock:
            channel = self._bot_can_post(str(args.get("channel", "")))
            self._check_message(args)
            message = ws.add_message(
                channel,
                user=ws.bot_user_id,
                text=args.get("text") or "",
                blocks=args.get("blocks"),
                thread_ts=args.get("thread_ts") or None,
                metadata=args.get("metadata"),
                reply_broadcast=str(args.get("reply_broadcast", "")).lower() in ("1", "true"),
            )
            return {"channel": channel.id, "ts": message["ts"], "message": copy.deepcopy(message)}

    def chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        ws = self.workspace
        with ws.lock:
            channel = self._bot_can_post(str(args.get("channel", "")))
            user = str(args.get("user", ""))
            if user not in channel.members:
                raise SlackError("user_not_in_channel")
            self._check_message(args)
            ts = ws.next_ts()
            ws.ephemeral.append(
                {
                    "channel": channel.id,
                    "user": user,
                    "ts": ts,
                    "text": args.get("text") or "",
                    "blocks": copy.deepcopy(args.get("blocks")),
                    "thread_ts": args.get("thread_ts"),
                }
            )
            return {"message_ts": ts}

    def chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        ws = self.workspace
        with ws.lock:
            message = ws.find_message(str(args.get("channel", "")), str(args.get("ts", "")))
            if message.get("user") != ws.bot_user_id:
                raise SlackError("cant_update_message")
            self._check_message(args)
            message["text"] = args.get("text") or ""
            if "blocks" in args:
                message["blocks"] = copy.deepcopy(args["blocks"])
            if "metadata" in args:
                message["metadata"] = copy.deepcopy(args["metadata"])
            message["edited"] = {"user": ws.bot_user_id, "ts": ws.next_ts()}
            channel = ws.resolve_channel(str(args["channel"]))
            return {
                "channel": channel.id,
                "ts": message["ts"],
                "text": message["text"],
                "message": copy.deepcopy(message),
            }

    def reaction(self, args: dict[str, Any], *, add: bool) -> dict[str, Any]:
        self.workspace.react(
            str(args.get("channel", "")),
            str(args.get("timestamp", "")),
            str(args.get("name", "")),
            self.workspace.bot_user_id,
            add=add,
        )
        return {}

    def views_open(self, args: dict[str, Any], *, push: bool) -> dict[str, Any]:
        ws = self.workspace
        with ws.lock:
            trigger = ws.use_trigger(args.get("trigger_id"))
            problems = check_view(args.get("view"))
            if problems:
                raise SlackError("invalid_arguments", problems)
            return {"view": copy.deepcopy(ws.open_view(trigger.user, args["view"], push=push))}

    def views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        """A modal or a Home tab replaced, by `view_id` or `external_id`; with `hash`, only if
        nobody changed it since (`hash_conflict`)."""
        ws = self.workspace
        with ws.lock:
            current = ws.find_view(view_id=args.get("view_id"), external_id=args.get("external_id"))
            problems = check_view(args.get("view"), surface=current["type"])
            if problems:
                raise SlackError("invalid_arguments", problems)
            view = ws.update_view(
                args["view"],
                view_id=args.get("view_id"),
                external_id=args.get("external_id"),
                hash_=args.get("hash"),
            )
            return {"view": copy.deepcopy(view)}

    def views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        """A user's App Home tab (`hash` guards against publishing over a newer view)."""
        ws = self.workspace
        with ws.lock:
            user = str(args.get("user_id", ""))
            if user not in ws.users or ws.users[user].is_bot:
                raise SlackError("user_not_found")
            view: Any = args.get("view")  # any JSON: check_view refuses what is not a view
            problems = check_view(view, surface="home")
            if problems:
                raise SlackError("invalid_arguments", problems)
            current = ws.views.get(ws.home_views.get(user, ""))
            if current is not None:
                stored = ws.update_view(view, view_id=current["id"], hash_=args.get("hash"))
            else:
                stored = ws.open_home(user, view)
            return {"view": copy.deepcopy(stored)}

    def files_info(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"file": copy.deepcopy(self.workspace.visible_file(args.get("file")).info)}

    def conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        """A thread, oldest first, in pages of `limit` (each page starts with the parent)."""
        ws = self.workspace
        with ws.lock:
            channel = ws.resolve_channel(str(args.get("channel", "")))
            self.require_scope(HISTORY_SCOPE[channel.kind])
            self._member_channel(channel.id)
            ts = str(args.get("ts", ""))
            thread = ws.thread(channel.id, ts)
            if not thread:
                raise SlackError("thread_not_found")
            try:
                limit = int(args.get("limit") or REPLIES_PAGE_LIMIT)
                start = _cursor_offset(args.get("cursor"))
            except ValueError:
                raise SlackError("invalid_cursor") from None
            limit = min(max(limit, 2), REPLIES_PAGE_LIMIT)
            parent, replies = thread[0], thread[1:]
            page = replies[start : start + limit - 1]
            end = start + len(page)
            more = end < len(replies)
            return {
                "messages": copy.deepcopy([parent, *page]),
                "has_more": more,
                "response_metadata": {"next_cursor": _cursor(end) if more else ""},
            }

    def conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        """A conversation's top-level messages, newest first, at most `limit`."""
        ws = self.workspace
        with ws.lock:
            channel = ws.resolve_channel(str(args.get("channel", "")))
            self.require_scope(HISTORY_SCOPE[channel.kind])
            self._member_channel(channel.id)
            try:
                limit = min(max(int(args.get("limit") or 100), 1), REPLIES_PAGE_LIMIT)
            except ValueError:
                raise SlackError("invalid_limit") from None
            top_level = [m for m in channel.messages if m.get("thread_ts") in (None, m["ts"])]
            newest_first = list(reversed(top_level))
            return {
                "messages": copy.deepcopy(newest_first[:limit]),
                "has_more": len(newest_first) > limit,
            }

    def _assistant_thread(self, args: dict[str, Any], *, in_channels: bool) -> dict[str, Any]:
        """The state of a thread the app shows progress, prompts or a title in: a thread of its
        DM with a person (the assistant container), or with `in_channels` (setStatus under
        `chat:write`, since 2026-03) a thread of a conversation it is in."""
        ws = self.workspace
        if not ws.ai_features:
            raise SlackError("feature_not_enabled")
        channel = ws.resolve_channel(str(args.get("channel_id", "")))
        if channel.kind != "im" and not in_channels:
            raise SlackError("channel_not_found")
        self._member_channel(channel.id)
        thread_ts = str(args.get("thread_ts", ""))
        if not any(m["ts"] == thread_ts for m in channel.messages):
            raise SlackError("invalid_thread_ts")
        return ws.assistant_threads.setdefault((channel.id, thread_ts), {})

    def assistant_set_status(self, args: dict[str, Any]) -> dict[str, Any]:
        """The "is thinking…" line of a thread; an empty status clears it."""
        with self.workspace.lock:
            thread = self._assistant_thread(args, in_channels=True)
            loading = _list_argument(args.get("loading_messages"))
            if len(loading) > ASSISTANT_LOADING_MESSAGES:
                pointer = "[json-pointer:/loading_messages]"
                raise SlackError(
                    "invalid_arguments",
                    [f"must have at most {ASSISTANT_LOADING_MESSAGES} items {pointer}"],
                )
            thread["status"] = str(args.get("status") or "")
            thread["loading_messages"] = loading
            return {}

    def assistant_set_suggested_prompts(self, args: dict[str, Any]) -> dict[str, Any]:
        with self.workspace.lock:
            thread = self._assistant_thread(args, in_channels=False)
            prompts = _list_argument(args.get("prompts"))
            if not 1 <= len(prompts) <= ASSISTANT_PROMPTS:
                raise SlackError(
                    "invalid_arguments",
                    [f"must have 1 to {ASSISTANT_PROMPTS} items [json-pointer:/prompts]"],
                )
            for i, prompt in enumerate(prompts):
                if not (isinstance(prompt, dict) and prompt.get("title") and prompt.get("message")):
                    raise SlackError(
                        "invalid_arguments",
                        [f"must have a title and a message [json-pointer:/prompts/{i}]"],
                    )
            thread["prompts"] = copy.deepcopy(prompts)
            if args.get("title"):
                thread["prompts_title"] = str(args["title"])
            return {}

    def assistant_set_title(self, args: dict[str, Any]) -> dict[str, Any]:
        with self.workspace.lock:
            thread = self._assistant_thread(args, in_channels=False)
            if not args.get("title"):
                raise SlackError("invalid_arguments", ["title is required"])
            thread["title"] = str(args["title"])
            return {}


def _cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def _cursor_offset(cursor: Any) -> int:
    """Where a page starts (0 without a cursor); ValueError for a cursor not ours."""
    if not cursor:
        return 0
    try:
        text = base64.b64decode(str(cursor), validate=True).decode()
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError("not a cursor") from error
    if not text.startswith("offset:"):
        raise ValueError("not a cursor")
    return int(text.removeprefix("offset:"))


def _list_argument(value: Any) -> list[Any]:
    """A list argument sent as JSON, or (as slack_sdk sends some) comma-separated."""
    if value in (None, ""):
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [value]
