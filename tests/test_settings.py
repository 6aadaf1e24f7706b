"""Settings: one documented source of truth, read from the environment and `.env`."""

import re

from bot.settings import Settings
from tests.conftest import REPO


def documented_variables() -> set[str]:
    text = (REPO / ".env.example").read_text(encoding="utf-8")
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))


def environment_names(name: str, field) -> set[str]:
    alias = field.validation_alias
    if alias is not None:
        return {choice for choice in alias.choices if choice.isupper()}
    return {f"AI_STRATEGY_{name.upper()}"}


def test_env_example_documents_every_setting():
    documented = documented_variables()
    for name, field in Settings.model_fields.items():
        assert environment_names(name, field) & documented, f"{name} is missing from .env.example"


def test_settings_come_from_environment_and_dotenv(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text(
        "AI_STRATEGY_DATA_DIR=/srv/state\nSLACK_BOT_TOKEN=xoxb-from-file\n"
    )
    monkeypatch.setenv("AI_STRATEGY_ADMIN_USERS", "U1, U2")
    settings = Settings()
    assert str(settings.data_dir) == "/srv/state"
    assert settings.admin_users == ["U1", "U2"]
    assert settings.slack_bot_token.get_secret_value() == "xoxb-from-file"
    assert "xoxb-from-file" not in repr(settings)
    monkeypatch.setenv("AI_STRATEGY_DATA_DIR", "/from/env")
    assert str(Settings().data_dir) == "/from/env"
