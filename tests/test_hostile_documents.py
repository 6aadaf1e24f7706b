"""Hostile and careless documents (issue 12, items 1, 4, 5, 6): links cannot inject Slack
markup, secrets are redacted at ingest, parsing is linear, and files that must not become
knowledge are skipped by name with the previous index intact."""

import os
import time
from pathlib import Path

from bot.settings import Settings
from bot.slack.blocks import sources
from bot.slack.mrkdwn import link_target, to_mrkdwn
from common.redaction import redact_secrets
from ingest.discovery import discover
from ingest.index import KnowledgeIndex
from ingest.parsing import text_blocks
from ingest.pipeline import run_ingest
from tests.slack_helpers import block_texts, cited_answer
from tests.test_ingest import FINE_TUNING, PROMPTING, write_docs

INJECTED_URL = "https://evil.example/a|Official docs> <!channel> <https://evil.example/b"


def test_a_document_url_cannot_close_its_link_or_mention_the_channel():
    citation = cited_answer("q").citations[0].model_copy(update={"url": INJECTED_URL})
    text = block_texts(sources([(1, citation)]))
    assert "<!channel>" not in text
    assert text.count("<") == text.count(">") == 1  # one link, whole
    assert "%7COfficial%20docs%3E%20%3C!channel%3E" in text


def test_only_web_links_become_links():
    assert link_target("javascript:alert(1)") is None
    assert link_target("slack://channel?id=C1") is None
    assert link_target("mailto:a@b.c") is None
    assert link_target("/relative") is None
    assert link_target("HTTPS://example.com/a b") == "HTTPS://example.com/a%20b"
    rendered = to_mrkdwn("[docs](javascript:alert(1)) and [ok](https://example.com/x>y)")
    assert "<javascript" not in rendered and "<https://example.com/x%3Ey|ok>" in rendered


def test_secrets_of_every_common_shape_are_redacted():
    text = (
        "bot xoxb-1234-5678-abcdefgh, openai sk-proj-abcdefghijklmnopqrstuvwx, aws "
        "AKIAABCDEFGHIJKLMNOP, github ghp_" + "a" * 36 + ", api_key = 9f8e7d6c5b4a3f2e, "
        "postgres://app:hunter22@db/x, Authorization: Bearer abc.def.ghi"
    )
    clean, count = redact_secrets(text)
    for secret in (
        "xoxb-1234",
        "sk-proj-",
        "AKIAABCD",
        "ghp_aaaa",
        "9f8e7d6c",
        "hunter22",
        "abc.def",
    ):
        assert secret not in clean
    assert count == 7
    prose = "Fine-tuning is a token-efficient way to teach a model; the secret is good data."
    assert redact_secrets(prose) == (prose, 0)


def test_parsing_a_long_text_file_is_linear():
    def seconds(lines: int) -> float:
        text = "\n".join(
            f"Line {n} of a log with some words in it." if n % 7 else "" for n in range(lines)
        )
        started = time.perf_counter()
        text_blocks(text)
        return time.perf_counter() - started

    small = min(seconds(10_000) for _ in range(3))
    large = seconds(80_000)
    # Linear: about 8 times the small file; the per-line copy of the rest made it about 64.
    assert large < 25 * small + 0.5, (small, large)


def test_discovery_skips_what_must_not_become_knowledge(tmp_path):
    knowledge = write_docs(tmp_path / "knowledge", good__md="# Good\n\nText.")
    outside = tmp_path / "outside.txt"
    outside.write_text("root:x:0:0:root:/root:/bin/bash\n")
    (knowledge / "passwd.txt").symlink_to(outside)
    (knowledge / "gone.md").symlink_to(tmp_path / "missing.md")
    (knowledge / "inside.md").symlink_to(knowledge / "good.md")
    (knowledge / "folder.md").mkdir()
    (knowledge / "big.txt").write_text("x" * 5000)
    bad_name = os.fsencode(knowledge) + b"/caf\xe9.md"
    with open(bad_name, "w") as handle:
        handle.write("# Latin-1 name\n\nText.")
    found = discover(knowledge, max_bytes=4000)
    assert sorted(path.name for path in found.documents) == ["good.md", "inside.md"]
    reasons = {Path(name).name: reason for name, reason in found.skipped}
    assert "outside the knowledge folder" in reasons["passwd.txt"]
    assert "broken link" in reasons["gone.md"]
    assert "folder named like a document" in reasons["folder.md"]
    assert "AI_STRATEGY_MAX_DOCUMENT_BYTES" in reasons["big.txt"]
    assert "not valid UTF-8" in reasons["caf\\xe9.md"]


def test_ingest_skips_hostile_files_by_name_redacts_secrets_and_leaves_no_build(tmp_path, caplog):
    knowledge = write_docs(
        tmp_path / "knowledge", fine_tuning__md=FINE_TUNING, prompting__md=PROMPTING
    )
    settings = Settings(knowledge_dir=knowledge, data_dir=tmp_path / "data", _env_file=None)
    first = run_ingest(settings)
    (knowledge / "passwd.txt").symlink_to("/etc/passwd")
    (knowledge / "notes.md").write_text(
        "# Deployment notes\n\nThe bot token is xoxb-9999-8888-secretvalue for the workspace.\n"
    )
    with open(os.fsencode(knowledge) + b"/r\xe9sum\xe9.md", "w") as handle:
        handle.write("# Name in latin-1\n\nPrompt chaining splits a task.")
    (knowledge / "dump.txt").write_text("log line\n" * 3000)
    summary = run_ingest(settings.model_copy(update={"max_document_bytes": 20_000}))
    assert summary.added == 1 and summary.skipped == 3
    assert summary.version != first.version
    messages = " ".join(record.getMessage() for record in caplog.records)
    assert "passwd.txt" in messages and "dump.txt" in messages and "r\\xe9sum\\xe9.md" in messages
    assert "redacted 1 secret(s) in" in messages and "notes.md" in messages
    index = KnowledgeIndex(settings)
    try:
        texts = " ".join(chunk.text for chunk in index.chunks())
        assert "root:x:0:0" not in texts and "xoxb-9999" not in texts
        assert "[redacted]" in texts
    finally:
        index.close()
    versions = [p.name for p in (settings.index_dir / "versions").iterdir()]
    assert not any(name.endswith(".building") for name in versions)
