"""Compiled rule types shared by the Sigma compiler, the prefilter and the scan engine."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from lekdicht.catalog.kinds import LogSource
from lekdicht.model import LogRecord, Severity, Verdict


@dataclass(frozen=True, slots=True)
class Literal:
    """A string that any line matching a rule must contain (case-insensitively).

    ``percent_tolerant``: the field it comes from is URL-decoded by the reader, so in the raw line
    each character may also appear percent-encoded (``%61`` for ``a``).
    """

    text: str
    percent_tolerant: bool = False


@dataclass(slots=True)
class CompiledRule:
    """A rule ready to run: metadata, a predicate over one record, and its prefilter literals."""

    id: str
    title: str
    logsource: LogSource
    level: Severity
    verdict: Verdict
    matcher: Callable[[LogRecord], bool]
    literals: list[Literal] | None
    """Any match contains at least one of these; None means the rule must see every record."""
    description: str = ""
    cves: list[str] = field(default_factory=list)
    attack: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    source: str = ""
    """File the rule was loaded from (built-in rules: package-relative path)."""
    requires_corroboration: bool = False
    requirements: tuple[tuple[frozenset[Literal], ...], ...] | None = None
    """Finer prefilter facts than ``literals``: a line matching the rule satisfies every clause of
    at least one requirement, a clause being "the line contains one of these literals". None:
    not derived (the prefilter then uses ``literals`` alone)."""


@dataclass(frozen=True, slots=True)
class UnusableRule:
    """A rule file or rule that could not be loaded, and why."""

    source: str
    reason: str
    rule_id: str | None = None
