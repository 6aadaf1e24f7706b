"""`ai-strategy serve` as a child process, for the deployment tests and the benchmarks.

The bot runs exactly as it is deployed (its own process, uvicorn, HTTP or Socket Mode), with
its settings in the environment; the caller talks to it over loopback and reads its probes,
its metrics, its resident memory and its log.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bot.slack.server import bind_socket

AI_STRATEGY = Path(sys.executable).with_name("ai-strategy")
_OWN_PREFIXES = ("AI_STRATEGY_", "SLACK_", "CHROMA_")


def free_port() -> int:
    sock = bind_socket("127.0.0.1", 0)
    try:
        return sock.getsockname()[1]
    finally:
        sock.close()


def bot_environment(
    slack, *, data_dir: Path, knowledge_dir: Path, **settings: str
) -> dict[str, str]:
    """Environment of an `ai-strategy serve` process wired to a Slack emulator, on one index."""
    return {
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": slack.signing_secret,
        "SLACK_API_URL": slack.api_url,
        "AI_STRATEGY_DATA_DIR": str(data_dir),
        "AI_STRATEGY_KNOWLEDGE_DIR": str(knowledge_dir),
        **settings,
    }


class ChromaServer:
    """A real `chroma run` on loopback, in its own folder; `start()` waits until it listens."""

    def __init__(self, path: Path) -> None:
        self.path, self.port, self.process = path, free_port(), None

    def start(self) -> None:
        chroma = Path(sys.executable).with_name("chroma")
        self.process = subprocess.Popen(
            [str(chroma), "run", "--path", str(self.path), "--host", "127.0.0.1",
             "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("chroma server did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


class ServeProcess:
    """One `ai-strategy serve` process on a loopback port, its output kept in a file."""

    def __init__(self, env: dict[str, str], *, workdir: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / f"serve-{self.port}.log"
        # Only what the caller sets: no developer's .env or tokens leak in.
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(_OWN_PREFIXES)}
        # The exported ONNX model is shared, not a setting of the bot under test.
        if "AI_STRATEGY_MODEL_DIR" in os.environ:
            inherited["AI_STRATEGY_MODEL_DIR"] = os.environ["AI_STRATEGY_MODEL_DIR"]
        self.env = inherited | {"HF_HUB_OFFLINE": "1", "PORT": str(self.port)} | env
        self.process: subprocess.Popen | None = None
        self._http = httpx.Client(timeout=10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def start(self) -> "ServeProcess":
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                [str(AI_STRATEGY), "serve", "--host", "127.0.0.1"],
                env=self.env,
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def readyz(self) -> tuple[int, dict]:
        response = self._http.get(self.url + "/readyz")
        return response.status_code, response.json()

    def wait_ready(self, timeout: float = 180) -> dict:
        """Poll /readyz until 200 (models loaded, index, Slack and database reachable)."""
        deadline = time.monotonic() + timeout
        last: object = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited with {self.process.returncode}:\n{self.output()}")
            try:
                status, body = self.readyz()
                if status == 200:
                    return body
                last = body
            except httpx.HTTPError as error:
                last = error
            time.sleep(0.2)
        raise TimeoutError(f"serve not ready after {timeout} s: {last}\n{self.output()}")

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """Every sample of /metrics: (name, sorted labels) → value."""
        text = self._http.get(self.url + "/metrics").text
        return parse_metrics(text)

    def rss_bytes(self) -> int:
        """Resident memory of the process now (Linux /proc)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM, as a process manager stops it; the exit status once it has stopped."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        finally:
            self._http.close()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self._http.close()


def parse_metrics(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def metric(samples: dict, name: str, **labels: str) -> float:
    """One sample's value (0 when absent)."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)
