"""Patch history from build evidence, and per-CVE exposure windows.

The scan gives one :class:`BuildObservation` per log file (its ``#Version`` header or the server's
own per-line ``MajorVersion/MinorVersion/BuildVersion/RevisionVersion`` fields, with the file's
first and last timestamps) and one per ``ExSetup.exe`` (no times: it is the build installed when the
evidence was collected). Pass only the server's own version: ``TargetServerVersion`` in HttpProxy
logs is the back-end server's build. Placeholder versions such as the ``15.0.0.0`` that ECP logs
write are ignored (and listed).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from lekdicht.model import format_time
from lekdicht.versions.builds import Build, BuildParseError, lookup_build, parse_build
from lekdicht.versions.exposure import (
    FIXED,
    FIXED_CONFIG,
    NOT_AFFECTED,
    UNKNOWN,
    VULNERABLE,
    BuildAssessment,
    assess_build,
    cve_catalog,
)

__all__ = [
    "BuildObservation",
    "BuildPeriod",
    "ExposureWindow",
    "IgnoredObservation",
    "PatchEvent",
    "PatchHistory",
    "build_history",
    "exposure_windows",
]


@dataclass(frozen=True, slots=True)
class BuildObservation:
    """One piece of build evidence: a build seen from ``first_seen`` to ``last_seen`` in ``source``."""

    build: str
    first_seen: datetime | None
    last_seen: datetime | None
    source: str


@dataclass(slots=True)
class BuildPeriod:
    """A stretch of time during which the evidence shows one build."""

    build: str
    product: str | None
    cu_line: str | None
    release_name: str | None
    first_seen: datetime
    last_seen: datetime
    sources: list[str] = field(default_factory=list)
    observations: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "build": self.build,
            "product": self.product,
            "cu_line": self.cu_line,
            "release_name": self.release_name,
            "first_seen": format_time(self.first_seen),
            "last_seen": format_time(self.last_seen),
            "observations": self.observations,
            "sources": list(self.sources),
        }


@dataclass(slots=True)
class PatchEvent:
    """A change of build: the patch was installed after ``not_before`` and before ``changed_at``."""

    from_build: str
    to_build: str
    kind: str
    """``security_update``, ``cumulative_update`` or ``downgrade``."""
    changed_at: datetime | None
    not_before: datetime | None
    from_name: str | None = None
    to_name: str | None = None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "from_build": self.from_build,
            "to_build": self.to_build,
            "kind": self.kind,
            "changed_at": format_time(self.changed_at),
            "not_before": format_time(self.not_before),
            "from_name": self.from_name,
            "to_name": self.to_name,
            "note": self.note or None,
        }


@dataclass(frozen=True, slots=True)
class IgnoredObservation:
    """An observation that was not used, with the reason."""

    build: str
    source: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"build": self.build, "source": self.source, "reason": self.reason}


@dataclass(slots=True)
class PatchHistory:
    """The build periods seen in the evidence, the patch events between them and the current build."""

    periods: list[BuildPeriod]
    patches: list[PatchEvent]
    current_build: str | None
    current_source: str | None
    first_evidence: datetime | None
    last_evidence: datetime | None
    ignored: list[IgnoredObservation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "current_build": self.current_build,
            "current_source": self.current_source,
            "first_evidence": format_time(self.first_evidence),
            "last_evidence": format_time(self.last_evidence),
            "periods": [p.to_json() for p in self.periods],
            "patches": [p.to_json() for p in self.patches],
            "ignored": [i.to_json() for i in self.ignored],
            "notes": list(self.notes),
        }


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _change_kind(old: Build, new: Build) -> str:
    if new < old:
        return "downgrade"
    return "security_update" if new.triple == old.triple else "cumulative_update"


def build_history(observations: Iterable[BuildObservation]) -> PatchHistory:
    """Order the observations in time, merge runs of the same build and find the build changes."""
    timed: list[tuple[datetime, datetime, Build, str]] = []
    untimed: list[tuple[Build, str]] = []
    ignored: list[IgnoredObservation] = []
    notes: list[str] = []
    for obs in observations:
        try:
            b = parse_build(obs.build)
        except BuildParseError as exc:
            ignored.append(IgnoredObservation(obs.build, obs.source, str(exc)))
            continue
        if b.is_placeholder:
            ignored.append(IgnoredObservation(obs.build, obs.source, "placeholder version, not a real build"))
            continue
        if b.revision is None:
            ignored.append(IgnoredObservation(obs.build, obs.source, "CU-level version only (no revision)"))
            continue
        first = _utc(obs.first_seen) or _utc(obs.last_seen)
        last = _utc(obs.last_seen) or first
        if first is None or last is None:
            untimed.append((b, obs.source))
            continue
        if last < first:
            first, last = last, first
        timed.append((first, last, b, obs.source))
    timed.sort(key=lambda t: (t[0], t[1], t[2].key, t[3]))

    periods: list[BuildPeriod] = []
    current: list[Build] = []
    for first, last, b, source in timed:
        if periods and current[-1] == b:
            p = periods[-1]
            p.first_seen = min(p.first_seen, first)
            p.last_seen = max(p.last_seen, last)
            p.observations += 1
            if source not in p.sources:
                p.sources.append(source)
            continue
        info = lookup_build(b)
        periods.append(
            BuildPeriod(
                build=str(b),
                product=info.product,
                cu_line=info.line.name if info.line else None,
                release_name=info.release_name,
                first_seen=first,
                last_seen=last,
                sources=[source],
                observations=1,
            )
        )
        current.append(b)

    patches: list[PatchEvent] = []
    for i in range(1, len(periods)):
        old, new = current[i - 1], current[i]
        prev, nxt = periods[i - 1], periods[i]
        event = PatchEvent(
            from_build=str(old),
            to_build=str(new),
            kind=_change_kind(old, new),
            changed_at=nxt.first_seen,
            not_before=min(prev.last_seen, nxt.first_seen),
            from_name=prev.release_name,
            to_name=nxt.release_name,
        )
        if event.kind == "downgrade":
            event.note = "build went down: a rollback, or evidence from more than one server"
            notes.append(f"build went down from {old} to {new} at {format_time(nxt.first_seen)}")
        if prev.last_seen > nxt.first_seen:
            event.note = (event.note + "; " if event.note else "") + (
                f"the old build is still seen until {format_time(prev.last_seen)} (overlapping files)"
            )
        patches.append(event)

    current_build: Build | None = current[-1] if current else None
    current_source = periods[-1].sources[-1] if periods else None
    if untimed:
        distinct = sorted({b for b, _ in untimed})
        if len(distinct) > 1:
            notes.append("ExSetup/version evidence disagrees: " + ", ".join(str(b) for b in distinct))
        setup_build, setup_source = max(untimed, key=lambda t: t[0].key)
        if current_build is not None and setup_build != current_build:
            last_period = periods[-1]
            patches.append(
                PatchEvent(
                    from_build=str(current_build),
                    to_build=str(setup_build),
                    kind=_change_kind(current_build, setup_build),
                    changed_at=None,
                    not_before=last_period.last_seen,
                    from_name=last_period.release_name,
                    to_name=lookup_build(setup_build).release_name,
                    note="installed after the last dated evidence; exact date unknown",
                )
            )
        current_build, current_source = setup_build, setup_source
    return PatchHistory(
        periods=periods,
        patches=patches,
        current_build=str(current_build) if current_build else None,
        current_source=current_source,
        first_evidence=periods[0].first_seen if periods else None,
        last_evidence=max((p.last_seen for p in periods), default=None),
        ignored=ignored,
        notes=notes,
    )


@dataclass(slots=True)
class ExposureWindow:
    """How long the server was exposed to one CVE, according to the evidence."""

    cve: str
    name: str
    families: tuple[str, ...]
    status: str
    """``still_vulnerable``, ``patched``, ``patched_before_exploitation``, ``not_vulnerable_in_evidence``,
    ``unknown`` or ``no_evidence``."""
    exploited: bool
    vulnerable_from: datetime | None = None
    """First evidence of a vulnerable build."""
    exposed_from: datetime | None = None
    """max(vulnerable_from, exploitation start or publication)."""
    exposed_until: datetime | None = None
    """When the first fixing build was seen; None while still vulnerable or when unknown."""
    still_vulnerable: bool = False
    start_basis: str = ""
    starts_at_evidence_limit: bool = False
    """True when the first evidence already shows a vulnerable build: exposure may go back further."""
    patched_build: str | None = None
    patched_name: str | None = None
    intervals: list[tuple[datetime, datetime | None]] = field(default_factory=list)
    as_of: datetime | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def days(self) -> float | None:
        """Length of the exposure in days (to ``as_of`` while still vulnerable)."""
        if self.exposed_from is None:
            return None
        end = self.exposed_until or (self.as_of if self.still_vulnerable else None)
        if end is None:
            return None
        return round((end - self.exposed_from).total_seconds() / 86400, 2)

    def to_json(self) -> dict[str, Any]:
        return {
            "cve": self.cve,
            "name": self.name,
            "families": list(self.families),
            "status": self.status,
            "exploited": self.exploited,
            "vulnerable_from": format_time(self.vulnerable_from),
            "exposed_from": format_time(self.exposed_from),
            "exposed_until": format_time(self.exposed_until),
            "still_vulnerable": self.still_vulnerable,
            "days": self.days,
            "start_basis": self.start_basis,
            "starts_at_evidence_limit": self.starts_at_evidence_limit,
            "patched_build": self.patched_build,
            "patched_name": self.patched_name,
            "intervals": [[format_time(a), format_time(b)] for a, b in self.intervals],
            "as_of": format_time(self.as_of),
            "notes": list(self.notes),
        }


def _midnight(d: date) -> datetime:
    return datetime.combine(d, time(0, 0), tzinfo=UTC)


_SAFE = (FIXED, FIXED_CONFIG, NOT_AFFECTED)


def exposure_windows(history: PatchHistory, now: datetime | None = None) -> list[ExposureWindow]:
    """Per CVE: exposed from max(first evidence on a vulnerable build, exploitation start) until the
    first fixing build was seen, or still exposed."""
    as_of = _utc(now) or datetime.now(UTC)
    on = as_of.date()
    cache: dict[str, BuildAssessment] = {}

    def assess(build: str) -> BuildAssessment:
        if build not in cache:
            cache[build] = assess_build(build, on=on)
        return cache[build]

    out: list[ExposureWindow] = []
    for info in cve_catalog().values():
        if info.published > on:
            continue
        start_dt = _midnight(info.window_start)
        if info.exploitation_start:
            basis = (
                f"exploitation start {info.exploitation_start.isoformat()} ({info.exploitation_start_basis})"
            )
        else:
            basis = f"publication {info.published.isoformat()} (no exploitation date known)"
        w = ExposureWindow(
            cve=info.cve,
            name=info.name,
            families=info.families,
            status="no_evidence",
            exploited=info.exploited,
            as_of=as_of,
        )
        out.append(w)
        raw: list[tuple[datetime, datetime | None, str | None]] = []
        open_from: datetime | None = None
        saw_unknown = False
        statuses: list[str] = []
        for p in history.periods:
            st = assess(p.build).status_of(info.cve) or UNKNOWN
            statuses.append(st)
            if st == VULNERABLE:
                if open_from is None:
                    open_from = p.first_seen
                    if w.vulnerable_from is None:
                        w.vulnerable_from = p.first_seen
                        w.starts_at_evidence_limit = p is history.periods[0]
            elif st in _SAFE:
                if open_from is not None:
                    raw.append((open_from, p.first_seen, p.build))
                    open_from = None
            else:
                saw_unknown = True
        current_status = assess(history.current_build).status_of(info.cve) if history.current_build else None
        patched_late = False
        if open_from is not None:
            moved_on = bool(history.periods) and history.current_build != history.periods[-1].build
            if current_status in _SAFE and moved_on:
                raw.append((open_from, None, history.current_build))
                patched_late = True
            else:
                raw.append((open_from, None, None))
        if not history.periods:
            if current_status == VULNERABLE:
                w.status = "still_vulnerable"
                w.still_vulnerable = True
                w.start_basis = "no dated evidence: installed build only"
                w.notes.append("no dated evidence: the build is vulnerable, but since when is unknown")
            elif current_status in _SAFE:
                w.status = "not_vulnerable_in_evidence"
            elif current_status is not None:
                w.status = "unknown"
            continue
        if not raw:
            only_unknown = saw_unknown and VULNERABLE not in statuses
            w.status = "unknown" if only_unknown else "not_vulnerable_in_evidence"
            if saw_unknown:
                w.notes.append("some builds in the evidence could not be assessed for this CVE")
            continue
        clipped: list[tuple[datetime, datetime | None]] = []
        for s, e, _fix in raw:
            s2 = max(s, start_dt)
            if e is not None and e <= s2:
                continue
            clipped.append((s2, e))
        w.intervals = clipped
        last_fix = raw[-1][2]
        w.start_basis = "first evidence" if raw[0][0] >= start_dt else basis
        if raw[-1][1] is None and not patched_late:
            w.status = "still_vulnerable"
            w.still_vulnerable = True
        else:
            w.patched_build = last_fix
            if last_fix:
                w.patched_name = lookup_build(last_fix).release_name
            w.exposed_until = raw[-1][1]
            w.status = "patched" if clipped else "patched_before_exploitation"
            if patched_late:
                w.notes.append(
                    f"patched after the last dated evidence ({format_time(history.last_evidence)}); "
                    "the exact patch date is unknown"
                )
        if clipped:
            w.exposed_from = clipped[0][0]
        if w.starts_at_evidence_limit and w.exposed_from == w.vulnerable_from:
            w.notes.append(
                "the oldest evidence already shows a vulnerable build: exposure may have started earlier"
            )
        if len(raw) > 1:
            w.notes.append("the build went back to a vulnerable one after a fix (several intervals)")
    return out
