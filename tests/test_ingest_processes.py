"""Ingest and search in separate processes, as an admin and the running bot use them."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from bot.settings import Settings
from ingest.index import KnowledgeIndex
from ingest.pipeline import run_ingest
from ingest.store import VersionStore
from tests.conftest import KNOWLEDGE_DIR

pytestmark = pytest.mark.slow

READER = """
import json, sys, time
from ingest.settings import IndexSettings
from ingest.index import KnowledgeIndex
index = KnowledgeIndex(IndexSettings(knowledge_dir=sys.argv[1], data_dir=sys.argv[2], _env_file=None))
index.search("warm up", 1)
print("ready", flush=True)
stop = time.monotonic() + float(sys.argv[3])
while time.monotonic() < stop:
    before = index.version
    hit = index.search("What is prompt chaining?", 1)[0]
    if index.version == before:  # a switch mid-search would pair one version with the other's hit
        print(json.dumps({"version": before, "doc": hit.doc}), flush=True)
    time.sleep(0.02)
"""


def ingest_process(settings: Settings) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ingest",
            "ingest",
            "--knowledge-dir",
            str(settings.knowledge_dir),
            "--data-dir",
            str(settings.data_dir),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def settings(tmp_path) -> Settings:
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "basics.md").write_text(
        "# Basics\n\nPrompt engineering shapes the instructions given to a model.\n\n"
        "Fine-tuning trains the model on labeled examples.\n",
        encoding="utf-8",
    )
    return Settings(knowledge_dir=knowledge, data_dir=tmp_path / "data", _env_file=None)


def test_reader_keeps_searching_through_a_reingest_and_then_sees_it(settings):
    first = run_ingest(settings).version
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(settings.knowledge_dir), str(settings.data_dir), "600"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout.readline().strip() == "ready"
        (settings.knowledge_dir / "chaining.md").write_text(
            "# Prompt chaining\n\nPrompt chaining splits a task into a sequence of prompts, each "
            "feeding the next.\n",
            encoding="utf-8",
        )
        ingest = ingest_process(settings)
        _, errors = ingest.communicate(timeout=300)
        assert ingest.returncode == 0, errors
        second = VersionStore(settings.index_dir).current_name()
        seen = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            seen.append(json.loads(reader.stdout.readline()))
            if seen[-1]["version"] == second:
                break
        assert seen[0]["version"] == first and seen[-1] == {"version": second, "doc": "chaining"}
        # A third version while the reader still holds the second: the first goes, the second
        # stays on disk for the reader. The reader is stopped (its lock stays held) so that it
        # cannot move on to the third between the publish and the clean-up.
        reader.send_signal(signal.SIGSTOP)
        (settings.knowledge_dir / "basics.md").write_text(
            "# Basics\n\nChanged text about prompts.\n"
        )
        run_ingest(settings)
        reader.send_signal(signal.SIGCONT)
        versions = {path.name for path in (settings.index_dir / "versions").iterdir()}
        assert first not in versions and second in versions
    finally:
        reader.kill()
        _, errors = reader.communicate()  # the rest of its output; its pipes closed
    assert "Traceback" not in errors


@pytest.mark.parametrize("kill_when", ["reading", "building"])
def test_killed_ingest_leaves_the_previous_index_whole(settings, kill_when):
    first = run_ingest(settings).version
    for source in KNOWLEDGE_DIR.glob("*.md"):
        if source.name != "README.md":
            (settings.knowledge_dir / source.name).write_bytes(source.read_bytes())
    process = ingest_process(settings)
    versions = settings.index_dir / "versions"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        building = any(path.name.endswith(".building") for path in versions.iterdir())
        if kill_when == "reading" or building:
            time.sleep(0.5 if kill_when == "reading" else 0.2)
            break
        time.sleep(0.05)
    assert process.poll() is None, "ingest finished before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.communicate()  # reaped, its pipes closed
    assert VersionStore(settings.index_dir).current_name() == first
    index = KnowledgeIndex(settings)
    assert index.search("labeled examples", 1)[0].doc == "basics"
    index.close()
    summary = run_ingest(settings)
    assert summary.added >= 1 and summary.skipped == 0
    assert [path.name for path in versions.iterdir()] == [summary.version]
