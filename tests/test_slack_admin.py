"""`/ai-strategy add <url>` and `remove <doc>` in Slack: the real Bolt app through the emulator,
a real web page on loopback, the real model and index; refused for people who are not admins."""

import pytest

from bot.settings import Settings
from bot.slack import messages
from bot.slack.engines import Engines
from bot.storage import Store
from ingest.pipeline import run_ingest
from tests.slack_helpers import ADMIN, ALICE, GENERAL, start_harness
from tests.web_pages import ARTICLE_TITLE, PageServer

SLUG = "prompt-caching-changes-the-fine-tuning-math"
NOTES = "# Prompt notes\n\nPrompt engineering changes instructions.\n\nFine-tuning changes weights.\n\nBoth help.\n"


@pytest.fixture
def admin_slack(tmp_path):
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "prompt-notes.md").write_text(NOTES, encoding="utf-8")
    settings = Settings(knowledge_dir=knowledge, data_dir=tmp_path / "data", _env_file=None)
    run_ingest(settings)

    def unused(*args):
        raise AssertionError("not used")

    engines = Engines(answer=unused, recommend=unused, reindex=lambda: run_ingest(settings))
    harness = start_harness(settings, engines, data_dir=tmp_path / "slack")
    with PageServer() as pages:
        yield harness, pages, knowledge
    harness.close()


def replies(slack, count: int) -> list[str]:
    return [call.args["text"] for call in slack.calls.wait("response_url", count=count, timeout=180)]


def test_non_admins_cannot_add_or_remove(admin_slack):
    harness, pages, knowledge = admin_slack
    for text, verb in ((f"add <{pages.base_url}/article>", "add"), ("remove prompt-notes", "remove")):
        refused = harness.slack.run_command(ALICE, GENERAL, text)
        assert refused.message()["text"] == messages.knowledge_change_refused(verb)
    harness.settle()
    assert sorted(path.name for path in knowledge.iterdir()) == ["prompt-notes.md"]
    assert not harness.slack.calls("response_url")


@pytest.mark.slow
def test_admin_adds_and_removes_a_page_and_every_change_is_recorded(admin_slack):
    harness, pages, knowledge = admin_slack
    slack = harness.slack
    url = f"{pages.base_url}/article"
    started = slack.run_command(ADMIN, GENERAL, f"add <{url}>")  # Slack sends links like this
    assert started.message()["text"].startswith(":arrows_counterclockwise: Adding")
    added = replies(slack, 1)[0]
    assert f"Added *{ARTICLE_TITLE}* from {url}." in added
    assert f"• added *{ARTICLE_TITLE}*: 2 chunks" in added
    assert (knowledge / f"{SLUG}.md").is_file()
    harness.settle()

    slack.run_command(ADMIN, GENERAL, f"remove {SLUG}")
    removed = replies(slack, 2)[1]
    assert f"Removed *{ARTICLE_TITLE}*." in removed and f"• deleted *{ARTICLE_TITLE}*" in removed
    assert not (knowledge / f"{SLUG}.md").exists()
    harness.settle()

    slack.run_command(ADMIN, GENERAL, f"add {pages.base_url}/to-file")
    refused = replies(slack, 3)[2]
    assert refused.startswith(":x: Nothing changed:") and "file:///etc/passwd" in refused
    harness.settle()

    store = Store(harness.settings.resolved_database_url)
    try:
        history = store.knowledge_history()
    finally:
        store.close()
    assert [(c.who, c.action, c.doc, c.title) for c in history] == [
        (ADMIN, "remove", SLUG, ARTICLE_TITLE),
        (ADMIN, "add", SLUG, ARTICLE_TITLE),
    ]
    assert history[1].source == url and history[1].chunks and history[1].published
