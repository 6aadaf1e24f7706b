"""The main text and metadata of an HTML page, by trafilatura: one extraction for saved pages
in knowledge/ and for pages added by URL.

trafilatura drops the page's navigation, header, footer, comments and most advertising, and
returns the article as Markdown. Metadata is taken only where the page states it: the date
search is not "extensive" (no guessing a date from arbitrary text on the page).
"""

from dataclasses import dataclass, field


class NoMainText(ValueError):
    """trafilatura found no article text in the page."""


@dataclass(frozen=True)
class ExtractedPage:
    markdown: str
    metadata: dict[str, str] = field(default_factory=dict)  # title, url, date, publisher


def extract_page(html: str | bytes, *, url: str | None = None) -> ExtractedPage:
    """The article of an HTML page as Markdown, with the metadata the page states."""
    import trafilatura

    markdown = trafilatura.extract(
        html,
        url=url,
        output_format="markdown",
        include_tables=True,
        include_links=False,
        include_comments=False,
        favor_recall=True,
    )
    if not markdown or not markdown.strip():
        raise NoMainText("no main text found in the HTML page")
    meta = trafilatura.extract_metadata(html, default_url=url, extensive=False)
    values = {
        "title": meta and meta.title,
        "url": meta and meta.url,
        "date": meta and meta.date,
        "publisher": meta and meta.sitename,
    }
    return ExtractedPage(
        markdown=markdown.strip(),
        metadata={key: str(value).strip() for key, value in values.items() if value},
    )
