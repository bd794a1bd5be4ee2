"""Facts from report.json: derived with their report path, missing when absent, never invented."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from breach_support import make_report

from lekdicht.breach.facts import derive_facts, read_data_exposure


def test_demo_report_facts(demo_report: dict[str, Any]) -> None:
    f = derive_facts(demo_report)
    assert f.verdict.value == "compromised" and f.verdict.source == "report.json: verdict.overall"
    assert f.first_exploit.status == "derived" and f.first_exploit.source.startswith("report.json: findings[")
    assert f.first_exploit.value == datetime(2021, 3, 3, 2, 10, 41, tzinfo=UTC)
    assert f.webshells and "aspnet_client/discover.aspx" in str(f.webshells[0].value)
    assert f.credential_theft  # LSASS dump (ATT&CK T1003)
    assert f.data_exposure.assessed
    assert f.mailbox_content.value == "confirmed"
    assert f.address_list.value == "confirmed"
    assert f.exfiltration.value == "confirmed"
    assert f.start_limits and f.start_limits[0].chain == "ProxyLogon"
    assert f.ongoing.value is True


def test_schema_1_not_assessed_means_not_excluded() -> None:
    f = derive_facts(make_report(schema="lekdicht.report/1"))
    assert not f.data_exposure.assessed
    assert f.mailbox_content.value == "not_excluded"
    assert "cannot be excluded" in f.mailbox_content.note
    assert f.exfiltration.value == "not_excluded"
    assert f.warnings == []


def test_absent_sections_are_missing_not_invented() -> None:
    f = derive_facts({"schema": "lekdicht.report/9"})
    assert f.verdict.status == "missing" and f.verdict.value is None
    assert f.hostname.status == "missing" and f.first_exploit.status == "missing"
    assert f.evidence_first.status == "missing"
    assert f.sessions == [] and f.webshells == [] and f.exposure == []
    assert f.mailbox_content.value == "undetermined"
    assert f.malicious.status == "missing"
    assert f.warnings and "read defensively" in f.warnings[0]


def test_malformed_data_exposure_is_read_defensively() -> None:
    de = read_data_exposure(
        {
            "data_exposure": {
                "status": "assessed",
                "mailboxes": "all",
                "address_book": 3,
                "exports": [None, {"mailbox": "a", "failed": True}],
            }
        }
    )
    assert de.assessed and de.mailboxes_read == [] and de.exports == [] and de.address_book_downloads == 0


def test_failed_exports_and_unread_mailboxes_do_not_confirm_access() -> None:
    report = make_report(
        data_exposure={
            "status": "assessed",
            "mailboxes": [{"mailbox": "x@example.org", "read": False}],
            "exports": [{"mailbox": "y@example.org", "failed": True}],
            "address_book": [],
        }
    )
    f = derive_facts(report)
    assert f.mailbox_content.value == "not_excluded"
    assert f.exfiltration.value == "not_excluded"
