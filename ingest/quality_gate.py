"""The quality gate: a new index version becomes current only if it answers the checks as well.

Before the `CURRENT` pointer moves, ingest runs the admins' checks (`knowledge/checks.jsonl`,
in the eval format: question, expected documents, evidence phrases) against the new version and
against the current one. The new version is refused, and kept aside, when its citation hit
rate is below the current version's or below the configured floor. Checks whose expected
documents have all left the knowledge base are skipped for both versions, so removing a
document on purpose is not mistaken for a regression.

Running a check means answering a question, which is the bot's business: ingest never imports
the bot, so the caller supplies a `CheckRunner` (the CLI and the Slack app pass one built on the
answer engine's evaluation).
"""

import hashlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field, ValidationError

if TYPE_CHECKING:  # the index loads Chroma; the records here are shown where it is not loaded
    from ingest.index import KnowledgeIndex


class FailedCheck(BaseModel):
    id: str
    question: str


class CheckResults(BaseModel):
    """How one index version did on the checks."""

    version: str
    checks: int
    hit_rate: float = Field(description="Share of checks whose answer cites an expected passage.")
    failed: list[FailedCheck] = Field(default_factory=list)


# (index pinned to a version, ids of the documents the new version holds) -> results
CheckRunner = Callable[["KnowledgeIndex", set[str]], CheckResults]


class GateVerdict(BaseModel):
    """The gate's decision on one new version, with the figures behind it."""

    passed: bool
    forced: bool = False
    floor: float
    candidate: CheckResults
    previous: CheckResults | None = None

    @property
    def published(self) -> bool:
        return self.passed or self.forced

    def reasons(self) -> list[str]:
        """Why the version was refused (empty when it passed)."""
        reasons = []
        rate = self.candidate.hit_rate
        if rate < self.floor:
            reasons.append(f"citation hit rate {rate:.2f} is below the floor {self.floor:.2f}")
        if self.previous is not None and rate < self.previous.hit_rate:
            reasons.append(
                f"citation hit rate {rate:.2f} is below the current version's "
                f"{self.previous.hit_rate:.2f}"
            )
        return reasons

    def newly_failed(self) -> list[FailedCheck]:
        """Checks the new version fails (those the current version also failed listed last)."""
        before = {check.id for check in self.previous.failed} if self.previous else set()
        failed = self.candidate.failed
        return [c for c in failed if c.id not in before] + [c for c in failed if c.id in before]


class ResultCache:
    """Check results by version, for the same checks and documents: the current version was
    checked when it was the candidate, so its results are read back instead of re-run."""

    def __init__(self, folder: Path, *, checks: bytes, documents: Iterable[str]) -> None:
        self.folder = folder
        digest = hashlib.sha256(checks)
        digest.update("\n".join(sorted(documents)).encode())
        self.key = digest.hexdigest()[:16]

    def _path(self, version: str) -> Path:
        return self.folder / f"{version}-{self.key}.json"

    def get(self, version: str) -> CheckResults | None:
        try:
            return CheckResults.model_validate_json(self._path(version).read_text(encoding="utf-8"))
        except (OSError, ValidationError):
            return None

    def put(self, results: CheckResults) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.json"):
            if old.stat().st_mtime < _week_ago():
                old.unlink(missing_ok=True)
        self._path(results.version).write_text(results.model_dump_json(), encoding="utf-8")


def judge(
    runner: CheckRunner,
    *,
    index_for: Callable[[str], "KnowledgeIndex"],
    candidate: str,
    current: str | None,
    documents: set[str],
    floor: float,
    force: bool,
    cache: ResultCache | None = None,
) -> GateVerdict:
    """Run the checks on the candidate version (and the current one) and decide."""
    candidate_results = _run(runner, index_for(candidate), documents)
    previous = None
    if current:
        previous = cache.get(current) if cache else None
        if previous is None:
            previous = _run(runner, index_for(current), documents)
    if cache:
        cache.put(candidate_results)
    verdict = GateVerdict(passed=True, floor=floor, candidate=candidate_results, previous=previous)
    verdict.passed = not verdict.reasons()
    verdict.forced = force and not verdict.passed
    return verdict


def _week_ago() -> float:
    import time

    return time.time() - 7 * 24 * 3600


def _run(runner: CheckRunner, index: "KnowledgeIndex", documents: set[str]) -> CheckResults:
    try:
        return runner(index, documents)
    finally:
        index.close()
