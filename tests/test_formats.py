"""Each supported format becomes the same kind of structured, cleaned chunks."""

from pathlib import Path

from ingest.parsing import parse_document, text_blocks

ARTICLE = [
    "Prompt engineering adjusts the instructions given to a language model, never its weights.",
    "Teams iterate on prompts quickly and test every version against a set of examples.",
    "Fine-tuning trains the model further on labeled examples from the target domain.",
    "It needs a large set of high-quality data and machine learning skills to run.",
]


def make_pdf(lines: list[str]) -> bytes:
    """A minimal one-page PDF with a text layer (test data, written to the PDF 1.4 spec)."""
    text = "BT /F1 11 Tf 50 750 Td 14 TL " + " ".join(f"({line}) '" for line in lines) + " ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text.encode()),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def test_pdf_text_is_read(tmp_path: Path):
    path = tmp_path / "notes.pdf"
    path.write_bytes(make_pdf(ARTICLE))
    document = parse_document(path)
    text = " ".join(block.text for block in document.blocks)
    assert "never its weights" in text and "labeled examples" in text
    assert document.doc_id == "notes"


def test_html_main_content_is_extracted_without_navigation(tmp_path: Path):
    paragraphs = "".join(f"<p>{sentence}</p>" for sentence in ARTICLE)
    (tmp_path / "page.html").write_text(
        "<html><head><title>Prompts or fine-tuning</title>"
        '<meta property="og:url" content="https://example.com/prompts"></head><body>'
        "<nav><ul><li><a href='/'>Home</a></li><li><a href='/shop'>Shop</a></li></ul></nav>"
        f"<article><h1>Prompts or fine-tuning</h1>{paragraphs}"
        "<h2>Costs</h2><ul><li>Prompting costs little upfront.</li>"
        "<li>Fine-tuning costs more upfront but less per request.</li></ul></article>"
        "<footer>Copyright 2025 Example Corp. Subscribe to our newsletter!</footer></body></html>",
        encoding="utf-8",
    )
    document = parse_document(tmp_path / "page.html")
    text = "\n".join(block.text for block in document.blocks)
    assert document.title == "Prompts or fine-tuning"
    assert document.url == "https://example.com/prompts"
    assert "never its weights" in text and "less per request" in text
    assert "Subscribe" not in text and "Shop" not in text
    assert any(block.kind == "list_item" for block in document.blocks)


def test_plain_text_layout_gives_headings_lists_and_tables():
    blocks = text_blocks(
        "Choosing an approach\n\nCosts\nPrompting is cheap to start with, and quick to change.\n"
        "  • Low upfront cost\n  • Higher cost per request\n\n"
        "Aspect | Prompting | Fine-tuning |\n---|---|---|\nCost | Low | High |\n"
    )
    kinds = [(block.kind, block.text.splitlines()[0]) for block in blocks]
    assert kinds == [
        ("heading", "Choosing an approach"),
        ("heading", "Costs"),
        ("paragraph", "Prompting is cheap to start with, and quick to change."),
        ("list_item", "- Low upfront cost"),
        ("list_item", "- Higher cost per request"),
        ("table", "| Aspect | Prompting | Fine-tuning |"),
    ]
    assert blocks[-1].text.splitlines()[2] == "| Cost | Low | High |"
