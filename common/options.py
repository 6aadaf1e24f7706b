"""The options every command that reads the index takes, and how they override the settings."""

from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic_settings import BaseSettings

KnowledgeDir = Annotated[
    Path | None,
    typer.Option("--knowledge-dir", help="Folder of documents (env AI_STRATEGY_KNOWLEDGE_DIR)."),
]
DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Folder of the index and state (env AI_STRATEGY_DATA_DIR)."),
]

AnySettings = TypeVar("AnySettings", bound=BaseSettings)


def settings_with(
    settings_class: type[AnySettings], knowledge_dir: Path | None, data_dir: Path | None
) -> AnySettings:
    """Settings from the environment, with the command-line folders taking precedence."""
    overrides: dict[str, Any] = {"knowledge_dir": knowledge_dir, "data_dir": data_dir}
    return settings_class(**{key: value for key, value in overrides.items() if value is not None})
