"""Scan one log artefact: read it once (hashing as we go), prefilter, parse candidates, run rules."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from lekdicht.catalog.hashing import HashingReader
from lekdicht.catalog.kinds import TEXT_LOGSOURCES, ArtefactKind, LogSource
from lekdicht.logs import READERS
from lekdicht.logs.base import LineSelector, ReadStats
from lekdicht.logs.windows import event_logsources
from lekdicht.model import Evidence, Finding, LogRecord
from lekdicht.rules.prefilter import build_selector
from lekdicht.rules.ruleset import RuleSet
from lekdicht.rules.types import CompiledRule
from lekdicht.scan.entities import entities_from

MAX_EXCERPT = 500
WINDOWS = LogSource(product="windows")


@dataclass(slots=True)
class LogFileResult:
    """Everything the scan learns from one log file."""

    relpath: str
    kind: ArtefactKind
    size: int
    sha256: str | None
    stats: ReadStats
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None
    prefilter: str = "none"
    seconds: float = 0.0
    hostname: str | None = None
    server_addresses: set[str] = field(default_factory=set)
    """The server's own addresses seen in the file (W3C ``s-ip``)."""


class LogScanner:
    """Holds the rule set and per-logsource caches; one per worker process."""

    def __init__(self, ruleset: RuleSet, full_parse: bool = False) -> None:
        self.ruleset = ruleset
        self.full_parse = full_parse
        """Parse and validate every line (no prefilter): slower, but every malformed line is counted."""
        self._selectors: dict[LogSource, LineSelector | None] = {}
        self._event_rules: dict[tuple[LogSource, ...], list[CompiledRule]] = {}
        self._all_event_rules: list[CompiledRule] | None = None

    def _selector_for(self, source: LogSource, rules: list[CompiledRule]) -> LineSelector | None:
        if self.full_parse:
            return None
        if source not in self._selectors:
            self._selectors[source] = build_selector(rules) if rules else None
        return self._selectors[source]

    def _rules_for_event(self, fields: dict[str, str]) -> list[CompiledRule]:
        sources = tuple(event_logsources(fields))
        cached = self._event_rules.get(sources)
        if cached is None:
            seen: dict[str, CompiledRule] = {}
            for src in sources:
                for rule in self.ruleset.rules_for(src):
                    seen.setdefault(rule.id, rule)
            cached = list(seen.values())
            self._event_rules[sources] = cached
        return cached

    def _windows_rules(self) -> list[CompiledRule]:
        if self._all_event_rules is None:
            self._all_event_rules = [
                r
                for r in self.ruleset.rules
                if r.logsource.product in (None, "windows") and r.logsource.category != "webserver"
            ]
        return self._all_event_rules

    def scan(self, relpath: str, local: Path, kind: ArtefactKind, size: int) -> LogFileResult:
        """Scan one file. Never raises: an unreadable file comes back with ``error`` set."""
        started = time.perf_counter()
        stats = ReadStats()
        result = LogFileResult(relpath, kind, size, None, stats)
        reader = READERS.get(kind)
        if reader is None:
            result.error = f"no reader for {kind.value}"
            return result
        try:
            with open(local, "rb") as raw:
                stream = HashingReader(raw)
                if kind.is_event:
                    self._scan_events(stream, relpath, kind, stats, result)
                else:
                    self._scan_text(stream, relpath, kind, stats, result)
                result.sha256 = stream.finish()
        except OSError as exc:
            result.error = f"cannot read: {exc.strerror or exc}"
        except Exception as exc:  # noqa: BLE001 - a reader bug must not end the scan; it is reported
            result.error = f"reader failed: {type(exc).__name__}: {exc}"
        result.seconds = time.perf_counter() - started
        return result

    def _scan_text(
        self, stream: HashingReader, relpath: str, kind: ArtefactKind, stats: ReadStats, result: LogFileResult
    ) -> None:
        source = TEXT_LOGSOURCES[kind]
        rules = self.ruleset.rules_for(source)
        selector = self._selector_for(source, rules)
        result.prefilter = getattr(selector, "engine", "none") if selector else "none"
        if not rules and not self.full_parse:
            # Nothing can match: still read every line for counts, time span and header facts.
            selector = _NothingSelector()
            result.prefilter = "no-rules"
        reader = READERS[kind]
        # The prefilter knows, for the lines it selected, which rules' literals they hold; the
        # other rules cannot match there (bit i of the mask is rules[i]).
        rule_mask = getattr(selector, "rule_mask", None)
        for record in reader(stream, relpath, stats, selector):  # type: ignore[arg-type]
            if result.hostname is None and not _HOST_FIELD_SET.isdisjoint(record.fields):
                result.hostname = _hostname(record.fields)
            server_ip = record.fields.get("s-ip")
            if server_ip and len(result.server_addresses) < MAX_SERVER_ADDRESSES:
                result.server_addresses.add(server_ip)
            mask = rule_mask(record.raw) if rule_mask is not None else None
            if mask is None:
                for rule in rules:
                    if rule.matcher(record):
                        result.findings.append(make_finding(rule, record, kind))
                continue
            while mask:  # only the rules whose bit is set, in rule order
                low = mask & -mask
                rule = rules[low.bit_length() - 1]
                mask ^= low
                if rule.matcher(record):
                    result.findings.append(make_finding(rule, record, kind))

    def _scan_events(
        self, stream: HashingReader, relpath: str, kind: ArtefactKind, stats: ReadStats, result: LogFileResult
    ) -> None:
        selector: LineSelector | None = None
        if kind is ArtefactKind.EVENTS_JSONL:
            selector = self._selector_for(WINDOWS, self._windows_rules())
            result.prefilter = getattr(selector, "engine", "none") if selector else "none"
        reader = READERS[kind]
        for record in reader(stream, relpath, stats, selector):  # type: ignore[arg-type]
            if result.hostname is None:
                result.hostname = _hostname(record.fields)
            for rule in self._rules_for_event(record.fields):
                if rule.matcher(record):
                    result.findings.append(make_finding(rule, record, kind))


MAX_SERVER_ADDRESSES = 16

_HOST_FIELDS = ("ServerHostName", "ServerName", "Computer", "Hostname", "s-computername", "server-hostname")
_HOST_FIELD_SET = frozenset(_HOST_FIELDS)


def _hostname(fields: dict[str, str]) -> str | None:
    for name in _HOST_FIELDS:
        value = fields.get(name, "").strip()
        if value and value != "-":
            return value
    return None


class _NothingSelector:
    """Selects no line: used when no rule applies, so only counts and headers are taken."""

    engine = "none"

    def select(self, block: bytes) -> list[tuple[int, int]]:
        return []


def make_finding(rule: CompiledRule, record: LogRecord, kind: ArtefactKind) -> Finding:
    """A finding for one rule matching one record."""
    loc = record.location
    return Finding(
        rule_id=rule.id,
        title=rule.title,
        verdict=rule.verdict,
        severity=rule.level,
        artefact_kind=kind.value,
        evidence=Evidence(
            path=loc.path,
            line=loc.line,
            record=loc.record,
            excerpt=record.raw[:MAX_EXCERPT],
        ),
        time=record.timestamp,
        cves=list(rule.cves),
        attack=list(rule.attack),
        entities=entities_from(record.fields),
        references=list(rule.references),
        description=rule.description,
        requires_corroboration=rule.requires_corroboration,
    )
