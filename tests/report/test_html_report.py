"""The HTML report: content per section, languages, determinism, big reports, self-containment.

Reports are the synthetic demo case's report.json, or small synthetic changes to it.
"""

from __future__ import annotations

import copy
import inspect
import re
import time
from pathlib import Path
from typing import Any

import pytest

from lekdicht.report.html import default_lang, render_html, write_html
from lekdicht.report.html.page import CSP, MAX_LINES_PER_GROUP
from lekdicht.report.html.timeline import timeline_svg
from lekdicht.report.wording import ADVICE, VERDICT_LABEL
from report.markup import check_markup


def _section(page: str, anchor: str) -> str:
    m = re.search(rf'<section id="{anchor}"[^>]*>(.*?)</section>', page, re.DOTALL)
    assert m, anchor
    return m.group(1)


def test_write_html_signature_and_file(demo_report: dict[str, Any], tmp_path: Path) -> None:
    params = list(inspect.signature(write_html).parameters)
    assert params == ["report", "path", "lang"]
    out = tmp_path / "report.html"
    write_html(demo_report, out, "nl")
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="nl">' in page
    check_markup(page)


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_self_contained_with_strict_csp(demo_report: dict[str, Any], lang: str) -> None:
    page = render_html(demo_report, lang)
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP.replace(chr(39), "&#x27;")}">' in page
    assert CSP.startswith("default-src 'none'; style-src 'unsafe-inline'; img-src data:")
    head = page.split("</head>", 1)[0]
    assert head.index("Content-Security-Policy") < head.index("<style>")  # policy before any content
    assert "<script" not in page and "@import" not in page and "url(" not in page
    check = check_markup(page)
    for tag, name, value in check.attrs:  # links only to anchors and to plain web references
        if name == "href" and tag == "link":
            assert value == "data:,"


def test_top_section_has_verdict_advice_and_coverage(demo_report: dict[str, Any]) -> None:
    page = render_html(demo_report, "en")
    top = _section(page, "top")
    assert 'class="verdict v-compromised"' in top and VERDICT_LABEL["en"]["compromised"] in top
    steps = re.findall(r"<li>(.*?)</li>", top.split('<ol class="todo">', 1)[1].split("</ol>", 1)[0])
    assert 3 <= len(steps) <= 5
    assert steps[0] == ADVICE["en"]["compromised"][0]
    assert "The logs cover 2 March 2021 23:10 to 3 March 2021 08:25 (UTC)." in top
    assert "ProxyLogon" in top and "ProxyShell" in top  # coverage per attack wave


def test_dutch_page_is_dutch(demo_report: dict[str, Any]) -> None:
    page = render_html(demo_report, "nl")
    top = _section(page, "top")
    assert VERDICT_LABEL["nl"]["compromised"] in top
    assert ADVICE["nl"]["compromised"][0] in top
    assert "De logbestanden beslaan 2 maart 2021 23:10 tot en met 3 maart 2021 08:25 (UTC)." in top
    for word in (
        "Wat u nu moet doen",
        "Logdekking",
        "Blootstelling per kwetsbaarheid",
        "Bevindingen",
        "Tijdlijn",
        "Inventaris",
        "Wat is er buitgemaakt",
    ):
        assert word in page, word
    for english in ("What to do now", "Log coverage", "Exposure per vulnerability", "Inventory"):
        assert english not in page, english


def test_server_section(demo_report: dict[str, Any]) -> None:
    server = _section(render_html(demo_report, "en"), "server")
    assert "EXCH01" in server and "15.1.2106.2" in server and "out of support" in server
    assert "CVE-2021-26855" in server and "CU18 Mar21SU" in server
    assert "still open at the end of the evidence" in server  # exposure window
    assert "temporary mitigations (URL Rewrite rules) were not checked" in server


def test_server_mitigation_state_is_shown(demo_report: dict[str, Any]) -> None:
    report = copy.deepcopy(demo_report)
    report["server"]["mitigations"] = [
        {
            "mitigation_id": "proxylogon-cookie",
            "title": "ProxyLogon backend cookie rule",
            "cves": ["CVE-2021-26855"],
            "status": "present_weak",
            "reasons": ["pattern too narrow"],
            "rules": ["r1"],
            "source": "C/inetpub/wwwroot/web.config",
            "location": None,
            "notes": [],
        }
    ]
    server = _section(render_html(report, "en"), "server")
    assert "ProxyLogon backend cookie rule: in place, can be bypassed" in server
    assert "pattern too narrow" in server


def test_unknown_build(demo_report: dict[str, Any]) -> None:
    report = copy.deepcopy(demo_report)
    report["server"].update(build=None, product=None, support_status=None, exposure=[], exposure_windows=[])
    server = _section(render_html(report, "en"), "server")
    assert "The build could not be determined" in server


def test_data_exposure_not_assessed(demo_report: dict[str, Any]) -> None:
    report = copy.deepcopy(demo_report)
    report["data_exposure"] = {"status": "not_assessed"}
    assert "Not assessed" in _section(render_html(report, "en"), "taken")
    assert "Niet beoordeeld" in _section(render_html(report, "nl"), "taken")
    del report["data_exposure"]
    assert "Not assessed" in _section(render_html(report, "en"), "taken")


def test_data_exposure_assessed(demo_report: dict[str, Any]) -> None:
    report = copy.deepcopy(demo_report)
    cite = [{"path": "Logging/Ews/EWS_2021030302-1.LOG", "line": 7, "time": "2021-03-03T02:20:00Z"}]
    report["data_exposure"] = {
        "status": "assessed",
        "summary": "2 mailboxes read, the address book downloaded once, 1 mail-forwarding change found.",
        "attacker_ips": ["203.0.113.37"],
        "mailboxes": [
            {
                "mailbox": "anna@example.org",
                "requests": 12,
                "operations": {"FindItem": 4, "GetItem": 8},
                "read": True,
                "response_bytes": 120000,
                "via": ["ews"],
                "client_ips": ["203.0.113.37"],
                "first": "2021-03-03T02:20:00Z",
                "last": "2021-03-03T02:30:00Z",
                "evidence": cite * 5,
            },
            {
                "mailbox": "bram@example.org",
                "requests": 1,
                "operations": {"GetItem": 1},
                "read": True,
                "response_bytes": 100,
                "via": ["ews"],
                "client_ips": ["203.0.113.37"],
                "first": "2021-03-03T02:21:00Z",
                "last": "2021-03-03T02:21:00Z",
                "evidence": cite,
            },
        ],
        "exports": [],
        "role_grants": [],
        "address_book": [
            {
                "client_ip": "203.0.113.37",
                "kind": "oab",
                "downloads": 1,
                "response_bytes": 341,
                "first": "2021-03-03T02:13:05Z",
                "last": "2021-03-03T02:13:05Z",
                "evidence": cite,
            }
        ],
        "mail_flow": [
            {
                "kind": "Set-Mailbox",
                "mailbox": "anna@example.org",
                "parameter": "ForwardingSmtpAddress",
                "destination": "drop@evil.example",
                "by": "EXAMPLE\\admin",
                "time": "2021-03-03T02:40:00Z",
                "failed": False,
                "evidence": cite,
            }
        ],
        "outbound_mail": [],
        "pst_files": [],
        "limits": ["No message tracking logs: outbound mail cannot be checked."],
    }
    en = _section(render_html(report, "en"), "taken")
    assert "2 mailboxes read" in en
    assert "anna@example.org" in en and "FindItem: 4" in en and "120.0 kB" in en
    assert "offline address book (OAB)" in en
    assert "drop@evil.example" in en and "-ForwardingSmtpAddress" in en
    assert "Logging/Ews/EWS_2021030302-1.LOG:7" in en and "and 2 more" in en  # citations, folded
    assert "Nothing found for: Mailbox exports, Export rights granted" in en
    nl = _section(render_html(report, "nl"), "taken")
    assert "2 mailboxen gelezen, het adresboek eenmaal gedownload, 1 wijziging in het doorsturen" in nl
    assert "120,0 kB" in nl


def test_breach_fragment_only_when_present(demo_report: dict[str, Any]) -> None:
    assert 'id="breach"' not in render_html(demo_report, "en")
    report = dict(demo_report, breach="<p>Notify the AP &amp; the people affected.</p>")
    page = render_html(report, "en")
    assert '<section id="breach"' in page
    assert "<p>Notify the AP &amp; the people affected.</p>" in _section(page, "breach")
    assert page.index('id="taken"') < page.index('id="breach"') < page.index('id="findings"')
    assert 'href="#breach"' in page


def test_findings_grouped_by_session_and_cve_with_evidence_lines(demo_report: dict[str, Any]) -> None:
    findings = _section(render_html(demo_report, "en"), "findings")
    assert "By attacker session" in findings and "By vulnerability (CVE)" in findings
    assert '<details class="sess po" open>' in findings  # the strongest session is open
    assert "203.0.113.37" in findings and "antSword/v2.1" in findings
    assert '<details class="cve po">' in findings and "CVE-2021-26855" in findings
    # evidence line: file with line number and the file's SHA-256
    first = next(f for f in demo_report["findings"] if f["evidence"].get("line") and f["time"])
    ev = first["evidence"]
    assert f"{ev['path']}:{ev['line']}" in findings
    assert ev["sha256"] in findings
    assert "Without a client address" in findings  # webshell files, events


def test_evidence_section_lists_files_and_errors(demo_report: dict[str, Any]) -> None:
    report = copy.deepcopy(demo_report)
    report["errors"] = [{"path": "C/broken.evtx", "error": "not an EVTX file"}]
    report["evidence"]["files"][1]["rejected_examples"] = [
        {"line": 4, "reason": "wrong number of fields", "excerpt": "garbage line"}
    ]
    section = _section(render_html(report, "en"), "evidence")
    assert "C/broken.evtx" in section and "not an EVTX file" in section
    assert "wrong number of fields" in section and "garbage line" in section
    for f in demo_report["evidence"]["files"]:
        assert f["path"] in section
        if f["sha256"]:
            assert f["sha256"] in section
    clean = _section(render_html(demo_report, "en"), "evidence")
    assert "Every file could be read." in clean


def test_log_gaps_are_shown(demo_report: dict[str, Any]) -> None:
    report = copy.deepcopy(demo_report)
    report["log_gaps"] = {
        "httpproxy_hours": [
            {
                "folder": "HttpProxy/Owa",
                "after": "2021-03-03T03:00:00Z",
                "before": "2021-03-03T07:00:00Z",
                "missing_hours": 4,
            }
        ],
        "uncovered_periods": [],
    }
    top = _section(render_html(report, "en"), "top")
    assert "Gaps in the logs" in top and "HttpProxy/Owa" in top


def test_output_is_deterministic(demo_report: dict[str, Any]) -> None:
    for lang in ("en", "nl"):
        assert render_html(demo_report, lang) == render_html(copy.deepcopy(demo_report), lang)


def test_unknown_language_falls_back_to_english(demo_report: dict[str, Any]) -> None:
    assert '<html lang="en">' in render_html(demo_report, "de")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"LANG": "nl_NL.UTF-8"}, "nl"),
        ({"LANG": "nl_BE.UTF-8"}, "nl"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LC_ALL": "nl_NL.UTF-8", "LANG": "en_GB.UTF-8"}, "nl"),
        ({"LC_ALL": "C.UTF-8", "LANG": "nl_NL.UTF-8"}, "en"),
        ({"LANG": "C"}, "en"),
        ({}, "en"),
    ],
)
def test_default_lang(env: dict[str, str], expected: str) -> None:
    assert default_lang(env) == expected


def test_default_lang_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LC_ALL", "nl_NL.UTF-8")
    assert default_lang() == "nl"
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")
    assert default_lang() == "en"


def _many_findings(report: dict[str, Any], n: int) -> dict[str, Any]:
    big = copy.deepcopy(report)
    template = next(f for f in report["findings"] if f["entities"].get("client_ip") and f["time"])
    findings = []
    for i in range(n):
        f = copy.deepcopy(template)
        f["evidence"]["line"] = i + 1
        f["entities"]["client_ip"] = f"198.51.{i % 250}.{i % 7}"
        f["time"] = f"2021-03-03T{(i // 3600) % 24:02d}:{(i // 60) % 60:02d}:{i % 60:02d}Z"
        findings.append(f)
    big["findings"] = findings
    big["sessions"] = [
        {**report["sessions"][0], "client_ip": f"198.51.{i % 250}.{i % 7}", "findings": n // 1750}
        for i in range(1750)
    ]
    return big


def test_big_report_stays_usable(demo_report: dict[str, Any]) -> None:
    big = _many_findings(demo_report, 100_000)
    started = time.monotonic()
    page = render_html(big, "en")
    elapsed = time.monotonic() - started
    assert elapsed < 30, elapsed
    assert len(page) < 20_000_000, len(page)
    assert f"{100_000 - MAX_LINES_PER_GROUP:,} more in findings.jsonl" in page
    assert "More sessions in report.json: 1,550" in page
    assert "Sessions not drawn" in page  # the timeline draws the strongest sessions only
    check_markup(page)


def test_timeline_svg_edge_cases(demo_report: dict[str, Any]) -> None:
    svg = timeline_svg(demo_report, "en")
    assert svg is not None and svg.startswith("<svg") and "203.0.113.37" in svg
    assert "httpproxy" in svg and "2021-03-03" in svg
    # no timestamps at all
    empty = copy.deepcopy(demo_report)
    empty["coverage"]["families"] = []
    empty["sessions"] = []
    for f in empty["findings"]:
        f["time"] = None
    assert timeline_svg(empty, "en") is None
    assert "No timestamps in the evidence" in _section(render_html(empty, "en"), "timeline")
    # a single instant
    single = copy.deepcopy(demo_report)
    single["coverage"]["families"] = [
        {"family": "iis", "files": 1, "first": "2021-03-03T02:10:41Z", "last": "2021-03-03T02:10:41Z"}
    ]
    single["findings"] = [f for f in single["findings"] if f["time"]][:1]
    single["findings"][0]["time"] = "2021-03-03T02:10:41Z"
    single["sessions"] = single["sessions"][:1]
    one = timeline_svg(single, "nl")
    assert one is not None and "nan" not in one.lower() and 'width="-' not in one
    check_markup(f"<div>{one}</div>")
