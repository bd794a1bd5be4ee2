"""The correlate stage: sessions, data exposure, log gaps and the timeline from the first pass."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lekdicht.catalog.kinds import ArtefactKind
from lekdicht.correlate.activity import Activity, is_person
from lekdicht.correlate.exposure import (
    DataExposure,
    address_book_downloads,
    mail_flow_changes,
    mailbox_accesses,
    mailbox_exports,
    pst_files,
)
from lekdicht.correlate.gaps import coverage_gaps, hourly_gaps
from lekdicht.correlate.outbound import outbound_mail
from lekdicht.correlate.second_pass import second_pass
from lekdicht.correlate.sessions import Session, attacker_addresses, group_sessions
from lekdicht.correlate.timeline import timeline_rows
from lekdicht.model import Finding


@dataclass(slots=True)
class Correlation:
    """What the correlate stage adds to the report."""

    sessions: list[Session]
    exposure: DataExposure
    timeline: list[dict[str, Any]]
    gaps: dict[str, Any]
    passes: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)


SHARED_ADDRESS_ACCOUNTS = 10
"""An attacker address seen with more distinct person accounts than this is treated as shared."""


def shared_addresses(activities: Sequence[Activity]) -> dict[str, int]:
    """Attacker addresses that many different people also use (load balancers, proxies, NAT)."""
    accounts: dict[str, set[str]] = {}
    for a in activities:
        if a.account and is_person(a.account):
            accounts.setdefault(a.client_ip, set()).add(a.account.lower())
    return {ip: len(names) for ip, names in accounts.items() if len(names) > SHARED_ADDRESS_ACCOUNTS}


def correlate(
    findings: Sequence[Finding],
    log_files: Sequence[tuple[str, Path, ArtefactKind]],
    spans: Sequence[tuple[Any, Any]],
    inventory: Sequence[dict[str, Any]],
    workers: int | None = None,
    server_addresses: Sequence[str] = (),
) -> Correlation:
    """Second pass over the logs for the attackers' addresses, then exposure, sessions, gaps, timeline."""
    ips = attacker_addresses(findings, server_addresses)
    sp = second_pass(log_files, ips, workers=workers)
    shared = shared_addresses(sp.activities)
    attributed = [a for a in sp.activities if a.client_ip not in shared]
    exports, grants = mailbox_exports(sp.commands)
    exposure = DataExposure(
        attacker_ips=sorted(ips),
        mailboxes=mailbox_accesses(attributed),
        exports=exports,
        role_grants=grants,
        address_book=address_book_downloads(attributed),
        mail_flow=mail_flow_changes(sp.commands, attributed),
        pst_files=pst_files(inventory, findings),
    )
    starts = [a.time for a in sp.activities if a.time] + [
        f.time for f in findings if f.time and f.entities.client_ip in ips
    ]
    since = min(starts) if starts else None
    exposure.outbound_mail, mt_read = outbound_mail(log_files, exposure.affected_accounts(), since)
    for ip in sorted(shared):
        exposure.limits.append(
            f"{ip} is used by {shared[ip]} different accounts (a proxy, load balancer or NAT address?): "
            "its requests are not attributed to the attacker. Check that device's own logs."
        )
    servers_with_findings = sorted(
        {f.entities.client_ip for f in findings if f.entities.client_ip in set(server_addresses)} - {None}
    )
    if servers_with_findings:
        exposure.limits.append(
            "Findings whose client is the Exchange server itself ("
            + ", ".join(str(x) for x in servers_with_findings)
            + ") come from back-end logs; that address is not treated as an attacker."
        )
    if not ips:
        exposure.limits.append(
            "No attacker address was identified, so no request could be attributed to one."
        )
    if sp.dropped_activities:
        exposure.limits.append(
            f"{sp.dropped_activities} further attacker requests were counted but not kept."
        )
    if not any(k is ArtefactKind.EWS for _, _, k in log_files):
        exposure.limits.append("No EWS logs: mailbox access through EWS cannot be attributed to mailboxes.")
    if not any(k is ArtefactKind.MESSAGE_TRACKING for _, _, k in log_files):
        exposure.limits.append("No message tracking logs: outbound mail cannot be checked.")
    gaps = {
        "httpproxy_hours": hourly_gaps(p for p, _, _ in log_files),
        "uncovered_periods": coverage_gaps(spans),
    }
    return Correlation(
        sessions=group_sessions(findings, sp.activities),
        exposure=exposure,
        timeline=timeline_rows(findings, sp.activities),
        gaps=gaps,
        passes={
            "second_pass_files": sp.files_read,
            "message_tracking_files": mt_read,
            "attacker_requests": len(sp.activities) + sp.dropped_activities,
        },
        errors=sp.errors,
    )
