"""ProxyShell rules PS1-PS5: positive and negative samples through the real scan path (synthetic lines)."""

from __future__ import annotations

from pathlib import Path

from lekdicht.catalog.kinds import ArtefactKind
from lekdicht.model import Verdict
from support.logsynth import (
    event_ids,
    httpproxy,
    httpproxy_file,
    iis,
    iis_file,
    mgmt_event,
    mgmt_event_message,
    rps_cmdlet,
    rps_cmdlet_file,
    rps_http,
    rps_http_file,
    scan_text,
)

PS_CVES = ["CVE-2021-34473", "CVE-2021-34523", "CVE-2021-31207"]
AUTODISCOVER = "/autodiscover/autodiscover.json"
PS_POWERSHELL_Q = "@evil.example/powershell/?X-Rps-CAT=VgEAVAdXaW5kb3dz&Email=autodiscover/autodiscover.json%3F@evil.example"
PS_NSPI_Q = "@evil.example/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.example"
PS_EWS_Q = "a=x@evil.example/EWS/exchange.asmx"
GOSSI_Q = "@test.com/owa/?&Email=autodiscover/autodiscover.json%3F@test.com"


def _iis_hits(tmp_path: Path, *lines: str) -> list[tuple[str, int | None]]:
    return [
        (f.rule_id, f.evidence.line) for f in scan_text(tmp_path, ArtefactKind.IIS_W3C, iis_file(list(lines)))
    ]


def test_ps1_iis_success_tiers(tmp_path: Path) -> None:
    findings = scan_text(
        tmp_path,
        ArtefactKind.IIS_W3C,
        iis_file(
            [
                iis("POST", AUTODISCOVER, "200", PS_POWERSHELL_Q, ua="python-requests/2.26.0"),
                iis("POST", AUTODISCOVER, "200", PS_NSPI_Q),
                iis("GET", AUTODISCOVER, "302", PS_EWS_Q),
            ]
        ),
    )
    assert [(f.rule_id, f.evidence.line) for f in findings] == [
        ("PS1-iis-autodiscover-ssrf-success", 5),
        ("PS1-iis-autodiscover-ssrf-success", 6),
        ("PS1-iis-autodiscover-ssrf-success", 7),
    ]
    f = findings[0]
    assert f.verdict is Verdict.EXPLOITED
    assert f.cves == PS_CVES and "T1190" in f.attack and f.references
    assert f.entities.client_ip == "203.0.113.37" and f.entities.user_agent == "python-requests/2.26.0"


def test_ps1_iis_blocked_attempt_is_attempted(tmp_path: Path) -> None:
    hits = _iis_hits(
        tmp_path,
        iis("POST", AUTODISCOVER, "401", PS_POWERSHELL_Q),
        iis("GET", AUTODISCOVER, "404", PS_NSPI_Q),
    )
    assert hits == [("PS1-iis-autodiscover-ssrf-failed", 5), ("PS1-iis-autodiscover-ssrf-failed", 6)]


def test_ps1_iis_percent_encoded_target_is_found(tmp_path: Path) -> None:
    query = (
        "@evil.example/%70ower%73hell/?X-Rps-CAT=VgEA&Email=autodiscover/autodiscover.json%3F@evil.example"
    )
    assert _iis_hits(tmp_path, iis("POST", AUTODISCOVER, "200", query)) == [
        ("PS1-iis-autodiscover-ssrf-success", 5)
    ]


def test_ps1_iis_scanner_probes_are_probes(tmp_path: Path) -> None:
    hits = _iis_hits(
        tmp_path,
        iis("GET", AUTODISCOVER, "302", GOSSI_Q, ua="Mozilla/5.0+(compatible;+Nmap+Scripting+Engine)"),
        iis("GET", "/owa/", "302", "&Email=autodiscover/autodiscover.json%3F@test.com&ClientId=ABC"),
        iis(
            "GET",
            AUTODISCOVER,
            "401",
            "@test.com/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@test.com",
        ),
    )
    assert hits == [
        ("PS1-iis-autodiscover-probe", 5),
        ("PS1-iis-autodiscover-probe", 6),
        ("PS1-iis-autodiscover-probe", 7),
    ]


def test_ps1_iis_negative_ordinary_autodiscover(tmp_path: Path) -> None:
    hits = _iis_hits(
        tmp_path,
        iis(
            "GET",
            "/autodiscover/autodiscover.json/v1.0/anna@example.org",
            query="Protocol=ActiveSync&RedirectCount=1",
        ),
        iis("POST", "/Autodiscover/Autodiscover.xml", user="EXAMPLE\\anna"),
        iis("POST", "/powershell", query="clientApplication=EMS;PSVersion=5.1", user="EXAMPLE\\admin"),
        iis("POST", "/EWS/Exchange.asmx", user="anna@example.org"),
    )
    assert hits == []


def test_ps1_authenticated_request_is_left_to_proxynotshell(tmp_path: Path) -> None:
    no_token = "@evil.example/powershell/?&Email=autodiscover/autodiscover.json%3F@evil.example"
    hits = _iis_hits(
        tmp_path,
        iis("POST", AUTODISCOVER, "200", no_token, user="EXAMPLE\\anna"),
        iis("POST", AUTODISCOVER, "200", PS_NSPI_Q, user="EXAMPLE\\anna"),
        iis("POST", AUTODISCOVER, "200", PS_POWERSHELL_Q, user="EXAMPLE\\anna"),  # forged token: ProxyShell
    )
    assert hits == [
        ("PN1-iis-autodiscover-powershell-success", 5),
        ("PN1-iis-autodiscover-powershell-success", 6),
        ("PS1-iis-autodiscover-ssrf-success", 7),
    ]


def test_ps1_httpproxy_tiers(tmp_path: Path) -> None:
    lines = [
        httpproxy(
            Protocol="Autodiscover",
            UrlStem=AUTODISCOVER,
            UrlQuery="?" + PS_POWERSHELL_Q,
            UserAgent="python-requests/2.26.0",
        ),
        httpproxy(Protocol="Autodiscover", UrlStem=AUTODISCOVER, UrlQuery="?" + PS_NSPI_Q, HttpStatus="401"),
        httpproxy(Protocol="Autodiscover", UrlStem=AUTODISCOVER, UrlQuery="?" + GOSSI_Q, HttpStatus="302"),
        httpproxy(  # negative: a normal Autodiscover request of a logged-on user
            Protocol="Autodiscover",
            UrlStem="/autodiscover/autodiscover.xml",
            AuthenticatedUser="EXAMPLE\\anna",
            IsAuthenticated="true",
        ),
    ]
    findings = scan_text(tmp_path, ArtefactKind.HTTPPROXY, httpproxy_file(lines))
    assert [(f.rule_id, f.evidence.line) for f in findings] == [
        ("PS1-httpproxy-autodiscover-ssrf-success", 6),
        ("PS1-httpproxy-autodiscover-ssrf-failed", 7),
        ("PS1-httpproxy-autodiscover-probe", 8),
    ]
    assert findings[0].cves == PS_CVES and findings[0].verdict is Verdict.EXPLOITED


def test_ps1_rpshttp_backend_session(tmp_path: Path) -> None:
    query = "?X-Rps-CAT=VgEAVAdXaW5kb3dzQwBBBUJhc2lj&Email=autodiscover/autodiscover.json%3F@evil.example"
    lines = [
        rps_http(UrlQuery=query, ClientInfo="Python PSRP Client", AuthenticatedUser="admin@example.org"),
        rps_http(UrlQuery=query, ClientInfo="Python PSRP Client", HttpStatus="500"),
        rps_http(),  # negative: the Exchange Management Shell
    ]
    findings = scan_text(tmp_path, ArtefactKind.RPS_HTTP, rps_http_file(lines), "Rps_Http_2021082003-1.LOG")
    assert [(f.rule_id, f.evidence.line) for f in findings] == [
        ("PS1-rpshttp-proxyshell-powershell", 6),
        ("PS1-rpshttp-proxyshell-powershell-failed", 7),
    ]
    assert findings[0].entities.account == "admin@example.org"


EXPORT_SHELL = (
    '-Mailbox "admin@example.org" -IncludeFolders "#Drafts#" -ContentFilter "Subject -eq \'x\'" '
    '-FilePath "\\\\127.0.0.1\\C$\\inetpub\\wwwroot\\aspnet_client\\qwxr.aspx"'
)
EXPORT_PST = '-Mailbox "anna@example.org" -FilePath "\\\\fs01\\pst$\\anna.pst"'


def test_ps2_mgmt_export_to_web_path(tmp_path: Path) -> None:
    assert "PS2-mgmt-export-to-web-path" in event_ids(
        tmp_path, mgmt_event("New-MailboxExportRequest", EXPORT_SHELL)
    )
    assert "PS2-mgmt-export-to-web-path" in event_ids(
        tmp_path, mgmt_event_message("New-MailboxExportRequest", EXPORT_SHELL)
    )
    failed = event_ids(tmp_path, mgmt_event("New-MailboxExportRequest", EXPORT_SHELL, event_id=6))
    assert failed == {"PS2-mgmt-export-to-web-path-failed"}


def test_ps2_ordinary_export_is_dx1_only(tmp_path: Path) -> None:
    assert event_ids(tmp_path, mgmt_event("New-MailboxExportRequest", EXPORT_PST)) == {
        "DX1-mgmt-mailbox-export"
    }
    assert event_ids(tmp_path, mgmt_event_message("New-MailboxExportRequest", EXPORT_PST)) == {
        "DX1-mgmt-mailbox-export"
    }
    assert event_ids(tmp_path, mgmt_event("Get-MailboxExportRequest", '-Mailbox "anna@example.org"')) == set()


def test_ps2_role_grant_and_removal(tmp_path: Path) -> None:
    grant = mgmt_event(
        "New-ManagementRoleAssignment", '-Role "Mailbox Import Export" -User "admin@example.org"'
    )
    assert event_ids(tmp_path, grant) == {"PS2-mgmt-import-export-role-grant"}
    other = mgmt_event(
        "New-ManagementRoleAssignment", '-Role "ApplicationImpersonation" -User "svc@example.org"'
    )
    assert event_ids(tmp_path, other) == {"MG1-mgmt-rbac-grant"}
    removed = mgmt_event("Remove-MailboxExportRequest", '-Identity "admin\\MailboxExport" -Confirm "False"')
    assert event_ids(tmp_path, removed) == {"PS2-mgmt-export-request-removed"}
    assert (
        event_ids(tmp_path, mgmt_event("Get-ManagementRoleAssignment", '-Role "Mailbox Import Export"'))
        == set()
    )


def test_ps3_certificate_request_shell(tmp_path: Path) -> None:
    shell = (
        '-GenerateRequest "True" -BinaryEncoded "True" -SubjectName "CN=<script language=JScript ...>" '
        '-RequestFile "\\\\localhost\\C$\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\auth\\x.aspx"'
    )
    assert event_ids(tmp_path, mgmt_event("New-ExchangeCertificate", shell)) == {
        "PS3-mgmt-certificate-request-shell"
    }
    benign = '-GenerateRequest "True" -SubjectName "CN=mail.example.org" -RequestFile "C:\\certs\\mail.req"'
    assert event_ids(tmp_path, mgmt_event("New-ExchangeCertificate", benign)) == set()


def test_ps2_ps3_rps_cmdlet_log(tmp_path: Path) -> None:
    lines = [
        rps_cmdlet(
            "New-ManagementRoleAssignment",
            '-Role "Mailbox Import Export" -SecurityGroup "Organization Management"',
        ),
        rps_cmdlet("New-MailboxExportRequest", EXPORT_SHELL),
        rps_cmdlet("Remove-MailboxExportRequest", '-Identity "admin\\MailboxExport" -Confirm "False"'),
        rps_cmdlet(
            "New-ExchangeCertificate",
            '-GenerateRequest "True" -RequestFile "C:\\inetpub\\wwwroot\\aspnet_client\\c.aspx"',
        ),
        rps_cmdlet("New-MailboxExportRequest", EXPORT_PST),
        rps_cmdlet("Get-Mailbox", '-ResultSize "Unlimited"'),  # negative
    ]
    findings = scan_text(
        tmp_path, ArtefactKind.RPS_CMDLET, rps_cmdlet_file(lines), "Rps_Cmdlet_2021082003-1.LOG"
    )
    assert [(f.rule_id, f.evidence.line) for f in findings] == [
        ("PS2-rpscmdlet-import-export-role-grant", 6),
        ("PS2-rpscmdlet-export-to-web-path", 7),
        ("PS2-rpscmdlet-export-request-removed", 8),
        ("PS3-rpscmdlet-certificate-request-shell", 9),
        ("DX1-rpscmdlet-mailbox-export", 10),
    ]
    assert findings[1].cves == ["CVE-2021-31207", "CVE-2021-34473", "CVE-2021-34523"]
    assert findings[1].entities.account == "Administrator"


def test_ps5_mrs_writes_web_page(tmp_path: Path) -> None:
    mrs = "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Bin\\MSExchangeMailboxReplication.exe"
    event = {
        "@timestamp": "2021-08-20T03:04:09.000Z",
        "Channel": "Microsoft-Windows-Sysmon/Operational",
        "EventID": 11,
        "Image": mrs,
        "TargetFilename": "C:\\inetpub\\wwwroot\\aspnet_client\\qwxr.aspx",
    }
    assert event_ids(tmp_path, event) == {"PS5-mrs-writes-web-page"}
    pst = {**event, "TargetFilename": "\\\\fs01\\pst$\\anna.pst"}
    assert event_ids(tmp_path, pst) == set()


def test_ps1_rewritten_powershell_request_with_forged_token_is_proxyshell(tmp_path: Path) -> None:
    """The back end (IIS port 444) and the PowerShell proxy log see /powershell?X-Rps-CAT=...&Email=...;
    a logged user name there is the impersonated account, so the forged token decides: ProxyShell."""
    query = "X-Rps-CAT=VgEAVAdXaW5kb3dzQwBBBUJhc2lj&Email=autodiscover/autodiscover.json%3F@evil.example"
    hits = _iis_hits(
        tmp_path,
        iis("POST", "/powershell", "200", query, user="EXAMPLE\\administrator"),
        iis("POST", "/powershell", "500", query),
    )
    assert hits == [("PS1-iis-autodiscover-ssrf-success", 5), ("PS1-iis-autodiscover-ssrf-failed", 6)]
    lines = [
        httpproxy(
            Protocol="PowerShell",
            UrlStem="/powershell",
            UrlQuery="?" + query,
            AuthenticatedUser="administrator@example.org",
            UserAgent="Python PSRP Client",
        )
    ]
    findings = scan_text(tmp_path, ArtefactKind.HTTPPROXY, httpproxy_file(lines))
    assert [f.rule_id for f in findings] == ["PS1-httpproxy-autodiscover-ssrf-success"]
