"""Group attacker activity into sessions (by client address): findings plus every request seen."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lekdicht.correlate.activity import Activity
from lekdicht.model import Finding, Verdict, format_time

MAX_VALUES = 20


@dataclass(slots=True)
class Session:
    """Activity from one client address: when, what, with which identities."""

    client_ip: str
    first: datetime | None = None
    last: datetime | None = None
    findings: int = 0
    requests: int = 0
    response_bytes: int = 0
    verdict: Verdict = Verdict.INFO
    rules: set[str] = field(default_factory=set)
    cves: set[str] = field(default_factory=set)
    user_agents: set[str] = field(default_factory=set)
    accounts: set[str] = field(default_factory=set)
    mailboxes: set[str] = field(default_factory=set)
    urls: set[str] = field(default_factory=set)
    logs: Counter[str] = field(default_factory=Counter)

    def _see(self, when: datetime | None) -> None:
        if when is None:
            return
        self.first = when if self.first is None or when < self.first else self.first
        self.last = when if self.last is None or when > self.last else self.last

    @staticmethod
    def _keep(target: set[str], value: str | None) -> None:
        if value and len(target) < MAX_VALUES:
            target.add(value)

    def add_finding(self, f: Finding) -> None:
        self.findings += 1
        self._see(f.time)
        if f.verdict.rank > self.verdict.rank:
            self.verdict = f.verdict
        self.rules.add(f.rule_id)
        self.cves.update(f.cves)
        e = f.entities
        self._keep(self.user_agents, e.user_agent)
        self._keep(self.accounts, e.account)
        self._keep(self.urls, e.url)

    def add_activity(self, a: Activity) -> None:
        self.requests += 1
        self.response_bytes += a.bytes_out
        self._see(a.time)
        self.logs[a.kind] += 1
        self._keep(self.user_agents, a.user_agent)
        self._keep(self.accounts, a.account)
        self._keep(self.mailboxes, a.mailbox)

    def to_json(self) -> dict[str, Any]:
        return {
            "client_ip": self.client_ip,
            "first": format_time(self.first),
            "last": format_time(self.last),
            "findings": self.findings,
            "requests": self.requests,
            "response_bytes": self.response_bytes,
            "verdict": self.verdict.value,
            "rules": sorted(self.rules),
            "cves": sorted(self.cves),
            "user_agents": sorted(self.user_agents),
            "accounts": sorted(self.accounts),
            "mailboxes": sorted(self.mailboxes),
            "urls": sorted(self.urls),
            "requests_by_log": dict(sorted(self.logs.items())),
        }


def attacker_addresses(findings: Sequence[Finding], servers: Iterable[str] = ()) -> set[str]:
    """Client addresses with a finding of tier exploited, attempted or suspicious (not probes).

    The server's own addresses and loopback are left out: in back-end logs the client is the
    Exchange front end, not the attacker.
    """
    strong = {Verdict.EXPLOITED, Verdict.ATTEMPTED, Verdict.SUSPICIOUS}
    own = set(servers)
    return {
        ip
        for f in findings
        if f.verdict in strong and (ip := f.entities.client_ip) and ip not in own and not is_loopback(ip)
    }


def is_loopback(ip: str) -> bool:
    """127.0.0.0/8, ::1 and the IPv4-mapped loopback."""
    return ip.startswith("127.") or ip in ("::1", "::ffff:127.0.0.1")


def group_sessions(findings: Sequence[Finding], activities: Iterable[Activity] = ()) -> list[Session]:
    """Sessions of every client address with a finding above info, strongest first."""
    sessions: dict[str, Session] = {}
    for f in findings:
        ip = f.entities.client_ip
        if not ip or f.verdict is Verdict.INFO:
            continue
        sessions.setdefault(ip, Session(ip)).add_finding(f)
    for a in activities:
        if a.client_ip in sessions:
            sessions[a.client_ip].add_activity(a)
    return sorted(
        sessions.values(),
        key=lambda s: (-s.verdict.rank, s.first.isoformat() if s.first else "", s.client_ip),
    )
