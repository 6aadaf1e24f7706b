"""A real HTTP server on loopback serving the pages the `add URL` tests fetch.

Routes: `/article` (an article inside navigation, advertising and a footer), `/article-v2`
(the same address's page after an edit, served at `/article` once `server.edition = 2`),
`/to-ftp` and `/to-file` (redirects to other schemes), `/loop` (endless redirects), `/huge`
(50 MB without Content-Length), `/huge-declared` (a 50 MB Content-Length), `/slow` (answers
after the client gave up), `/image` (not HTML).
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARTICLE_TITLE = "Prompt Caching Changes the Fine-Tuning Math"
ARTICLE_PARAGRAPHS = [
    "Teams weighing prompt engineering against fine-tuning usually compare a cheap, flexible "
    "prompt with an expensive, specialised model. Prompt caching changes that comparison for "
    "high-volume workloads, because a long, carefully engineered prompt is paid for once and "
    "then reused across thousands of requests.",
    "At Orchard Labs, a support team serving forty thousand conversations a day measured a "
    "cached system prompt of six thousand tokens against a fine-tuned small model. The cached "
    "prompt cost about a third of what they had budgeted, and the fine-tuned model needed "
    "three weeks of data labelling before its first evaluation.",
    "Fine-tuning still wins when the task needs a consistent output format that prompts cannot "
    "enforce, or when latency budgets rule out long prompts altogether. The Orchard Labs team "
    "kept fine-tuning for its ticket classifier, where a fixed label set and strict latency "
    "made a trained model the better fit.",
    "The practical rule the team settled on: start with prompt engineering and caching, measure "
    "cost per resolved conversation, and fine-tune only the narrow tasks where the prompt "
    "cannot reach the accuracy or latency the product needs.",
]
NAVIGATION = ["Home", "Newsletter", "Podcasts", "Careers at Example Review"]
ADVERT = (
    "Sponsored: Upgrade to GPU Cloud Pro today and get 50% off your first three months of compute."
)
FOOTER = "Copyright 2025 Example Tech Review. All rights reserved. Privacy policy. Cookie settings."
SITE_NAME = "Example Tech Review"
PUBLISHED = "2025-03-14"
V2_PARAGRAPH = (
    "Update: after six months in production, the Orchard Labs team reports that prompt caching "
    "kept costs flat while conversation volume doubled, and they retired one fine-tuned model."
)
HUGE_BYTES = 50 * 1024 * 1024


def article_html(edition: int = 1) -> str:
    paragraphs = ARTICLE_PARAGRAPHS + ([V2_PARAGRAPH] if edition == 2 else [])
    nav = "".join(f'<li><a href="/{item.lower()}">{item}</a></li>' for item in NAVIGATION)
    body = "".join(f"<p>{text}</p>" for text in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8">
<title>{ARTICLE_TITLE} | {SITE_NAME}</title>
<meta property="og:title" content="{ARTICLE_TITLE}">
<meta property="og:site_name" content="{SITE_NAME}">
<meta property="article:published_time" content="{PUBLISHED}T09:00:00Z">
</head><body>
<header><nav><ul>{nav}</ul></nav></header>
<aside class="advertisement ad-banner"><p>{ADVERT}</p></aside>
<main><article>
<h1>{ARTICLE_TITLE}</h1>
{body}
</article></main>
<aside class="related"><h3>Related posts</h3><ul><li><a href="/x">Ten GPUs ranked</a></li></ul></aside>
<footer><p>{FOOTER}</p></footer>
</body></html>"""


class _Handler(BaseHTTPRequestHandler):
    server: "PageServer"

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        route = self.path.split("?")[0]
        if route == "/article":
            self._send(200, "text/html; charset=utf-8", article_html(self.server.edition).encode())
        elif route == "/moved":
            self._redirect("/article")
        elif route == "/to-ftp":
            self._redirect("ftp://127.0.0.1/article.html")
        elif route == "/to-file":
            self._redirect("file:///etc/passwd")
        elif route == "/loop":
            self._redirect("/loop")
        elif route == "/image":
            self._send(200, "image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
        elif route == "/huge-declared":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(HUGE_BYTES))
            self.end_headers()
            self._stream(HUGE_BYTES)
        elif route == "/huge":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Connection", "close")
            self.end_headers()
            self._stream(HUGE_BYTES)
        elif route == "/slow":
            self.server.released.wait(timeout=30)
            self._send(200, "text/html", article_html().encode())
        else:
            self._send(404, "text/plain", b"not found")

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (its timeout)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _stream(self, total: int) -> None:
        piece = b"<p>" + b"x" * 65530 + b"</p>"
        try:
            sent = 0
            while sent < total:
                self.wfile.write(piece)
                sent += len(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading at its size cap


class PageServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.edition = 1
        self.released = threading.Event()
        # A short poll: `shutdown()` waits for the serving loop's next poll (0.5 s by default).
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> "PageServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.released.set()
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=10)
