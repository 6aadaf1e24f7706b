"""Generated documents for the ingest benchmarks, made of the knowledge base's own sentences."""

import random
import re
from pathlib import Path


def generate_corpus(knowledge: Path, folder: Path, count: int, seed: int = 7) -> None:
    """`count` Markdown documents: the sentences of `knowledge`, shuffled under new headings."""
    text = " ".join(
        path.read_text(encoding="utf-8")
        for path in sorted(knowledge.glob("*.md"))
        if path.name != "README.md"
    )
    sentences = [
        sentence.strip()
        for sentence in re.split(r"(?<=[.!?])\s+", re.sub(r"[#|*>-]", " ", text))
        if 40 < len(sentence.strip()) < 300
    ]
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        sections = []
        for section in range(rng.randint(2, 4)):
            paragraphs = [
                " ".join(rng.sample(sentences, rng.randint(2, 4))) for _ in range(rng.randint(1, 3))
            ]
            sections.append(f"## Part {section + 1}\n\n" + "\n\n".join(paragraphs))
        (folder / f"doc-{number:04d}.md").write_text(
            f"---\ntitle: Generated note {number}\n---\n# Generated note {number}\n\n"
            + "\n\n".join(sections),
            encoding="utf-8",
        )
