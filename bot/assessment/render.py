"""The recommendation as readable text on a terminal (rich)."""

from rich.console import Console, Group
from rich.markup import escape
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bot.assessment import messages
from bot.assessment.recommendation import Recommendation
from bot.assessment.weights import Direction

_ARROWS = {
    Direction.fine_tuning: ("▲ fine-tuning", "magenta"),
    Direction.prompt_engineering: ("▼ prompts", "cyan"),
}


def render(recommendation: Recommendation, console: Console) -> None:
    """Print the recommendation: outcome, why, what would change it, next steps, sources."""
    headline = Text.assemble(
        (recommendation.outcome.label.capitalize(), "bold"),
        f"   confidence {recommendation.confidence:.0%}",
    )
    console.print(Panel(Group(headline, Text(recommendation.summary)), title="Recommendation"))

    console.print("\n[bold]How each answer weighs[/bold]")
    factors = Table(box=None, show_header=False, padding=(0, 1, 0, 0))
    factors.add_column(no_wrap=True)
    factors.add_column(no_wrap=True)
    factors.add_column()
    for factor in recommendation.factors:
        arrow, colour = _ARROWS[factor.direction]
        if factor.citation:
            source = escape(f"[{recommendation.citation_number(factor.citation)}]")
        else:
            source = escape(f"({messages.NO_CITATION})")
        factors.add_row(
            f"[{colour}]{arrow}[/{colour}]",
            "●" * factor.strength + "○" * (3 - factor.strength),
            f"[bold]{escape(factor.label)}: {escape(factor.value_label)}[/bold] · "
            f"{escape(factor.explanation)} [dim]{source}[/dim]",
        )
    console.print(Padding(factors, (0, 0, 0, 2)))

    console.print("\n[bold]What would change it[/bold]")
    counterfactual = recommendation.counterfactual
    change = (
        counterfactual.summary
        if counterfactual
        else messages.no_counterfactual(recommendation.outcome.label)
    )
    console.print(Padding(escape(change), (0, 0, 0, 2)))

    console.print("\n[bold]Next steps[/bold]")
    console.print(
        _numbered([(f"{n}.", escape(step)) for n, step in enumerate(recommendation.next_steps, 1)])
    )

    console.print("\n[bold]Sources[/bold]")
    sources = []
    for number, citation in enumerate(recommendation.citations, 1):
        where = f"{citation.title} › {citation.section}" if citation.section else citation.title
        link = f" {citation.url}" if citation.url else ""
        sources.append(
            (
                f"[{number}]",
                f"[bold]{escape(where)}[/bold] [dim]({escape(citation.doc)}){escape(link)}[/dim]\n"
                f"“{escape(citation.text)}”",
            )
        )
    console.print(_numbered(sources))


def _numbered(rows: list[tuple[str, str]]) -> Padding:
    """Numbered paragraphs with a hanging indent."""
    table = Table(box=None, show_header=False, padding=(0, 1, 0, 0))
    table.add_column(no_wrap=True, style="dim")
    table.add_column()
    for number, text in rows:
        table.add_row(escape(number), text)
    return Padding(table, (0, 0, 0, 2))
