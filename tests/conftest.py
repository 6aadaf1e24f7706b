"""Shared fixtures: an isolated environment, the two tiers, one real index of knowledge/, and
the Slack end-to-end harness (the real bot over HTTP against the emulator) on its engines.

Two tiers: the fast one (`pytest -m "not slow"`) runs on `FakeEmbedder`, installed at the
embedding interface for every test not marked slow, and fails a test that loads the real model
anyway. Tests that need the model's semantics are marked `integration` (and so slow); so is,
automatically, every test that uses the real index of knowledge/ (`indexed_settings`).
"""

import os
from dataclasses import replace
from pathlib import Path

import pytest

import ingest.embedding
from bot.answering.engine import AnswerEngine
from bot.assessment import recommend
from bot.settings import Settings
from bot.slack.engines import Engines
from ingest.index import KnowledgeIndex
from ingest.pipeline import run_ingest
from slack_emulator import DEFAULT_SCOPES
from tests.fake_embedder import FakeEmbedder
from tests.slack_helpers import start_harness

REPO = Path(__file__).resolve().parents[1]
KNOWLEDGE_DIR = REPO / "knowledge"
SHARED_DIR = REPO.parent / "shared"


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory) -> Path:
    """One folder of exported ONNX models for the whole session: the model is exported once.

    `AI_STRATEGY_TEST_MODEL_DIR` keeps it across sessions (an export takes about a minute).
    """
    kept = os.environ.get("AI_STRATEGY_TEST_MODEL_DIR")
    return Path(kept) if kept else tmp_path_factory.mktemp("models")


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch, tmp_path, models_dir):
    """No developer's `.env`, tokens or settings leak into a test; nothing is downloaded."""
    for name in list(os.environ):
        if name.startswith(("AI_STRATEGY_", "SLACK_", "CHROMA_", "OPENAI_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("AI_STRATEGY_MODEL_DIR", str(models_dir))
    monkeypatch.chdir(tmp_path)


REAL_MODEL_FIXTURES = {"indexed_settings", "knowledge_index"}


def pytest_collection_modifyitems(items):
    """Tests on the real model are integration tests, and integration tests are slow."""
    for item in items:
        if REAL_MODEL_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.integration)
        if item.get_closest_marker("integration"):
            item.add_marker(pytest.mark.slow)


REAL_LOAD_SPEC = ingest.embedding.load_spec  # cached: one load per spec and process
_fast_test: list[bool] = [False]
_LOADS_BEFORE = pytest.StashKey[
    int
]()  # the test being set up, run or torn down is in the fast tier


def real_model_loads() -> int:
    """How many embedding models this process has loaded (ONNX or torch)."""
    return REAL_LOAD_SPEC.cache_info().misses


def _tiered_load_spec(spec):
    """What `ingest.embedding.load_embedder` loads: the real model only for slow tests."""
    return FakeEmbedder(spec) if _fast_test[0] else REAL_LOAD_SPEC(spec)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """The tier is set before any fixture of the test, module- and session-scoped ones too."""
    _fast_test[0] = item.get_closest_marker("slow") is None
    item.stash[_LOADS_BEFORE] = real_model_loads()


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item):
    """A fast test that got the real model by another way than load_embedder fails."""
    if _fast_test[0] and real_model_loads() != item.stash[_LOADS_BEFORE]:
        pytest.fail(
            f"{item.nodeid} is in the fast tier but loaded the embedding model: mark it "
            "integration, or let it embed through ingest.embedding.load_embedder"
        )


ingest.embedding.load_spec = _tiered_load_spec


@pytest.fixture(scope="session")
def indexed_settings(tmp_path_factory) -> Settings:
    """Settings whose data dir holds a real index of the repository's knowledge/ folder."""
    settings = Settings(
        knowledge_dir=KNOWLEDGE_DIR, data_dir=tmp_path_factory.mktemp("data"), _env_file=None
    )
    summary = run_ingest(settings)
    assert summary.skipped == 0, summary.skipped_files
    return settings


@pytest.fixture(scope="session")
def knowledge_index(indexed_settings):
    index = KnowledgeIndex(indexed_settings)
    yield index
    index.close()


@pytest.fixture(scope="session")
def engines(indexed_settings, knowledge_index) -> Engines:
    """The real engines over the session's index."""
    engine = AnswerEngine(indexed_settings, knowledge_index)
    return Engines(
        answer=engine.answer,
        recommend=lambda answers: recommend(answers, knowledge_index),
        reindex=lambda: run_ingest(indexed_settings),
        published=knowledge_index.published,
    )


@pytest.fixture
def make_harness(indexed_settings, engines, tmp_path):
    """Start an emulator + bot pair, some engines replaced if asked (and the token's `scopes`,
    some `settings`); stopped after the test."""
    started = []

    def make(*, scopes=DEFAULT_SCOPES, settings=None, **replaced):
        harness = start_harness(
            indexed_settings,
            replace(engines, **replaced),
            data_dir=tmp_path / str(len(started)),
            scopes=scopes,
            **(settings or {}),
        )
        started.append(harness)
        return harness

    yield make
    for harness in started:
        harness.close()


@pytest.fixture
def harness(make_harness):
    return make_harness()
