"""knowledge/ holds the five seed documents with their text exactly as published.

The Markdown files only add structure (front matter, headings, list markers, table pipes, blank
lines); stripping that markup from both the seed and the knowledge file must leave the same
sequence of words. Everything else (punctuation, case, numbers, typographic quotes) must match
exactly, so a dropped, added, changed or moved word fails.
"""

import re
from pathlib import Path

import frontmatter
import pytest

REPO = Path(__file__).resolve().parent.parent
KNOWLEDGE_DIR = REPO / "knowledge"
SEEDS_DIR = REPO.parent / "shared" / "seeds"

SEEDS = sorted(SEEDS_DIR.glob("*.txt"))

_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
# Bullet markers only at the start of a line; a " - " inside a sentence is a word and stays.
_BULLET = re.compile(r"^\s*[-*+•]\s+")
# Numbered-list markers ("1.") are kept: the seed's numbers must survive as written.


def words(text: str) -> list[str]:
    """The words of a text once Markdown structure is removed."""
    kept = []
    for line in text.splitlines():
        if _TABLE_SEPARATOR.match(line):
            continue
        line = _HEADING.sub("", line)
        line = _BULLET.sub("", line)
        line = line.replace("|", " ")
        kept.append(line)
    return " ".join(kept).split()


def knowledge_file(seed: Path) -> Path:
    return KNOWLEDGE_DIR / f"{seed.stem}.md"


def test_seeds_are_there():
    assert len(SEEDS) == 5, f"expected the five seed documents in {SEEDS_DIR}"


@pytest.mark.parametrize("seed", SEEDS, ids=lambda path: path.stem)
def test_knowledge_file_keeps_the_published_text(seed):
    path = knowledge_file(seed)
    assert path.is_file(), f"{path} is missing"
    body = frontmatter.loads(path.read_text(encoding="utf-8")).content
    expected, actual = words(seed.read_text(encoding="utf-8")), words(body)
    for position, (want, got) in enumerate(zip(expected, actual, strict=False)):
        if want != got:
            context = " ".join(expected[max(0, position - 8) : position + 8])
            pytest.fail(
                f"word {position}: expected {want!r}, found {got!r} (seed: ...{context}...)"
            )
    assert len(actual) == len(expected), (
        f"{len(expected)} words in the seed, {len(actual)} in {path.name}; "
        f"extra or missing at the end: {(actual[len(expected) :] or expected[len(actual) :])[:10]}"
    )


@pytest.mark.parametrize("seed", SEEDS, ids=lambda path: path.stem)
def test_knowledge_file_has_front_matter_with_a_title(seed):
    text = knowledge_file(seed).read_text(encoding="utf-8")
    assert text.startswith("---\n"), "the file starts with YAML front matter"
    metadata = frontmatter.loads(text).metadata
    assert isinstance(metadata.get("title"), str) and metadata["title"].strip()
    assert set(metadata) <= {"title", "publisher", "url", "date"}
    assert all(isinstance(value, str) and value.strip() for value in metadata.values())


def test_words_notices_a_changed_or_dropped_word():
    seed = "Aspect | Prompt Engineering | Fine-tuning |\n---|---|---|\n  • Cost - low\n  1. Step"
    markdown = "## Aspect\n\n| Aspect | Prompt Engineering | Fine-tuning |\n| --- | --- | --- |\n- Cost - low\n1. Step"
    assert words(seed) == words(markdown)[1:]
    assert words(seed) != words(markdown.replace("low", "high"))
    assert words(seed) != words(markdown.replace("Cost - low", "Cost low"))
    assert words(seed) != words(markdown.replace("1. Step", "2. Step"))
