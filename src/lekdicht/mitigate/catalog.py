"""Which interim mitigations exist and which ones a server needs.

The mitigations themselves are defined once, in ``lekdicht/versions/data/mitigations.yaml`` (read
through :func:`lekdicht.versions.mitigations.mitigation_definitions`); what only the ``mitigate``
commands need (the outbound CSP rule text, steps outside IIS) is in ``data/interim.yaml``.
Whether a server needs one follows from :func:`lekdicht.versions.exposure.assess_build`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from lekdicht.versions.builds import BuildParseError
from lekdicht.versions.exposure import UNKNOWN, VULNERABLE, BuildAssessment, assess_build, cve_catalog
from lekdicht.versions.mitigations import mitigation_definitions

__all__ = [
    "CONFIG_KINDS",
    "Decision",
    "Interim",
    "MitigateError",
    "Selection",
    "ServerFacts",
    "interim_catalog",
    "read_case",
    "select_interims",
]

CONFIG_KINDS = ("inbound_rules", "outbound_csp")
"""Mitigations that live in an IIS configuration file and that ``apply`` writes."""


class MitigateError(Exception):
    """A mitigate operation was refused; the message says why and what to do."""


@cache
def interim_data() -> dict[str, Any]:
    """``data/interim.yaml``."""
    ref = resources.files("lekdicht.mitigate").joinpath("data", "interim.yaml")
    loaded: dict[str, Any] = yaml.safe_load(ref.read_text(encoding="utf-8"))
    return loaded


@dataclass(frozen=True, slots=True)
class Interim:
    """One interim mitigation: an IIS rule set (``config``) or a step outside IIS (``host``)."""

    id: str
    title: str
    cves: tuple[str, ...]
    kind: str
    """``inbound_rules``, ``outbound_csp``, ``app_pool_stopped``, ``services_disabled`` or
    ``firewall_block``."""
    note: str
    source: str
    definition: dict[str, Any] = field(hash=False, compare=False)

    @property
    def target(self) -> str:
        """``config`` (written into the IIS file) or ``host`` (PowerShell script)."""
        return "config" if self.kind in CONFIG_KINDS else "host"


@cache
def interim_catalog() -> tuple[Interim, ...]:
    """All interim mitigations: versions' definitions first, then the extra host steps."""
    out: list[Interim] = []
    for d in mitigation_definitions():
        out.append(
            Interim(
                id=str(d["id"]),
                title=str(d["title"]),
                cves=tuple(d["cves"]),
                kind=str(d["kind"]),
                note=" ".join(str(d.get("note", "")).split()),
                source=" ".join(str(d.get("source", "")).split()),
                definition=d,
            )
        )
    for s in interim_data()["host_steps"]:
        out.append(
            Interim(
                id=str(s["id"]),
                title=str(s["title"]),
                cves=tuple(s["cves"]),
                kind=str(s["kind"]),
                note=" ".join(str(s.get("side_effect", "")).split()),
                source=str(s.get("source", "")),
                definition=s,
            )
        )
    return tuple(out)


@dataclass(slots=True)
class ServerFacts:
    """What is known about the server: from ``--build`` or from a scan's report.json."""

    build: str | None = None
    hostname: str | None = None
    source: str = ""


def read_case(case_dir: Path) -> ServerFacts:
    """Server build and host name from ``<case_dir>/report.json`` (schema lekdicht.report/1)."""
    path = case_dir / "report.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MitigateError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise MitigateError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(doc, dict) or not str(doc.get("schema", "")).startswith("lekdicht.report/"):
        raise MitigateError(f"{path} is not a lekdicht report (no schema lekdicht.report/...)")
    server = doc.get("server") or {}
    build = server.get("build") if isinstance(server, dict) else None
    host = server.get("hostname") if isinstance(server, dict) else None
    return ServerFacts(
        build=str(build) if build else None,
        hostname=str(host) if host else None,
        source=str(path),
    )


@dataclass(slots=True)
class Decision:
    """Whether one interim mitigation is needed, and why."""

    interim: Interim
    needed: bool
    reason: str
    cve_status: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.interim.id,
            "title": self.interim.title,
            "cves": list(self.interim.cves),
            "kind": self.interim.kind,
            "target": self.interim.target,
            "needed": self.needed,
            "reason": self.reason,
            "cve_status": dict(self.cve_status),
        }


@dataclass(slots=True)
class Selection:
    """The decisions for one server, plus vulnerable CVEs that have no interim mitigation."""

    facts: ServerFacts
    product: str | None
    decisions: list[Decision]
    without_interim: list[str]
    notes: list[str] = field(default_factory=list)

    def needed(self, target: str | None = None) -> list[Interim]:
        """Needed mitigations, optionally only ``config`` or ``host`` ones."""
        return [
            d.interim for d in self.decisions if d.needed and (target is None or d.interim.target == target)
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "build": self.facts.build,
            "hostname": self.facts.hostname,
            "build_source": self.facts.source,
            "product": self.product,
            "decisions": [d.to_json() for d in self.decisions],
            "vulnerable_without_interim_mitigation": list(self.without_interim),
            "notes": list(self.notes),
        }


def _cve_filter(tokens: Sequence[str]) -> set[str]:
    """CVE ids from ``--cve`` values; family names (ProxyLogon, ProxyNotShell, ...) expand."""
    wanted: set[str] = set()
    families: dict[str, set[str]] = {}
    for info in cve_catalog().values():
        for fam in info.families:
            families.setdefault(fam.lower(), set()).add(info.cve)
    known = {c for i in interim_catalog() for c in i.cves} | set(cve_catalog())
    for raw in tokens:
        for tok in raw.replace(",", " ").split():
            up = tok.strip().upper()
            if up in known:
                wanted.add(up)
            elif tok.strip().lower() in families:
                wanted |= families[tok.strip().lower()]
            else:
                raise MitigateError(
                    f"unknown CVE or family {tok!r} (use e.g. CVE-2021-26855, ProxyLogon, ProxyNotShell)"
                )
    return wanted


def select_interims(facts: ServerFacts, cves: Sequence[str] = ()) -> Selection:
    """Decide for every interim mitigation whether the server needs it.

    With a build: needed when the build is vulnerable to one of its CVEs (or ``unknown`` because
    only the CU is known). Without a build: only what ``--cve`` asks for. ``--cve`` always
    restricts the result; a requested CVE that the build already fixes is reported, not applied.
    """
    wanted = _cve_filter(cves) if cves else set()
    assessment: BuildAssessment | None = None
    notes: list[str] = []
    if facts.build:
        try:
            assessment = assess_build(facts.build)
        except BuildParseError as exc:
            raise MitigateError(f"build {facts.build!r} not usable: {exc}") from exc
    elif not wanted:
        raise MitigateError("give the server's build (--build 15.1.2176.2 or --case DIR) or the CVEs (--cve)")
    else:
        notes.append(
            "no build given: the mitigations for the requested CVEs are planned without a patch check"
        )
    product = assessment.product if assessment else None
    decisions: list[Decision] = []
    for interim in interim_catalog():
        status = {c: (assessment.status_of(c) or "unknown") for c in interim.cves} if assessment else {}
        if wanted and not (set(interim.cves) & wanted):
            decisions.append(Decision(interim, False, "not requested (--cve)", status))
            continue
        if assessment is None:
            decisions.append(Decision(interim, True, "requested with --cve", status))
            continue
        vulnerable = [c for c, s in status.items() if s == VULNERABLE]
        unknown = [c for c, s in status.items() if s == UNKNOWN]
        if not vulnerable and not unknown:
            states = ", ".join(f"{c} {s}" for c, s in status.items())
            decisions.append(Decision(interim, False, f"build {assessment.build}: {states}", status))
            continue
        blocked_for = [str(p) for p in interim.definition.get("products_without", [])]
        if product and product in blocked_for:
            decisions.append(Decision(interim, False, f"{product} has no such component", status))
            continue
        if vulnerable:
            reason = f"build {assessment.build} is vulnerable to {', '.join(vulnerable)}"
        else:
            reason = (
                f"build {assessment.build}: status of {', '.join(unknown)} unknown (only the CU is known); "
                "planned to be safe"
            )
        decisions.append(Decision(interim, True, reason, status))
    without: list[str] = []
    if assessment is not None:
        covered = {c for i in interim_catalog() for c in i.cves}
        without = [
            c.cve
            for c in assessment.cves
            if c.status == VULNERABLE and c.cve not in covered and (not wanted or c.cve in wanted)
        ]
        notes += assessment.notes
    return Selection(facts=facts, product=product, decisions=decisions, without_interim=without, notes=notes)
