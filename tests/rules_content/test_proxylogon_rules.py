"""ProxyLogon rules PL1-PL9: positive and negative samples through the real scan path (synthetic lines)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lekdicht.catalog.kinds import ArtefactKind
from lekdicht.model import Verdict
from support.logsynth import (
    ecp_file,
    events_file,
    httpproxy,
    httpproxy_file,
    iis,
    iis_file,
    rule_ids,
    scan_text,
)

SSRF_ECP = "ServerInfo~exch01.example.org:444/ecp/DDI/DDIService.svc/GetObject?schema=OABVirtualDirectory#"


def _proxy_ids(tmp_path: Path, *lines: str) -> set[str]:
    return rule_ids(scan_text(tmp_path, ArtefactKind.HTTPPROXY, httpproxy_file(list(lines))))


def test_pl1_ssrf_success_is_exploited(tmp_path: Path) -> None:
    findings = scan_text(
        tmp_path,
        ArtefactKind.HTTPPROXY,
        httpproxy_file([httpproxy(UrlStem="/ecp/y.js", AnchorMailbox=SSRF_ECP)]),
    )
    by_id = {f.rule_id: f for f in findings}
    f = by_id["PL1-ssrf-backend-reached"]
    assert f.verdict is Verdict.EXPLOITED
    assert f.cves == ["CVE-2021-26855"] and "T1190" in f.attack
    assert f.entities.client_ip == "203.0.113.37"
    assert f.evidence.line == 6 and f.time is not None
    assert "PL2-ssrf-static-resource" in by_id  # /ecp/y.js is one of the static entry points


def test_pl1_tiers_failed_autodiscover_and_probe(tmp_path: Path) -> None:
    ids = _proxy_ids(tmp_path, httpproxy(AnchorMailbox=SSRF_ECP, HttpStatus="500"))
    assert ids == {"PL1-ssrf-failed"}
    ids = _proxy_ids(
        tmp_path, httpproxy(AnchorMailbox="ServerInfo~a]@exch01:444/autodiscover/autodiscover.xml?#")
    )
    assert ids == {"PL1-ssrf-autodiscover-attempt"}
    ids = _proxy_ids(
        tmp_path, httpproxy(AnchorMailbox="ServerInfo~localhost/ecp/default.flt?~3", UrlStem="/owa/auth/x.js")
    )
    assert ids == {"PL1-ssrf-localhost-probe"}


def test_pl1_is_case_insensitive_and_survives_csv_quoting(tmp_path: Path) -> None:
    line = httpproxy(AnchorMailbox='SERVERINFO~exch01:444/ews/exchange.asmx?a="b",c#', UrlStem="/ecp/a.js")
    assert "PL1-ssrf-backend-reached" in _proxy_ids(tmp_path, line)


def test_pl1_negative_ordinary_anchor_mailboxes(tmp_path: Path) -> None:
    lines = [
        httpproxy(
            AnchorMailbox="Smtp~anna@example.org",
            AuthenticatedUser="anna@example.org",
            IsAuthenticated="true",
        ),
        httpproxy(AnchorMailbox="Sid~S-1-5-21-1-2-3-4343", UrlStem="/autodiscover/autodiscover.xml"),
        httpproxy(AnchorMailbox="ServerInfo~exch01", HttpStatus="200"),  # no path: not a forged back-end URL
        httpproxy(
            BackEndCookie="Database~fb7adba2-0000-0000-0000-000000000000~~2023-02-08T18:59:59~example.org~1"
        ),
    ]
    assert _proxy_ids(tmp_path, *lines) == set()


def test_pl1_backend_cookie_with_path(tmp_path: Path) -> None:
    ids = _proxy_ids(
        tmp_path, httpproxy(BackEndCookie="Server~exch01.example.org:444/ecp/target.js~1942062522")
    )
    assert ids == {"PL1-ssrf-backendcookie"}
    ids = _proxy_ids(tmp_path, httpproxy(BackEndCookie="Server~exch01.example.org~1942062522"))
    assert ids == set()


def test_pl2_static_resource_needs_ssrf(tmp_path: Path) -> None:
    assert "PL2-ssrf-static-resource" in _proxy_ids(
        tmp_path, httpproxy(UrlStem="/owa/auth/Current/themes/resources/logon.css", AnchorMailbox=SSRF_ECP)
    )
    assert _proxy_ids(tmp_path, httpproxy(UrlStem="/ecp/main.css")) == set()


def test_pl4_rpc_empty_correlation(tmp_path: Path) -> None:
    line = httpproxy(UrlStem="/rpc/", Method="GET", UrlQuery="?&CorrelationID=<empty>;&RequestId=42;")
    assert _proxy_ids(tmp_path, line) == {"PL4-rpc-empty-correlationid"}
    benign = httpproxy(UrlStem="/rpc/rpcproxy.dll", Method="RPC_IN_DATA", UrlQuery="?exch01:6001")
    assert _proxy_ids(tmp_path, benign) == set()


def test_pl3_post_to_static_files_in_iis(tmp_path: Path) -> None:
    text = iis_file(
        [
            iis("POST", "/ecp/y.js"),
            iis("POST", "/owa/auth/Current/themes/resources/lgnbotl.gif", "302"),
            iis("GET", "/ecp/y.js"),  # negative: GET
            iis("POST", "/ecp/y.js", "404"),  # negative: not answered
            iis("POST", "/ecp/DDI/DDIService.svc/GetList", user="EXAMPLE\\admin"),  # negative: real endpoint
        ]
    )
    findings = [
        f for f in scan_text(tmp_path, ArtefactKind.IIS_W3C, text) if f.rule_id == "PL3-iis-post-static-file"
    ]
    assert [f.evidence.line for f in findings] == [5, 6]


def test_pl3_hafnium_user_agents(tmp_path: Path) -> None:
    text = iis_file(
        [
            iis("POST", "/ecp/DDI/DDIService.svc/SetObject", ua="python-requests/2.25.1"),
            iis(
                "POST",
                "/owa/auth/Current/",
                ua="Mozilla/5.0+(compatible;+Googlebot/2.1;++http://www.google.com/bot.html)",
            ),
            iis("GET", "/owa/", ua="Mozilla/5.0+(compatible;+Googlebot/2.1)"),  # negative: GET
            iis("POST", "/EWS/Exchange.asmx", ua="python-requests/2.25.1"),  # negative: not /ecp/ /owa/
        ]
    )
    ids = [
        f.evidence.line
        for f in scan_text(tmp_path, ArtefactKind.IIS_W3C, text)
        if f.rule_id == "PL3-iis-hafnium-user-agent"
    ]
    assert ids == [5, 6]


def test_pl6_oab_download_outside_oab_folder(tmp_path: Path) -> None:
    bad = (
        '2021-03-03T02:11:10.230Z,EXCH01,OABGenerator,Information,"Download failed and temporary file '
        "'\\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\discover.aspx' needs to be removed\"\n"
    )
    good = (
        '2021-03-03T02:11:10.230Z,EXCH01,OABGenerator,Information,"Download failed and temporary file '
        "'C:\\Program Files\\Microsoft\\Exchange Server\\V15\\ClientAccess\\OAB\\Temp\\a.tmp' needs to be removed\"\n"
    )
    assert rule_ids(scan_text(tmp_path, ArtefactKind.OABGEN, bad)) == {"PL6-oab-download-unexpected-path"}
    assert rule_ids(scan_text(tmp_path, ArtefactKind.OABGEN, good)) == set()


def test_pl7_ecp_vdir_script(tmp_path: Path) -> None:
    shell = (
        'S:TIME=341;S:CMD=Set-OabVirtualDirectory.ExternalUrl=\'http://f/<script language="JScript" '
        'runat="server">function Page_Load(){eval(Request["k"],"unsafe");}</script>\'.Identity=\'x\';'
        "S:URL=/ecp/DDI/DDIService.svc/SetObject"
    )
    admin = "S:TIME=20;S:CMD=Set-OwaVirtualDirectory.ExternalUrl='https://mail.example.org/owa'.Identity='x';S:URL=/ecp/"
    findings = scan_text(tmp_path, ArtefactKind.ECP_SERVER, ecp_file([admin, shell]))
    assert [(f.rule_id, f.evidence.line) for f in findings] == [("PL7-ecp-vdir-script-url", 7)]
    assert findings[0].cves == ["CVE-2021-27065"]


def test_pl8_reset_vdir_httpproxy_and_iis(tmp_path: Path) -> None:
    reset = "ServerInfo~exch01:444/ecp/DDI/DDIService.svc/SetObject?schema=ResetOABVirtualDirectory#"
    assert "PL8-ecp-reset-vdir-ssrf" in _proxy_ids(tmp_path, httpproxy(AnchorMailbox=reset))
    assert "PL8-ecp-reset-vdir-ssrf" not in _proxy_ids(
        tmp_path, httpproxy(AnchorMailbox=reset, HttpStatus="500")
    )
    text = iis_file(
        [
            iis(
                "POST",
                "/ecp/DDI/DDIService.svc/SetObject",
                query="schema=ResetOABVirtualDirectory&msExchEcpCanary=x",
                user="EXAMPLE\\EXCH01$",
            ),
            iis(
                "POST",
                "/ecp/DDI/DDIService.svc/SetObject",
                query="schema=ResetOABVirtualDirectory&msExchEcpCanary=x",
                user="EXAMPLE\\admin",
            ),  # negative: a person, not the machine account
        ]
    )
    lines = [
        f.evidence.line
        for f in scan_text(tmp_path, ArtefactKind.IIS_W3C, text)
        if f.rule_id == "PL8-iis-reset-vdir"
    ]
    assert lines == [5]


EVT = {"@timestamp": "2021-03-03T02:16:40.501Z", "Hostname": "EXCH01.example.org"}


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (
            {
                "Channel": "Application",
                "EventID": 100,
                "Provider": "MSExchange Unified Messaging",
                "Level": 2,
                "Message": "An unhandled exception System.InvalidCastException: Unable to cast object",
            },
            "PL5-um-invalidcast",
        ),
        (
            {
                "Channel": "Microsoft-Windows-Sysmon/Operational",
                "EventID": 1,
                "Image": "C:\\Windows\\System32\\cmd.exe",
                "ParentImage": "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Bin\\UMWorkerProcess.exe",
                "CommandLine": "cmd /c whoami",
            },
            "PL5-umworker-child-process",
        ),
        (
            {
                "Channel": "Microsoft-Windows-Sysmon/Operational",
                "EventID": 11,
                "Image": "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Bin\\UMWorkerProcess.exe",
                "TargetFilename": "C:\\inetpub\\wwwroot\\aspnet_client\\a.aspx",
            },
            "PL5-umworker-file-write",
        ),
        (
            {
                "Channel": "MSExchange Management",
                "EventID": 1,
                "Provider": "MSExchange CmdletLogs",
                "Message": "Cmdlet suceeded. Cmdlet Set-OabVirtualDirectory, parameters -ExternalUrl "
                '"http://f/<script language=\\"JScript\\" runat=\\"server\\">function Page_Load()'
                '{eval(Request[\\"k\\"],\\"unsafe\\");}</script>" -Identity "x".',
            },
            "PL7-mgmt-vdir-script-url",
        ),
        (
            {
                "Channel": "Application",
                "EventID": 4,
                "Provider": "MSExchange Control Panel",
                "Message": "Request for URL 'https://exch01.example.org:444/ecp/proxyLogon.ecp' failed with error",
            },
            "PL9-app-ecp-backend-error",
        ),
        (
            {
                "Channel": "Microsoft-Windows-Sysmon/Operational",
                "EventID": 1,
                "Image": "C:\\Windows\\System32\\rundll32.exe",
                "CommandLine": "rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump 624 C:\\temp\\l.dmp full",
                "ParentImage": "C:\\Windows\\System32\\cmd.exe",
            },
            "HX1-lsass-dump-comsvcs",
        ),
        (
            {
                "Channel": "Security",
                "EventID": 4688,
                "NewProcessName": "C:\\root\\procdump64.exe",
                "CommandLine": "procdump64.exe -accepteula -ma lsass.exe C:\\root\\l.dmp",
                "ParentProcessName": "C:\\Windows\\System32\\cmd.exe",
            },
            "HX1-lsass-dump-procdump",
        ),
        (
            {
                "Channel": "Microsoft-Windows-Sysmon/Operational",
                "EventID": 1,
                "Image": "C:\\Program Files\\7-Zip\\7z.exe",
                "CommandLine": "7z.exe a -t7z C:\\ProgramData\\pst.7z C:\\ProgramData\\pst",
                "ParentImage": "C:\\x\\cmd.exe",
            },
            "HX2-staging-archive-programdata",
        ),
        (
            {
                "Channel": "Microsoft-Windows-Sysmon/Operational",
                "EventID": 1,
                "Image": "C:\\Windows\\System32\\attrib.exe",
                "CommandLine": "attrib +h +s +r C:\\inetpub\\wwwroot\\aspnet_client\\a.aspx",
                "ParentImage": "C:\\x\\cmd.exe",
            },
            "HX3-cleanup-attrib-aspx",
        ),
    ],
)
def test_event_rules_positive(tmp_path: Path, event: dict[str, object], expected: str) -> None:
    ids = rule_ids(
        scan_text(tmp_path, ArtefactKind.EVENTS_JSONL, events_file([{**EVT, **event}]), "ev.jsonl")
    )
    assert expected in ids


@pytest.mark.parametrize(
    "event",
    [
        {
            "Channel": "Application",
            "EventID": 100,
            "Provider": "MSExchange Unified Messaging",
            "Level": 2,
            "Message": "The UM call router could not reach the server",
        },
        {
            "Channel": "Application",
            "EventID": 100,
            "Provider": "Application Error",
            "Message": "System.InvalidCastException in some other program",
        },
        {
            "Channel": "Microsoft-Windows-Sysmon/Operational",
            "EventID": 1,
            "Image": "C:\\Windows\\System32\\WerFault.exe",
            "ParentImage": "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Bin\\UMWorkerProcess.exe",
            "CommandLine": "WerFault.exe -u -p 4242",
        },
        {
            "Channel": "Microsoft-Windows-Sysmon/Operational",
            "EventID": 11,
            "Image": "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Bin\\UMWorkerProcess.exe",
            "TargetFilename": "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Logging\\UMWorker\\um.LOG",
        },
        {
            "Channel": "MSExchange Management",
            "EventID": 1,
            "Provider": "MSExchange CmdletLogs",
            "Message": "Cmdlet suceeded. Cmdlet Set-OabVirtualDirectory, parameters -ExternalUrl "
            '"https://mail.example.org/OAB" -Identity "x".',
        },
        {
            "Channel": "Microsoft-Windows-Sysmon/Operational",
            "EventID": 1,
            "Image": "C:\\Windows\\System32\\rundll32.exe",
            "CommandLine": "rundll32.exe shell32.dll,Control_RunDLL",
            "ParentImage": "C:\\Windows\\explorer.exe",
        },
        {
            "Channel": "Microsoft-Windows-Sysmon/Operational",
            "EventID": 1,
            "Image": "C:\\Program Files\\7-Zip\\7z.exe",
            "CommandLine": "7z.exe a -t7z D:\\Backup\\docs.7z D:\\Docs",
            "ParentImage": "C:\\Windows\\explorer.exe",
        },
        {
            "Channel": "Microsoft-Windows-Sysmon/Operational",
            "EventID": 1,
            "Image": "C:\\Windows\\System32\\attrib.exe",
            "CommandLine": "attrib +h C:\\Users\\anna\\notes.txt",
            "ParentImage": "C:\\Windows\\explorer.exe",
        },
    ],
)
def test_event_rules_negative(tmp_path: Path, event: dict[str, object]) -> None:
    assert (
        rule_ids(scan_text(tmp_path, ArtefactKind.EVENTS_JSONL, events_file([{**EVT, **event}]), "ev.jsonl"))
        == set()
    )
