"""Fetch one web page for `ai-strategy add URL`, refusing anything that is not a modest HTML page.

A URL is input from whoever runs the command (or types `/ai-strategy add` in Slack), so the
fetch is bounded in every direction: `http`/`https` only, a few redirects each re-checked
before it is followed (a redirect to `file:` or `ftp:` is refused, not followed), timeouts on
connecting and on every read plus a deadline for the whole download, a size cap enforced while
the body streams (a `Content-Length` above it is refused before reading), and an HTML content
type. Every refusal is a `FetchRefused` whose message names the URL and the limit.
`download_file` fetches a file uploaded to Slack within the same limits (any content type,
no redirect followed).
"""

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx

if TYPE_CHECKING:
    from ingest.settings import KnowledgeSettings

ALLOWED_SCHEMES = ("http", "https")
HTML_TYPES = ("text/html", "application/xhtml+xml")
USER_AGENT = "ai-strategy-knowledge-fetcher/1 (+admin add command)"


class FetchRefused(ValueError):
    """The page was not fetched (or not accepted); the message says why and what to do."""


@dataclass(frozen=True)
class FetchLimits:
    """How far one fetch may go."""

    timeout_seconds: float = 15.0  # connect, and each read
    deadline_seconds: float = 60.0  # the whole download, redirects included
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5

    @classmethod
    def of(cls, settings: "KnowledgeSettings") -> "FetchLimits":
        """The limits the settings give (AI_STRATEGY_FETCH_TIMEOUT_SECONDS, …_FETCH_MAX_MB)."""
        return cls(
            timeout_seconds=settings.fetch_timeout_seconds,
            max_bytes=int(settings.fetch_max_mb * 1024 * 1024),
        )


@dataclass(frozen=True)
class FetchedPage:
    url: str  # after redirects, without fragment
    requested_url: str
    content_type: str
    body: bytes
    encoding: str | None


def normalize_url(url: str) -> str:
    """The address as stored and compared: surrounding space and the fragment removed."""
    return urldefrag(url.strip())[0]


def check_scheme(url: str) -> None:
    """Refuse anything but an absolute http(s) URL with a host."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        shown = parts.scheme or "none"
        raise FetchRefused(
            f"{url}: scheme {shown!r} is not allowed; only http and https pages can be added"
        )
    if not parts.hostname:
        raise FetchRefused(f"{url}: no host name in the address")


def fetch_page(url: str, limits: FetchLimits = FetchLimits(), *, transport=None) -> FetchedPage:
    """GET an HTML page within `limits`; raises FetchRefused with a clear reason."""
    requested = normalize_url(url)
    check_scheme(requested)
    deadline = time.monotonic() + limits.deadline_seconds
    timeout = httpx.Timeout(limits.timeout_seconds)
    current = requested
    with httpx.Client(
        timeout=timeout,
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT, "Accept": "text/html,application/xhtml+xml"},
        transport=transport,
    ) as client:
        for _ in range(limits.max_redirects + 1):
            try:
                with client.stream("GET", current) as response:
                    if response.is_redirect:
                        location = response.headers.get("location", "")
                        target = normalize_url(urljoin(current, location))
                        try:
                            check_scheme(target)
                        except FetchRefused:
                            raise FetchRefused(
                                f"{current} redirects to {location!r}, which is not an http(s) "
                                "address; refused"
                            ) from None
                        current = target
                        continue
                    return _read(response, current, requested, limits, deadline)
            except httpx.TimeoutException:
                raise FetchRefused(
                    f"{current}: no answer within {limits.timeout_seconds:g} s (timed out); "
                    "check the address or try again later"
                ) from None
            except httpx.HTTPError as error:
                raise FetchRefused(
                    f"{current}: could not be fetched ({type(error).__name__}: {error})"
                ) from None
    raise FetchRefused(f"{requested}: more than {limits.max_redirects} redirects; refused")


def _read(
    response: httpx.Response, url: str, requested: str, limits: FetchLimits, deadline: float
) -> FetchedPage:
    if response.status_code >= 400:
        raise FetchRefused(
            f"{url}: the server answered {response.status_code} {response.reason_phrase}"
        )
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in HTML_TYPES:
        raise FetchRefused(
            f"{url}: content type {content_type or '(none)'!r} is not an HTML page; "
            "for a PDF or text file, download it and use `ai-strategy add FILE`"
        )
    return FetchedPage(
        url=url,
        requested_url=requested,
        content_type=content_type,
        body=_body(response, url, limits, deadline, what="page"),
        encoding=response.charset_encoding,
    )


def download_file(url: str, name: str, limits: FetchLimits, *, headers: dict[str, str]) -> bytes:
    """GET a file (e.g. one uploaded to Slack, with the bot's token in `headers`) within
    `limits`, following no redirect: a file host redirects only when it refuses the request
    (Slack sends an unauthorised download to its sign-in page). Raises FetchRefused."""
    check_scheme(url)
    deadline = time.monotonic() + limits.deadline_seconds
    try:
        with (
            httpx.Client(timeout=httpx.Timeout(limits.timeout_seconds)) as client,
            client.stream("GET", url, headers={"User-Agent": USER_AGENT, **headers}) as response,
        ):
            if response.is_redirect or response.status_code >= 400:
                raise FetchRefused(
                    f"{name}: the download was refused ({response.status_code} "
                    f"{response.reason_phrase}); can the app read files (scope files:read)?"
                )
            return _body(response, name, limits, deadline, what="file")
    except httpx.TimeoutException:
        raise FetchRefused(
            f"{name}: no answer within {limits.timeout_seconds:g} s (timed out); try again later"
        ) from None
    except httpx.HTTPError as error:
        raise FetchRefused(f"{name}: could not be downloaded ({type(error).__name__})") from None


def _body(
    response: httpx.Response, shown: str, limits: FetchLimits, deadline: float, *, what: str
) -> bytes:
    """The body, refused as soon as it is known to exceed the size cap or the deadline."""
    cap = _megabytes(limits.max_bytes)
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes:
        raise FetchRefused(
            f"{shown}: the {what} is {_megabytes(int(declared))}, more than the {cap} limit"
        )
    body = bytearray()
    for piece in response.iter_bytes():
        body += piece
        if len(body) > limits.max_bytes:
            raise FetchRefused(f"{shown}: the {what} is larger than the {cap} limit; refused")
        if time.monotonic() > deadline:
            raise FetchRefused(
                f"{shown}: the download took longer than {limits.deadline_seconds:g} s (timed out)"
            )
    return bytes(body)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size} bytes"
