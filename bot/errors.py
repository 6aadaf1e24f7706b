"""Failures a user can fix, worded for the command line: a bad setting, a path that cannot be
used, a server that cannot be reached. `bot.cli.main` prints them as one message."""

from pydantic import ValidationError
from pydantic_settings import BaseSettings

from ingest.errors import IndexServerError

EXIT_FAILED = 1
EXIT_USAGE = 2

USER_FIXABLE = (IndexServerError, NotADirectoryError, FileExistsError, IsADirectoryError,
                PermissionError)  # fmt: skip


def variable_name(settings_class: type[BaseSettings], field: str) -> str:
    """The environment variable of a settings field (`CHROMA_PORT`, `AI_STRATEGY_DATA_DIR`)."""
    info = settings_class.model_fields.get(field)
    alias = info.validation_alias if info is not None else None
    choices = getattr(alias, "choices", [])
    upper = [choice for choice in choices if isinstance(choice, str) and choice.isupper()]
    if upper:
        return upper[0]
    prefix = settings_class.model_config.get("env_prefix", "")
    return f"{prefix}{field}".upper()


def invalid_settings(error: ValidationError) -> str:
    """`CHROMA_PORT='abc': Input should be a valid integer`, one line per bad setting."""
    from bot.settings import Settings

    lines = []
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem["loc"] else ""
        name = field if field.isupper() else variable_name(Settings, field)
        given = problem.get("input")
        shown = f"={given!r}" if isinstance(given, str | int | float) else ""
        lines.append(f"Invalid setting {name}{shown}: {problem['msg']}.")
    return "\n".join(lines) + "\nFix it in the environment or .env (see .env.example)."


def describe(error: Exception) -> str:
    if isinstance(error, IndexServerError):
        return str(error)
    path = getattr(error, "filename", None) or "?"
    reason = getattr(error, "strerror", None) or str(error)
    return (
        f"Cannot use {path}: {reason}. Check AI_STRATEGY_DATA_DIR / --data-dir and "
        "AI_STRATEGY_KNOWLEDGE_DIR / --knowledge-dir: each must be a folder this user can write."
    )
