"""The approaches the knowledge base is about, read from `approaches.yaml` (data, not code)."""

import re
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

APPROACHES_FILE = Path(__file__).with_name("approaches.yaml")


class Approach(BaseModel):
    """One approach: its id, its name in running text, the ways it is written."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    aliases: tuple[str, ...] = Field(min_length=1)
    description: str

    @property
    def pattern(self) -> re.Pattern[str]:
        """Any alias as whole words; a space or hyphen inside an alias matches either or none."""
        alternatives = sorted(
            (r"[- ]?".join(map(re.escape, re.split(r"[- ]", alias))) for alias in self.aliases),
            key=len,
            reverse=True,
        )
        return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b", re.IGNORECASE)

    @property
    def words(self) -> frozenset[str]:
        """The lowercase words of its name and aliases (left out of a question's topic)."""
        return frozenset(
            word for text in (self.name, *self.aliases) for word in re.split(r"[- ]", text.lower())
        )


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    approaches: tuple[Approach, ...] = Field(min_length=2)


@cache
def load_approaches(path: Path = APPROACHES_FILE) -> tuple[Approach, ...]:
    """The approaches, validated (a mistake in the file fails loudly, naming the entry)."""
    return _File.model_validate(yaml.safe_load(path.read_text(encoding="utf-8"))).approaches
