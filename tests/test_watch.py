"""`ingest --watch`: a real process re-ingesting when knowledge/ changes."""

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from watchfiles import Change

from ingest.index import KnowledgeIndex
from ingest.settings import IndexSettings
from ingest.watching import KnowledgeFilter

DOC = """# Prompting notes

Prompt engineering changes the instructions given to a model, never its weights.

Fine-tuning trains the model further on labelled examples from the target task.

Teams often start with prompts and fine-tune once the task is stable.
"""
EDIT = "\nA watched edit: prompts can be versioned and reviewed like code.\n"


def test_the_filter_watches_documents_and_checks_only(tmp_path):
    keep = KnowledgeFilter()
    assert keep(Change.modified, str(tmp_path / "notes.md"))
    assert keep(Change.added, str(tmp_path / "sub" / "paper.pdf"))
    assert keep(Change.modified, str(tmp_path / "checks.jsonl"))
    assert not keep(Change.added, str(tmp_path / ".notes.md.tmp"))  # `add` writes, then renames
    assert not keep(Change.modified, str(tmp_path / "notes.md~"))
    assert not keep(Change.modified, str(tmp_path / "README.md"))
    assert not keep(Change.modified, str(tmp_path / "notes.docx"))


def _lines(stream, into: queue.Queue) -> None:
    with stream:  # closed when the process's output ends
        for line in stream:
            into.put(line)


def _wait_for(lines: queue.Queue, text: str, timeout: float, seen: list[str]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        seen.append(line)
        if text in line:
            return
    pytest.fail(f"no {text!r} within {timeout} s; output: {''.join(seen)}")


@pytest.mark.slow
def test_watch_reingests_an_edit(tmp_path):
    knowledge, data = tmp_path / "knowledge", tmp_path / "data"
    knowledge.mkdir()
    (knowledge / "notes.md").write_text(DOC, encoding="utf-8")
    command = [str(Path(sys.executable).with_name("ai-strategy")), "ingest", "--watch"]
    process = subprocess.Popen(
        [*command, "--knowledge-dir", str(knowledge), "--data-dir", str(data)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_lines, args=(process.stdout, lines), daemon=True).start()
    seen: list[str] = []
    try:
        _wait_for(lines, "Indexed: 1 added", 300, seen)
        (knowledge / "notes.md").write_text(DOC + EDIT, encoding="utf-8")
        _wait_for(lines, "Indexed: 0 added, 1 updated", 120, seen)
        index = KnowledgeIndex(
            IndexSettings(knowledge_dir=knowledge, data_dir=data, _env_file=None)
        )
        try:
            assert any("versioned and reviewed" in chunk.text for chunk in index.chunks())
        finally:
            index.close()
    finally:
        process.send_signal(signal.SIGTERM)  # what `docker compose stop` sends
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.returncode == 0, "".join(seen)
