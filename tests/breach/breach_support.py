"""Helpers for the breach tests: synthetic scenario reports and a complete answers document.

Synthetic: written by us for the tests, not taken from any real incident or organisation.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "demo" / "evidence"

# A complete answers document (synthetic organisation).
COMPLETE_ANSWERS: dict[str, Any] = {
    "reference": "DL-2021-007",
    "timezone": "Europe/Amsterdam",
    "organisation": {
        "name": "Voorbeeld B.V.",
        "address": "Voorbeeldstraat 1, 1234 AB Utrecht",
        "kvk_number": "12345678",
        "fg_registration": "FG001234",
        "sector": "Zakelijke dienstverlening",
        "financial_undertaking": False,
    },
    "reporter": {
        "name": "Jan Jansen",
        "function": "IT-manager",
        "email": "jan@example.org",
        "phone": "030 1234567",
    },
    "contact": {
        "name": "Petra de Vries",
        "function": "FG",
        "email": "fg@example.org",
        "phone": "030 1234568",
        "is_dpo": True,
    },
    "other_organisations": ["ICT Beheer B.V. (processor)"],
    "notification": {"legal_basis": "AVG", "other_regulators": [], "cross_border": False},
    "timeline": {
        "aware_at": "2021-03-04 09:30",
        "discovered_at": "2021-03-04 08:15",
        "how_discovered": "ioc_scan",
    },
    "personal_data": {
        "categories": ["name", "email", "phone", "contact_details"],
        "special_categories": [],
        "records": "40000-60000",
        "protection": "none",
    },
    "data_subjects": {
        "groups": ["employees", "customers"],
        "description": "Staff and correspondents",
        "count": "2000-3000",
    },
    "impact": {"integrity": "none", "availability": "none"},
    "communication": {"status": "planned", "channels": ["email"], "count": 2500},
    "measures": {"taken": ["Server disconnected on 2021-03-04", "Webshell removed, March 2021 SU installed"]},
}


def answers_doc(**overrides: Any) -> dict[str, Any]:
    """A deep copy of the complete answers with ``section={...}`` merged in (``None`` removes a key)."""
    doc = copy.deepcopy(COMPLETE_ANSWERS)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(doc.get(key), dict):
            for k, v in value.items():
                if v is None:
                    doc[key].pop(k, None)
                else:
                    doc[key][k] = v
        elif value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    return doc


def _finding(
    rule: str, verdict: str, time: str | None, kind: str, attack: list[str], **ev: Any
) -> dict[str, Any]:
    return {
        "rule_id": rule,
        "title": rule,
        "verdict": verdict,
        "severity": "critical" if verdict == "exploited" else "medium",
        "cves": ["CVE-2021-26855"],
        "attack": attack,
        "time": time,
        "artefact_kind": kind,
        "evidence": {"path": ev.get("path", "logs/x.log"), "line": 1},
        "entities": {k: v for k, v in ev.items() if k != "path"},
        "references": [],
    }


def make_report(
    verdict: str = "compromised",
    data_exposure: dict[str, Any] | None = None,
    schema: str = "lekdicht.report/2",
    user_agent: str = "python-requests/2.25.1",
) -> dict[str, Any]:
    """A small synthetic report.json of an Exchange server (only the fields the breach stage reads)."""
    findings: list[dict[str, Any]] = []
    sessions: list[dict[str, Any]] = []
    if verdict == "compromised":
        findings = [
            _finding(
                "WS1-aspnet-client-file",
                "exploited",
                None,
                "file.web_content",
                ["T1505.003"],
                path="C/inetpub/wwwroot/aspnet_client/x.aspx",
                file="C/inetpub/wwwroot/aspnet_client/x.aspx",
            ),
            _finding(
                "PL1-ssrf-backend-reached",
                "exploited",
                "2021-03-03T02:10:41Z",
                "exchange.httpproxy",
                ["T1190"],
                client_ip="203.0.113.37",
                user_agent=user_agent,
            ),
            _finding(
                "WA2-iis-aspnet-client-page",
                "exploited",
                "2021-03-03T02:15:02Z",
                "iis.w3c",
                ["T1505.003"],
                client_ip="203.0.113.37",
                user_agent=user_agent,
            ),
        ]
        sessions = [
            {
                "client_ip": "203.0.113.37",
                "first": "2021-03-03T02:10:41Z",
                "last": "2021-03-03T02:15:02Z",
                "findings": 2,
                "verdict": "exploited",
                "user_agents": [user_agent],
                "urls": ["/ecp/y.js"],
                "accounts": [],
                "mailboxes": [],
            },
        ]
    elif verdict == "attempted":
        findings = [
            _finding(
                "PL1-ssrf-autodiscover-attempt",
                "attempted",
                "2021-03-02T23:55:31Z",
                "exchange.httpproxy",
                ["T1190"],
                client_ip="192.0.2.145",
                user_agent=user_agent,
            ),
        ]
        sessions = [
            {
                "client_ip": "192.0.2.145",
                "first": "2021-03-02T23:55:31Z",
                "last": "2021-03-02T23:55:31Z",
                "findings": 1,
                "verdict": "attempted",
                "user_agents": [user_agent],
                "urls": ["/ecp/t.js"],
                "accounts": [],
                "mailboxes": [],
            },
        ]
    return {
        "schema": schema,
        "tool": {"name": "lekdicht", "version": "0.1.0"},
        "scan": {"evidence": "/nonexistent/evidence", "evidence_kind": "folder"},
        "verdict": {"overall": verdict, "reasons": ["synthetic"], "counts": {}},
        "server": {
            "hostname": "EXCH01",
            "build": "15.1.2106.2",
            "product": "Exchange Server 2016",
            "exposure_windows": [
                {
                    "cve": "CVE-2021-26855",
                    "families": ["ProxyLogon"],
                    "exploited": True,
                    "exposed_from": "2021-03-01T00:00:00Z",
                    "exposed_until": None,
                    "still_vulnerable": True,
                    "starts_at_evidence_limit": True,
                },
            ],
            "patch_history": {
                "first_evidence": "2021-03-01T00:00:00Z",
                "last_evidence": "2021-03-03T08:00:00Z",
            },
        },
        "coverage": {
            "chains": [
                {
                    "chain": "ProxyLogon",
                    "exploitation_start": "2021-01-06",
                    "status": "partial",
                    "visible_from": "2021-03-01T00:00:00Z",
                    "statement": "The logs start after ProxyLogon began.",
                },
            ]
        },
        "findings": findings,
        "sessions": sessions,
        "data_exposure": data_exposure or {"status": "not_assessed"},
        "errors": [],
    }


ADDRESS_BOOK_ONLY = {
    "status": "assessed",
    "summary": "the address book downloaded twice",
    "mailboxes": [],
    "exports": [],
    "address_book": [
        {
            "client_ip": "203.0.113.37",
            "kind": "oab",
            "downloads": 2,
            "response_bytes": 0,
            "first": "2021-03-03T02:13:02Z",
            "last": "2021-03-03T02:13:05Z",
            "evidence": [],
        },
    ],
    "mail_flow": [],
    "outbound_mail": [],
    "pst_files": [],
    "limits": [],
}
