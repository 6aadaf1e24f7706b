"""deploy/: the image and the compose file refer only to what exists (Docker cannot run here).

The Dockerfile and compose.yaml are read as data and checked against the code: the commands
they run, the settings they set, the probes they call, the files they copy, the versions they pin.
"""

import re
import tomllib
from importlib.metadata import version

import yaml

from bot.cli import app
from bot.settings import Settings
from tests.conftest import REPO
from tests.test_settings import documented_variables, environment_names

DEPLOY = REPO / "deploy"


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def commands() -> set[str]:
    return {command.name or command.callback.__name__ for command in app.registered_commands}


def setting_names() -> set[str]:
    names = set()
    for name, field in Settings.model_fields.items():
        names |= environment_names(name, field)
    return names


def test_compose_has_the_scaled_out_services():
    services = compose()["services"]
    assert set(services) == {"chroma", "postgres", "ingest", "ingest-watch", "bot"}
    bot, ingest = services["bot"], services["ingest"]
    assert bot["command"] == ["serve"] and ingest["command"][0] == "ingest"
    assert {"serve", "ingest"} <= commands()
    assert bot["depends_on"]["ingest"] == {"condition": "service_completed_successfully"}
    assert "replicas" in bot["deploy"]
    # Replicas and the ingest job read the same documents (a Slack reindex on any replica).
    assert bot["volumes"] == ingest["volumes"] == ["../knowledge:/app/knowledge:ro"]


def test_compose_sets_only_real_settings_with_valid_values():
    services = compose()["services"]
    known = setting_names()
    for name in ("bot", "ingest"):
        environment = services[name]["environment"]
        assert set(environment) <= known, set(environment) - known
        assert set(environment) <= documented_variables()
    environment = services["bot"]["environment"]
    settings = Settings(
        _env_file=None,
        log_format=environment["AI_STRATEGY_LOG_FORMAT"],
        chroma_host=environment["CHROMA_HOST"],
        chroma_port=environment["CHROMA_PORT"],
    )
    assert settings.log_format == "json"
    assert environment["AI_STRATEGY_DATABASE_URL"].startswith("postgresql+psycopg://")
    # Set explicitly, over deploy/.env (a copy of .env.example, whose folders are relative):
    # the image's folders, the data dir being the one the unprivileged user may write.
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert f"AI_STRATEGY_DATA_DIR={environment['AI_STRATEGY_DATA_DIR']}" in dockerfile
    assert f"chown app:app {environment['AI_STRATEGY_DATA_DIR']}" in dockerfile
    assert environment["AI_STRATEGY_KNOWLEDGE_DIR"] == "/app/knowledge"


def test_compose_gives_the_drain_time_to_finish():
    grace = compose()["services"]["bot"]["stop_grace_period"]
    assert int(grace.removesuffix("s")) > Settings(_env_file=None).drain_seconds


def test_the_chroma_server_matches_the_client():
    image = compose()["services"]["chroma"]["image"]
    server = image.split(":")[1]
    assert server.split(".")[:2] == version("chromadb").split(".")[:2]


def test_dockerfile_runs_the_bot_as_a_non_root_user_offline():
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert 'ENTRYPOINT ["ai-strategy"]' in text and 'CMD ["serve"]' in text
    assert re.search(r"^USER app$", text, re.MULTILINE)
    assert "HF_HUB_OFFLINE=1" in text and "TRANSFORMERS_OFFLINE=1" in text
    healthcheck = text[text.index("HEALTHCHECK") :]
    assert "/healthz" in healthcheck.splitlines()[1]
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert "pip install '.[postgres]'" in text and "postgres" in extras


def test_the_build_context_holds_every_file_the_dockerfile_copies():
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
    # slack_emulator: the `ai-strategy` CLI's sandbox command runs the bot against it.
    assert copied == {"pyproject.toml", "README.md", "ingest", "bot", "slack_emulator", "knowledge"}
    assert copied <= allowed
    assert all((REPO / path).exists() for path in copied)
