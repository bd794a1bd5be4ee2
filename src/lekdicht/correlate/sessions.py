"""Group findings into attacker sessions (first version: by client address)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lekdicht.model import Finding, Verdict, format_time


@dataclass(slots=True)
class Session:
    """Activity from one client address: when, what, with which identities."""

    client_ip: str
    first: datetime | None = None
    last: datetime | None = None
    findings: int = 0
    verdict: Verdict = Verdict.INFO
    rules: set[str] = field(default_factory=set)
    cves: set[str] = field(default_factory=set)
    user_agents: set[str] = field(default_factory=set)
    accounts: set[str] = field(default_factory=set)
    urls: set[str] = field(default_factory=set)

    def add(self, f: Finding) -> None:
        self.findings += 1
        if f.time:
            self.first = f.time if self.first is None or f.time < self.first else self.first
            self.last = f.time if self.last is None or f.time > self.last else self.last
        if f.verdict.rank > self.verdict.rank:
            self.verdict = f.verdict
        self.rules.add(f.rule_id)
        self.cves.update(f.cves)
        e = f.entities
        for target, value in (
            (self.user_agents, e.user_agent),
            (self.accounts, e.account),
            (self.urls, e.url),
        ):
            if value and len(target) < 20:
                target.add(value)

    def to_json(self) -> dict[str, Any]:
        return {
            "client_ip": self.client_ip,
            "first": format_time(self.first),
            "last": format_time(self.last),
            "findings": self.findings,
            "verdict": self.verdict.value,
            "rules": sorted(self.rules),
            "cves": sorted(self.cves),
            "user_agents": sorted(self.user_agents),
            "accounts": sorted(self.accounts),
            "urls": sorted(self.urls),
        }


def group_sessions(findings: Sequence[Finding]) -> list[Session]:
    """Sessions of every client address that has a finding above info, strongest first."""
    sessions: dict[str, Session] = {}
    for f in findings:
        ip = f.entities.client_ip
        if not ip or f.verdict is Verdict.INFO:
            continue
        sessions.setdefault(ip, Session(ip)).add(f)
    return sorted(
        sessions.values(),
        key=lambda s: (-s.verdict.rank, s.first.isoformat() if s.first else "", s.client_ip),
    )
