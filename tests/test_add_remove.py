"""`ai-strategy add URL|FILE` and `remove DOC`: against a real HTTP server on loopback, the real
model and a real index."""

import json
import re

import frontmatter
import pytest
from typer.testing import CliRunner

from bot.cli import app
from ingest.fetching import FetchLimits, FetchRefused, download_file
from ingest.index import KnowledgeIndex
from ingest.knowledge_files import CannotAdd, add_upload
from ingest.settings import IndexSettings
from tests.test_formats import ARTICLE as PDF_LINES
from tests.test_formats import make_pdf
from tests.web_pages import (
    ADVERT,
    ARTICLE_PARAGRAPHS,
    ARTICLE_TITLE,
    FOOTER,
    NAVIGATION,
    PUBLISHED,
    SITE_NAME,
    V2_PARAGRAPH,
    PageServer,
    article_html,
)

RUNNER = CliRunner()
SLUG = "prompt-caching-changes-the-fine-tuning-math"


@pytest.fixture
def pages():
    with PageServer() as server:
        yield server


@pytest.fixture
def folders(tmp_path):
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    return knowledge, tmp_path / "data"


def run(*args: str, folders=None):
    extra = ["--knowledge-dir", str(folders[0]), "--data-dir", str(folders[1])] if folders else []
    return RUNNER.invoke(app, [*args, *extra])


def reports(output: str, change: str, title: str, doc: str) -> bool:
    """The ingest report lists the document by title, with its chunk count unless deleted."""
    chunks = "" if change == "deleted" else r": \d+ chunks?"
    return re.search(rf"{change}\s+{re.escape(title)} \({doc}\){chunks}", output) is not None


def documents(knowledge):
    return sorted(path.name for path in knowledge.iterdir())


@pytest.mark.slow
def test_add_url_writes_front_matter_and_clean_text_indexes_and_is_cited_with_its_url(
    pages, folders
):
    knowledge, data = folders
    url = f"{pages.base_url}/article"
    result = run("add", f"{pages.base_url}/moved", folders=folders)  # a redirect to /article
    assert result.exit_code == 0, result.output
    assert documents(knowledge) == [f"{SLUG}.md"]
    post = frontmatter.load(knowledge / f"{SLUG}.md")
    assert post["title"] == ARTICLE_TITLE
    assert post["url"] == url
    assert post["publisher"] == SITE_NAME
    assert post["date"] == PUBLISHED
    assert post["fetched_at"].startswith("20")
    for paragraph in ARTICLE_PARAGRAPHS:
        assert paragraph in post.content
    for boilerplate in (ADVERT, FOOTER, *NAVIGATION, "Related posts"):
        assert boilerplate not in post.content
    assert reports(result.output, "added", ARTICLE_TITLE, SLUG)

    index = KnowledgeIndex(IndexSettings(knowledge_dir=knowledge, data_dir=data, _env_file=None))
    try:
        chunks = index.chunks()
    finally:
        index.close()
    assert chunks and {chunk.doc for chunk in chunks} == {SLUG}
    assert all(chunk.url == url for chunk in chunks)

    asked = run("ask", "How much did the cached prompt cost Orchard Labs?", folders=folders)
    assert asked.exit_code == 0, asked.output
    assert f"{ARTICLE_TITLE}" in asked.output and f"<{url}>" in asked.output


@pytest.mark.slow
def test_adding_the_same_url_again_updates_the_document(pages, folders):
    knowledge, data = folders
    url = f"{pages.base_url}/article"
    assert run("add", url, folders=folders).exit_code == 0
    first = frontmatter.load(knowledge / f"{SLUG}.md")
    pages.edition = 2
    result = run("add", url + "#comments", folders=folders)  # same page, another anchor
    assert result.exit_code == 0, result.output
    assert "Updated" in result.output and reports(result.output, "updated", ARTICLE_TITLE, SLUG)
    assert documents(knowledge) == [f"{SLUG}.md"]
    second = frontmatter.load(knowledge / f"{SLUG}.md")
    assert V2_PARAGRAPH in second.content and V2_PARAGRAPH not in first.content
    index = KnowledgeIndex(IndexSettings(knowledge_dir=knowledge, data_dir=data, _env_file=None))
    try:
        assert any(V2_PARAGRAPH[:40] in chunk.text for chunk in index.chunks())
    finally:
        index.close()


@pytest.mark.parametrize(
    ("route", "message"),
    [
        ("/to-ftp", "redirects to 'ftp://127.0.0.1/article.html', which is not an http(s) address"),
        ("/to-file", "redirects to 'file:///etc/passwd', which is not an http(s) address"),
        ("/loop", "more than 5 redirects"),
        ("/huge", "larger than the 10 MB limit"),
        ("/huge-declared", "the page is 50 MB, more than the 10 MB limit"),
        ("/slow", "no answer within 0.3 s (timed out)"),
        ("/image", "content type 'image/png' is not an HTML page"),
        ("/missing", "the server answered 404"),
    ],
)
def test_refused_pages_write_nothing(pages, folders, monkeypatch, route, message):
    monkeypatch.setenv("AI_STRATEGY_FETCH_TIMEOUT_SECONDS", "0.3")
    result = run("add", f"{pages.base_url}{route}", folders=folders)
    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert message in output and "Nothing was written." in output
    assert documents(folders[0]) == []
    assert not folders[1].exists()  # not even an ingest started


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/a.html", "file:///etc/passwd", "javascript:alert(1)"]
)
def test_other_schemes_are_refused_before_any_request(folders, url):
    result = run("add", url, "--no-ingest", folders=folders)
    assert result.exit_code == 1
    assert "only http and https pages can be added" in " ".join(result.output.split())
    assert documents(folders[0]) == []


def test_add_file_converts_text_to_markdown_with_front_matter(folders, tmp_path):
    source = tmp_path / "notes.txt"
    source.write_text(
        "Prompt versus tuning notes\n\nPrompt engineering changes the instructions only.\n\n"
        "• Fine-tuning changes the weights\n• It needs labelled data\n",
        encoding="utf-8",
    )
    result = run("add", str(source), "--no-ingest", folders=folders)
    assert result.exit_code == 0, result.output
    assert documents(folders[0]) == ["prompt-versus-tuning-notes.md"]
    post = frontmatter.load(folders[0] / "prompt-versus-tuning-notes.md")
    assert post["title"] == "Prompt versus tuning notes"
    assert post["source_file"] == "notes.txt" and "added_at" in post.metadata
    assert "url" not in post.metadata  # a file has no address: none is invented
    assert "- Fine-tuning changes the weights" in post.content
    again = run("add", str(source), "--no-ingest", folders=folders)
    assert again.exit_code == 0 and "Updated" in again.output
    assert documents(folders[0]) == ["prompt-versus-tuning-notes.md"]


def test_add_file_refuses_unsupported_and_missing_files(folders, tmp_path):
    binary = tmp_path / "slides.pptx"
    binary.write_bytes(b"PK\x03\x04")
    for source, message in (
        (binary, "unsupported file type '.pptx'"),
        (tmp_path / "nope.md", "no such file"),
    ):
        result = run("add", str(source), "--no-ingest", folders=folders)
        assert result.exit_code == 1 and message in " ".join(result.output.split())
    assert documents(folders[0]) == []


@pytest.mark.slow
def test_remove_deletes_the_file_and_its_chunks(pages, folders, tmp_path):
    knowledge, data = folders
    assert run("add", f"{pages.base_url}/article", folders=folders).exit_code == 0
    other = tmp_path / "other.md"
    other.write_text(
        "# Prompting notes\n\nPrompt engineering needs no training data at all.\n\n"
        "Fine-tuning needs labelled examples.\n\nBoth can be combined.\n",
        encoding="utf-8",
    )
    assert run("add", str(other), folders=folders).exit_code == 0
    result = run("remove", f"{pages.base_url}/article", folders=folders)  # by its url
    assert result.exit_code == 0, result.output
    assert reports(result.output, "deleted", ARTICLE_TITLE, SLUG)
    assert documents(knowledge) == ["prompting-notes.md"]
    index = KnowledgeIndex(IndexSettings(knowledge_dir=knowledge, data_dir=data, _env_file=None))
    try:
        assert {chunk.doc for chunk in index.chunks()} == {"prompting-notes"}
    finally:
        index.close()


def test_remove_unknown_document_names_close_matches(folders):
    (folders[0] / "prompting-notes.md").write_text("# Notes\n\ntext\n", encoding="utf-8")
    result = run("remove", "prompting-note", "--no-ingest", folders=folders)
    assert result.exit_code == 1
    assert "no document 'prompting-note'" in result.output and "prompting-notes" in result.output
    assert documents(folders[0]) == ["prompting-notes.md"]


def test_every_add_and_remove_is_in_the_history(folders, tmp_path):
    source = tmp_path / "notes.md"
    source.write_text("# Prompt notes\n\nPrompt engineering needs no training.\n", encoding="utf-8")
    assert run("add", str(source), "--no-ingest", folders=folders).exit_code == 0
    assert run("remove", "prompt-notes", "--no-ingest", folders=folders).exit_code == 0
    history = run("ingest", "--history", "--json", folders=folders)
    assert history.exit_code == 0, history.output
    changes = json.loads(history.output)
    assert [(c["action"], c["doc"], c["title"]) for c in changes] == [
        ("remove", "prompt-notes", "Prompt notes"),
        ("add", "prompt-notes", "Prompt notes"),
    ]
    assert all(c["who"].startswith("cli:") and not c["published"] for c in changes)
    assert changes[1]["source"] == str(source)
    lines = run("ingest", "--history", folders=folders).output.splitlines()
    assert len(lines) == 2 and "remove" in lines[0] and "Prompt notes (prompt-notes)" in lines[0]


def test_an_uploaded_file_is_added_under_its_own_name_only(folders):
    knowledge = folders[0]
    content = b"# Upload notes\n\nPrompt engineering needs no labelled data.\n"
    added = add_upload("../../etc/upload-notes.md", content, knowledge)
    assert documents(knowledge) == ["upload-notes.md"] and added.title == "Upload notes"
    assert frontmatter.load(knowledge / "upload-notes.md")["source_file"] == "upload-notes.md"
    assert add_upload("upload-notes.md", content, knowledge).replaced
    with pytest.raises(CannotAdd, match=r"^slides\.pptx: unsupported file type '\.pptx'"):
        add_upload("slides.pptx", b"PK\x03\x04", knowledge)
    assert documents(knowledge) == ["upload-notes.md"]


@pytest.mark.parametrize(
    ("route", "message"),
    [
        ("/to-file", "the download was refused (302 Found); can the app read files"),
        ("/missing", "the download was refused (404 Not Found)"),
        ("/huge", "the file is larger than the 1 MB limit; refused"),
        ("/huge-declared", "the file is 50 MB, more than the 1 MB limit"),
        ("/slow", "no answer within 0.3 s (timed out)"),
    ],
)
def test_a_download_follows_no_redirect_and_keeps_to_its_limits(pages, route, message):
    limits = FetchLimits(timeout_seconds=0.3, max_bytes=1024 * 1024)
    with pytest.raises(FetchRefused) as refused:
        download_file(f"{pages.base_url}{route}", "notes.md", limits, headers={})
    assert str(refused.value).startswith("notes.md: ") and message in str(refused.value)
    page = download_file(f"{pages.base_url}/article", "a.html", limits, headers={"X-A": "1"})
    assert ARTICLE_TITLE.encode() in page


def test_add_file_converts_a_pdf_and_a_saved_html_page(folders, tmp_path):
    pdf = tmp_path / "Tuning notes.pdf"
    pdf.write_bytes(make_pdf(PDF_LINES))
    page = tmp_path / "saved-article.html"
    page.write_text(article_html(), encoding="utf-8")
    for source in (pdf, page):
        result = run("add", str(source), "--no-ingest", folders=folders)
        assert result.exit_code == 0, result.output
    written = {path.name: frontmatter.load(path) for path in folders[0].iterdir()}
    html_doc = written[f"{SLUG}.md"]
    assert html_doc["title"] == ARTICLE_TITLE and html_doc["source_file"] == page.name
    assert ARTICLE_PARAGRAPHS[0][:40] in html_doc.content
    assert ADVERT not in html_doc.content and FOOTER not in html_doc.content
    (pdf_doc,) = (post for name, post in written.items() if name != f"{SLUG}.md")
    assert pdf_doc["source_file"] == pdf.name and PDF_LINES[2] in " ".join(pdf_doc.content.split())
