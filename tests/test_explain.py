"""`ingest --explain DOC` and front matter `keep`, on the seeded documents and the real model."""

import json
import shutil

import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.conftest import KNOWLEDGE_DIR

RUNNER = CliRunner()
pytestmark = pytest.mark.slow


def explain(doc: str, knowledge=KNOWLEDGE_DIR, *args: str) -> dict:
    result = RUNNER.invoke(
        app, ["ingest", "--explain", doc, "--knowledge-dir", str(knowledge), *args]
    )
    assert result.exit_code == 0, result.output
    return result


def blocks(doc: str, knowledge=KNOWLEDGE_DIR) -> list[dict]:
    return json.loads(explain(doc, knowledge, "--json").output)["blocks"]


def decision(found: list[dict], start: str) -> dict:
    return next(block for block in found if block["text"].startswith(start))


def test_explain_prints_each_block_kept_or_removed_with_its_reason():
    output = explain("latitude-fine-tuning-vs-prompt-engineering").output
    assert "Fine-Tuning vs Prompt Engineering: Key Differences" in output.splitlines()[0]
    closing = next(line for line in output.splitlines() if "Ultimately, success depends" in line)
    assert "KEPT" in closing and "<" in closing  # below the threshold, yet kept: and why
    assert "completes the last section of the main content" in output
    related = next(line for line in output.splitlines() if "Related posts" in line)
    assert "REMOVED" in related


def test_the_known_closing_paragraphs_are_kept_and_the_advertising_removed():
    latitude = blocks("latitude-fine-tuning-vs-prompt-engineering")
    assert decision(latitude, "Ultimately, success depends")["kept"]
    battle = blocks("battle-of-prompt-engineering-vs-fine-tuning")
    assert decision(
        battle, "The prioritization depends on your specific use case and goals. Consider"
    )["kept"]
    assert not decision(battle, "Your email address will not be published")["kept"]
    rejolut = blocks("rejolut-prompt-engineering-vs-fine-tuning")
    for advert in ("CoinDCX", "2-22 Wenlock Road", "Pablo Peillard", "Solana Is A Webscale"):
        found = decision(rejolut, advert)
        assert not found["kept"] and found["reason"] == "after the main content", found
    assert decision(rejolut, "In conclusion, the choice between")["kept"]


def test_front_matter_keep_overrides_cleaning(tmp_path):
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    source = (KNOWLEDGE_DIR / "rejolut-prompt-engineering-vs-fine-tuning.md").read_text(
        encoding="utf-8"
    )
    everything = source.replace("---\ntitle:", "---\nkeep: all\ntitle:", 1)
    (knowledge / "everything.md").write_text(everything, encoding="utf-8")
    assert all(block["kept"] for block in blocks("everything", knowledge))

    sections = source.replace("---\ntitle:", "---\nkeep: [Our Clients]\ntitle:", 1)
    (knowledge / "clients.md").write_text(sections, encoding="utf-8")
    found = blocks("clients", knowledge)
    assert decision(found, "CoinDCX")["kept"]
    assert decision(found, "CoinDCX")["reason"] == "front matter keep: under 'Our Clients'"
    assert not decision(found, "2-22 Wenlock Road")["kept"]  # another section: cleaned as usual


def test_explain_names_an_unknown_document(tmp_path):
    result = RUNNER.invoke(
        app, ["ingest", "--explain", "latitude", "--knowledge-dir", str(KNOWLEDGE_DIR)]
    )
    assert result.exit_code == 1
    assert "no document 'latitude'" in result.output


def test_invalid_keep_is_reported(tmp_path):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, knowledge, ignore=shutil.ignore_patterns("*.jsonl", "README.md"))
    path = knowledge / "futurepoint-ai-tech-in-ten.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace("---\ntitle:", "---\nkeep: 3\ntitle:", 1),
        encoding="utf-8",
    )
    result = RUNNER.invoke(
        app,
        ["ingest", "--explain", "futurepoint-ai-tech-in-ten", "--knowledge-dir", str(knowledge)],
    )
    assert result.exit_code == 1
    assert "front matter `keep` must be `all` or a list of headings, not 3" in " ".join(
        result.output.split()
    )
