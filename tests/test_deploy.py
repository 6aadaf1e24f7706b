"""deploy/: compose.yaml as a real compose implementation resolves it, and the built image run.

The compose file is resolved by Debian's docker-compose (`config`: interpolation, env files,
merge keys, relative paths), as `docker compose up` would read it. The image is the one
`make image` built: `make image-test` runs it with buildah, inside a network namespace that has
only loopback, and names it in AI_STRATEGY_TEST_IMAGE.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import tomllib
import uuid
from importlib.metadata import version
from pathlib import Path

import httpx
import pytest
import yaml

from bot.cli import app
from bot.settings import Settings
from bot.slack.server import EVENTS_PATH, ThreadedServer
from ingest.discovery import discover
from ingest.parsing import parse_document
from slack_emulator import SlackEmulator
from tests.conftest import KNOWLEDGE_DIR, REPO
from tests.slack_helpers import ALICE, BOT_TOKEN, GENERAL, SIGNING_SECRET, block_texts
from tests.test_settings import documented_variables, environment_names

DEPLOY = REPO / "deploy"
IMAGE = os.environ.get("AI_STRATEGY_TEST_IMAGE")
COMPOSE = shutil.which("docker-compose")
AI_STRATEGY = b"/opt/venv/bin/ai-strategy"  # the image's entry point (pip's script)


def commands() -> set[str]:
    return {command.name or command.callback.__name__ for command in app.registered_commands}


def setting_names() -> set[str]:
    names = set()
    for name, field in Settings.model_fields.items():
        names |= environment_names(name, field)
    return names


# -- compose.yaml, resolved by docker-compose --------------------------------------------------


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    """A copy of what compose reads (deploy/ and the folders it names), set up as the README says:
    `cp .env.example deploy/.env` with POSTGRES_PASSWORD filled in."""
    tmp_path = tmp_path_factory.mktemp("checkout")
    (tmp_path / "deploy").mkdir()
    shutil.copy(DEPLOY / "compose.yaml", tmp_path / "deploy" / "compose.yaml")
    (tmp_path / "knowledge").mkdir()
    env = (REPO / ".env.example").read_text(encoding="utf-8") + "POSTGRES_PASSWORD=s3cret-pw\n"
    (tmp_path / "deploy" / ".env").write_text(env, encoding="utf-8")
    return tmp_path


def compose_config(checkout: Path, **environment: str) -> subprocess.CompletedProcess:
    if COMPOSE is None:
        pytest.fail("docker-compose is not installed (.ci/run installs Debian's docker-compose)")
    env = {"PATH": os.environ["PATH"], "HOME": str(checkout), **environment}
    return subprocess.run(
        [COMPOSE, "--project-directory", str(checkout / "deploy"),
         "-f", str(checkout / "deploy" / "compose.yaml"), "config"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip


def resolved(checkout: Path, **environment: str) -> dict:
    result = compose_config(checkout, **environment)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


@pytest.fixture(scope="module")
def config(checkout) -> dict:
    """compose.yaml as `docker compose up` would run it with the README's deploy/.env."""
    return resolved(checkout)


def test_compose_resolves_to_the_scaled_out_services(checkout, config):
    services = config["services"]
    assert set(services) == {"chroma", "postgres", "ingest", "ingest-watch", "bot"}
    bot, ingest = services["bot"], services["ingest"]
    assert bot["command"] == ["serve"] and ingest["command"][0] == "ingest"
    assert {"serve", "ingest"} <= commands()
    assert bot["depends_on"]["ingest"] == {"condition": "service_completed_successfully"}
    assert bot["depends_on"]["chroma"] == {"condition": "service_healthy"}
    assert bot["deploy"]["replicas"] == 2
    for service in (bot, ingest):
        # The image is built from the repository root with the Dockerfile beside compose.yaml.
        assert Path(service["build"]["context"]) == checkout
        assert (REPO / service["build"]["dockerfile"]) == DEPLOY / "Dockerfile"
        # Replicas and the ingest job read the same documents (a Slack reindex on any replica).
        assert service["volumes"] == [f"{checkout / 'knowledge'}:/app/knowledge:ro"]
    assert resolved(checkout, BOT_REPLICAS="4")["services"]["bot"]["deploy"]["replicas"] == 4


def test_compose_settings_win_over_the_env_file_and_are_real_settings(config):
    services = config["services"]
    known = setting_names()
    for name in ("bot", "ingest"):
        environment = services[name]["environment"]
        ours = {key for key in environment if key.startswith(("AI_STRATEGY_", "CHROMA_", "SLACK_"))}
        assert ours <= known, ours - known
        assert ours <= documented_variables()
        # deploy/.env (a copy of .env.example) names local folders; the image's win.
        assert environment["AI_STRATEGY_DATA_DIR"] == "/app/data"
        assert environment["AI_STRATEGY_KNOWLEDGE_DIR"] == "/app/knowledge"
        assert environment["CHROMA_HOST"] == "chroma"
        url = environment["AI_STRATEGY_DATABASE_URL"]
        assert url == "postgresql+psycopg://ai_strategy:s3cret-pw@postgres/ai_strategy"
        # Every value the app reads must be one its settings accept.
        settings = Settings(
            _env_file=None,
            log_format=environment["AI_STRATEGY_LOG_FORMAT"],
            chroma_host=environment["CHROMA_HOST"],
            chroma_port=environment["CHROMA_PORT"],
            data_dir=environment["AI_STRATEGY_DATA_DIR"],
        )
        assert settings.log_format == "json"
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == "s3cret-pw"


def test_compose_refuses_to_start_without_a_database_password(tmp_path):
    shutil.copytree(DEPLOY, tmp_path / "deploy", ignore=shutil.ignore_patterns(".env"))
    shutil.copy(REPO / ".env.example", tmp_path / "deploy" / ".env")
    result = compose_config(tmp_path)
    assert result.returncode != 0
    assert "set POSTGRES_PASSWORD in deploy/.env" in result.stderr


def test_compose_gives_the_drain_time_to_finish(config):
    bot = config["services"]["bot"]
    grace = bot["stop_grace_period"]
    assert int(grace.removesuffix("s")) > Settings(_env_file=None).drain_seconds


def test_the_chroma_server_matches_the_client(config):
    image = config["services"]["chroma"]["image"]
    server = image.split(":")[1]
    assert server.split(".")[:2] == version("chromadb").split(".")[:2]


def test_the_build_context_holds_every_package_and_file_the_image_needs():
    """Each package of pyproject.toml is copied into the image, and the ignore file lets it in."""
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    allowed = {
        line.removeprefix("!").rstrip("/")
        for line in (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
        if line.startswith("!")
    }
    copied = set()
    for line in text.splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            parts = [part for part in line.split()[1:] if not part.startswith("--")]
            copied |= set(parts[:-1])
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = {name.removesuffix("*") for name in project["packages"]["find"]["include"]}
    assert packages | {"pyproject.toml", "README.md", "knowledge"} <= copied
    assert copied <= allowed
    assert all((REPO / path).exists() for path in copied)


# -- the built image, run ----------------------------------------------------------------------


class Container:
    """A working container of the image: `buildah run` in it (chroot isolation, the network
    namespace of the caller), its file system kept between runs like a container's."""

    def __init__(self, image: str) -> None:
        self.name = f"ai-strategy-test-{uuid.uuid4().hex[:8]}"
        subprocess.run(["buildah", "from", "--name", self.name, image], check=True,
                       capture_output=True, timeout=300)  # fmt: skip

    def command(self, *args: str, env: dict[str, str] | None = None) -> list[str]:
        options = [f"--env={key}={value}" for key, value in (env or {}).items()]
        return ["buildah", "run", "--isolation", "chroot", *options, self.name, "--", *args]

    def run(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
        return subprocess.run(self.command(*args), capture_output=True, text=True, timeout=timeout)

    def config(self) -> dict:
        inspected = subprocess.run(
            ["buildah", "inspect", "--type", "container", self.name],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return json.loads(inspected.stdout)["Docker"]["config"]

    def remove(self) -> None:
        subprocess.run(["buildah", "rm", self.name], capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def container():
    if not IMAGE:
        pytest.skip("`make image-test` runs this on the image `make image` built")
    if shutil.which("buildah") is None:
        pytest.fail("buildah is not installed (.ci/run installs it)")
    box = Container(IMAGE)
    yield box
    box.remove()


def descendants(pid: int) -> list[int]:
    """Processes started under `pid` (buildah run shares the host's process table)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_image_runs_as_an_unprivileged_user_with_only_loopback(container):
    config = container.config()
    assert config["User"] == "app" and config["Entrypoint"] == ["ai-strategy"]
    assert config["Cmd"] == ["serve"] and "/healthz" in " ".join(config["Healthcheck"]["Test"])
    probe = container.run(
        "python", "-c",
        "import os, socket; print(os.getuid(), [name for _, name in socket.if_nameindex()])",
    )  # fmt: skip
    assert probe.returncode == 0, probe.stderr
    uid, interfaces = probe.stdout.split(" ", 1)
    assert int(uid) != 0
    # What the test proves holds only if nothing else is reachable (make image-test's namespace).
    assert interfaces.strip() == "['lo']", "run with `make image-test`: it cuts the network off"
    # The ONNX export was made at build time: the bot reads it and never writes the model.
    export = container.run("ai-strategy", "model", "export")
    assert export.returncode == 0 and export.stdout.startswith("sentence-transformers/"), export
    assert "/opt/models/" in export.stdout
    # The build's pip configuration (a secret and bind mounts) left nothing in the image.
    clean = container.run("sh", "-c", "! ls /run/secrets /etc/pip.conf /opt/venv/pip.conf")
    assert clean.returncode == 0, clean.stdout
    image = subprocess.run(["buildah", "inspect", "--type", "image", IMAGE],
                           capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert "pip.conf" not in image and "find-links" not in image and "index-url" not in image


def documents() -> list[Path]:
    return discover(KNOWLEDGE_DIR, max_bytes=Settings(_env_file=None).max_document_bytes).documents


@pytest.mark.slow
def test_image_ingests_the_bundled_knowledge_base(container):
    result = container.run("ai-strategy", "ingest", "--json")
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout)
    assert summary["added"] == len(documents()) and summary["skipped"] == 0
    assert summary["chunks"] >= len(documents())


@pytest.mark.slow
def test_image_serves_probes_and_answers_a_signed_mention_with_citations(container, tmp_path):
    slack = SlackEmulator(serve=ThreadedServer, signing_secret=SIGNING_SECRET, bot_token=BOT_TOKEN)
    slack.start()
    port = free_port()
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "PORT": str(port),
    }
    log = (tmp_path / "serve.log").open("w+")
    process = subprocess.Popen(
        container.command("ai-strategy", "serve", "--host", "127.0.0.1", env=env),
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        ready = wait_for_ready(url, process, log)
        assert ready["status"] == "ready"
        assert httpx.get(url + "/healthz", timeout=10).json() == {"status": "ok"}

        slack.connect(url + EVENTS_PATH)
        question = "@ai-strategy How much labeled data does fine-tuning need?"
        said = slack.user_says(ALICE, GENERAL, question)
        assert all(delivery.status == 200 for delivery in said.deliveries)
        post = slack.calls.wait("chat.postMessage", where=lambda call: call.ok, timeout=120)[0]
        assert post.args["thread_ts"] == said.ts
        texts = block_texts(post.args["blocks"])
        assert "[1]" in texts
        titles = [parse_document(path).title for path in documents()]
        assert any(title in texts for title in titles), texts

        # Stopped as an orchestrator stops it (SIGTERM to the bot): drains and exits 0.
        os.kill(serve_pid(process), signal.SIGTERM)
        code = process.wait(90)
        log.seek(0)
        assert code == 0, log.read()[-3000:]
    finally:
        if process.poll() is None:
            for pid in descendants(process.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            process.kill()
            process.wait(30)
        slack.stop()
        log.close()


def serve_pid(process: subprocess.Popen) -> int:
    """The `ai-strategy serve` process that `buildah run` started (as PID 1 of a container)."""
    for pid in descendants(process.pid):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv[0].startswith(b"/opt/venv/bin/python") and argv[1:3] == [AI_STRATEGY, b"serve"]:
            return pid
    raise AssertionError("no ai-strategy process under buildah run")


def wait_for_ready(url: str, process: subprocess.Popen, log) -> dict:
    deadline = time.monotonic() + 300
    last: object = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            pytest.fail(f"serve exited with {process.returncode}:\n{log.read()[-3000:]}")
        try:
            response = httpx.get(url + "/readyz", timeout=10)
            if response.status_code == 200:
                return response.json()
            last = response.json()
        except httpx.HTTPError as error:
            last = error
        time.sleep(0.5)
    log.seek(0)
    pytest.fail(f"not ready after 300 s: {last}\n{log.read()[-3000:]}")
