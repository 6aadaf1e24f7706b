"""The quality gate: a new index version that answers the checks worse is kept aside."""

import shutil

import pytest
from typer.testing import CliRunner

from bot.answering.engine import AnswerEngine
from bot.cli import app
from bot.settings import Settings
from bot.slack.messages import reindex_done
from ingest.index import KnowledgeIndex
from ingest.outcomes import DocumentChange, IngestSummary
from ingest.quality_gate import CheckResults, FailedCheck, judge
from ingest.store import VersionStore
from tests.conftest import KNOWLEDGE_DIR

RUNNER = CliRunner()
LATITUDE = "latitude-fine-tuning-vs-prompt-engineering"
SOURDOUGH = """---
title: "Fine-Tuning vs Prompt Engineering: Key Differences"
---
# Sourdough at home

Feed the starter with equal weights of flour and water the evening before baking.

Mix the dough, rest it for an hour, then fold it every half hour for three hours.

Shape the loaf, proof it overnight in the fridge, and bake it in a covered pot at 250 °C.

Let the bread cool for an hour before slicing, or the crumb turns gummy.
"""


class _Closable:
    def close(self) -> None:
        pass


def results(version: str, rate: float, failed: tuple[str, ...] = ()) -> CheckResults:
    return CheckResults(
        version=version,
        checks=10,
        hit_rate=rate,
        failed=[FailedCheck(id=check, question=f"question {check}") for check in failed],
    )


def verdict_for(candidate: CheckResults, previous: CheckResults | None, *, floor=0.8, force=False):
    by_version = {"new": candidate, "old": previous}
    return judge(
        lambda index, documents: by_version[index.name],
        index_for=lambda name: type("Pinned", (_Closable,), {"name": name})(),
        candidate="new",
        current="old" if previous else None,
        documents={"a"},
        floor=floor,
        force=force,
    )


def test_gate_refuses_a_version_below_the_current_one_or_the_floor():
    worse = verdict_for(results("new", 0.9, ("c2",)), results("old", 1.0))
    assert not worse.passed and not worse.published
    assert worse.reasons() == ["citation hit rate 0.90 is below the current version's 1.00"]
    assert [check.id for check in worse.newly_failed()] == ["c2"]
    low = verdict_for(results("new", 0.5), None)
    assert low.reasons() == ["citation hit rate 0.50 is below the floor 0.80"]
    assert verdict_for(results("new", 0.9), results("old", 0.9)).passed
    forced = verdict_for(results("new", 0.5), results("old", 1.0), force=True)
    assert forced.forced and forced.published and not forced.passed


def test_the_slack_reindex_reply_says_which_checks_failed():
    kept_aside = verdict_for(results("new", 0.7, ("c4",)), results("old", 1.0))
    summary = IngestSummary(
        updated=1,
        published=False,
        gate=kept_aside,
        documents=[DocumentChange(change="updated", doc="a", title="Doc <A>", chunks=3)],
    )
    reply = reindex_done(summary)
    assert reply.startswith(":warning:") and "kept aside" in reply
    assert "• updated *Doc &lt;A&gt;*: 3 chunks" in reply
    assert "below the floor 0.80" in reply and "below the current version's 1.00" in reply
    assert "• failed check `c4`: question c4" in reply
    assert "ai-strategy ingest --force" in reply
    passed = reindex_done(IngestSummary(gate=verdict_for(results("new", 1.0), None)))
    assert "Quality gate passed: citation hit rate 1.00 on 10 checks." in passed


@pytest.fixture
def gated(indexed_settings, tmp_path) -> Settings:
    """A copy of the knowledge base with its checks, and of its index (nothing re-embedded)."""
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    for path in KNOWLEDGE_DIR.iterdir():
        if path.suffix in (".md", ".jsonl") and path.name != "README.md":
            shutil.copy(path, knowledge / path.name)
    shutil.copytree(indexed_settings.index_dir, tmp_path / "data" / "index")
    return Settings(knowledge_dir=knowledge, data_dir=tmp_path / "data", _env_file=None)


def ingest(settings: Settings, *args: str):
    return RUNNER.invoke(
        app,
        [
            "ingest",
            "--knowledge-dir",
            str(settings.knowledge_dir),
            "--data-dir",
            str(settings.data_dir),
            *args,
        ],
    )


def current_version(settings: Settings) -> str:
    return VersionStore(settings.index_dir).current_name()


@pytest.mark.slow
def test_an_off_topic_replacement_is_stopped_and_the_bot_keeps_the_previous_version(gated):
    before = current_version(gated)
    serving = KnowledgeIndex(gated)
    engine = AnswerEngine(gated, serving)
    question = "What are the phases of the fine-tuning process?"
    assert LATITUDE in {citation.doc for citation in engine.answer(question).citations}

    (gated.knowledge_dir / f"{LATITUDE}.md").write_text(SOURDOUGH, encoding="utf-8")
    result = ingest(gated)
    assert result.exit_code == 4, result.output
    assert "Quality gate FAILED" in result.output and "kept aside" in result.output
    assert "below the current version's" in result.output
    assert "failed check c04: What are the phases of the fine-tuning process?" in result.output
    assert current_version(gated) == before
    rejected = VersionStore(gated.index_dir).rejected_name()
    assert rejected and rejected != before and (gated.index_dir / "versions" / rejected).is_dir()
    answer = engine.answer(question)
    assert serving.version == before
    assert LATITUDE in {citation.doc for citation in answer.citations}
    assert not any("sourdough" in chunk.text.lower() for chunk in serving.chunks())

    forced = ingest(gated, "--force")
    assert forced.exit_code == 0, forced.output
    assert "--force switched anyway" in forced.output
    assert current_version(gated) not in (before, rejected)
    assert any("starter" in chunk.text for chunk in serving.chunks() if chunk.doc == LATITUDE)
    serving.close()


@pytest.mark.slow
def test_removing_a_document_on_purpose_passes_the_gate(gated):
    result = RUNNER.invoke(
        app,
        [
            "remove",
            "futurepoint-ai-tech-in-ten",
            "--knowledge-dir",
            str(gated.knowledge_dir),
            "--data-dir",
            str(gated.data_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Quality gate passed" in result.output
    assert "on 11 checks" in result.output  # c07 expects only the removed document: skipped
