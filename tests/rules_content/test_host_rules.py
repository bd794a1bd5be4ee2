"""Host activity rules (process, file, network, Security events) as Sysmon / Security 4688 exported JSON
lines. Every event is synthetic; the real EVTX samples are in test_dataset_evtx.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.logsynth import event_ids

SYSMON = {
    "@timestamp": "2021-03-03T02:20:00.000Z",
    "Hostname": "EXCH01",
    "Channel": "Microsoft-Windows-Sysmon/Operational",
}
SECURITY = {"@timestamp": "2021-03-03T02:20:00.000Z", "Hostname": "DC01", "Channel": "Security"}
W3WP = "c:\\windows\\system32\\inetsrv\\w3wp.exe"
W3WP_OWA = 'c:\\windows\\system32\\inetsrv\\w3wp.exe -ap "MSExchangeOWAAppPool" -v "v4.0"'
OWA_AUTH = "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\auth\\"


def proc(image: str, cmd: str, parent: str = W3WP, **extra: object) -> dict[str, object]:
    return {
        **SYSMON,
        "EventID": 1,
        "Image": image,
        "CommandLine": cmd,
        "ParentImage": parent,
        "ParentCommandLine": W3WP_OWA if parent == W3WP else parent,
        "User": "NT AUTHORITY\\SYSTEM",
        **extra,
    }


def file_event(image: str, target: str, event_id: int = 11) -> dict[str, object]:
    return {**SYSMON, "EventID": event_id, "Image": image, "TargetFilename": target}


POSITIVES: list[tuple[dict[str, object], set[str]]] = [
    (proc("C:\\Windows\\System32\\cmd.exe", 'cmd /c "cd /d C:\\inetpub&whoami"'), {"HX4-w3wp-shell-child"}),
    (
        {  # Security 4688: the same through the NewProcessName / ParentProcessName aliases
            **SECURITY,
            "Hostname": "EXCH01",
            "EventID": 4688,
            "NewProcessName": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
            "ParentProcessName": "C:\\Windows\\System32\\inetsrv\\w3wp.exe",
            "CommandLine": "powershell -enc SQBFAFgA",
        },
        {"HX4-w3wp-shell-child"},
    ),
    (
        proc(
            "C:\\Windows\\System32\\net.exe",
            'net  group "domain admins" /domain',
            "C:\\Windows\\System32\\cmd.exe",
            User="IIS APPPOOL\\DefaultAppPool",
        ),
        {"HX4-iis-apppool-recon"},
    ),
    (
        proc(
            "C:\\Windows\\System32\\cmd.exe",
            'cmd /c "cd /d "C:\\inetpub\\wwwroot\\aspnet_client\\"&ipconfig&echo [S]&cd&echo [E]"',
        ),
        {"HX4-w3wp-shell-child", "HX4-china-chopper-cmdline"},
    ),
    (
        proc(
            "C:\\Windows\\System32\\inetsrv\\appcmd.exe",
            "appcmd.exe list apppool /text:processmodel.password",
            "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        ),
        {"HX4-iis-apppool-password-dump"},
    ),
    (
        {**SYSMON, "EventID": 8, "SourceImage": W3WP, "TargetImage": "C:\\Windows\\System32\\notepad.exe"},
        {"HX4-w3wp-remote-thread"},
    ),
    (
        {**SYSMON, "EventID": 3, "Image": W3WP, "DestinationIp": "127.0.0.1", "DestinationPort": 3389},
        {"HX4-w3wp-tunnel-connection"},
    ),
    (
        {**SYSMON, "EventID": 3, "Image": W3WP, "DestinationIp": "127.0.0.1", "DestinationPort": 445},
        {"HX4-w3wp-tunnel-connection"},
    ),
    (
        {
            **SYSMON,
            "EventID": 10,
            "SourceImage": "C:\\Windows\\System32\\rundll32.exe",
            "TargetImage": "C:\\Windows\\system32\\lsass.exe",
            "GrantedAccess": "0x1FFFFF",
        },
        {"HX1-lsass-memory-access"},
    ),
    (
        file_event(W3WP, "C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\x.aspx"),
        {"WS2-event-w3wp-writes-script"},
    ),
    (
        file_event("C:\\Windows\\System32\\cmd.exe", OWA_AUTH + "Current\\themes\\resources\\error.aspx"),
        {"WS2-event-web-folder-script-write"},
    ),
    (
        proc(
            "C:\\Windows\\System32\\inetsrv\\appcmd.exe",
            "appcmd.exe add module /name:Evil /image:C:\\x\\e.dll",
        ),
        {"WS6-iis-module-registration-by-w3wp"},
    ),
    (
        proc(
            "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
            "powershell New-WebGlobalModule -Name Evil -Image C:\\x\\e.dll",
            "C:\\Windows\\explorer.exe",
        ),
        {"WS6-iis-module-registration"},
    ),
    (
        file_event(
            "C:\\Windows\\System32\\notepad.exe", "D:\\Exchange\\TransportRoles\\Shared\\agents.config"
        ),
        {"WS7-agents-config-modified"},
    ),
    (
        proc(
            "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
            "powershell -c Install-TransportAgent -Name Evil -TransportAgentFactory E -AssemblyPath C:\\x\\a.dll",
            "C:\\Windows\\explorer.exe",
        ),
        {"WS7-transport-agent-install-cmdline"},
    ),
    (
        {
            **SECURITY,
            "EventID": 4756,
            "TargetUserName": "Exchange Windows Permissions",
            "MemberName": "CN=mallory",
        },
        {"AD1-exchange-privileged-group-add"},
    ),
    (
        {**SECURITY, "EventID": 4728, "TargetUserName": "Discovery Management", "MemberName": "CN=mallory"},
        {"AD1-exchange-role-group-add"},
    ),
    (
        {
            **SECURITY,
            "EventID": 5136,
            "SubjectUserName": "EXCH01$",
            "ObjectClass": "domainDNS",
            "ObjectDN": "DC=example,DC=org",
            "AttributeLDAPDisplayName": "nTSecurityDescriptor",
        },
        {"AD2-privexchange-domain-acl"},
    ),
    (
        {
            **SECURITY,
            "EventID": 1102,
            "Provider": "Microsoft-Windows-Eventlog",
            "Message": "The audit log was cleared.",
        },
        {"MX2-security-log-cleared"},
    ),
    (
        {
            **SYSMON,
            "Channel": "System",
            "EventID": 104,
            "Provider": "Microsoft-Windows-Eventlog",
            "Message": "The MSExchange Management log file was cleared.",
        },
        {"MX2-eventlog-cleared"},
    ),
    (
        proc("C:\\Windows\\System32\\wevtutil.exe", 'wevtutil cl "MSExchange Management"', "C:\\x\\cmd.exe"),
        {"MX2-eventlog-clear-command"},
    ),
    (
        file_event(
            "C:\\Windows\\System32\\cmd.exe",
            "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Logging\\CmdletInfra\\LocalPowerShell\\Cmdlet\\"
            "LocalPowerShell_Cmdlet_2021030302-1.LOG",
            event_id=23,
        ),
        {"MX2-exchange-log-deleted"},
    ),
    (
        proc(
            "C:\\Windows\\System32\\cmd.exe",
            'cmd /c del /q "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Logging\\HttpProxy\\Ecp\\*.LOG"',
            "C:\\x\\explorer.exe",
        ),
        {"MX2-exchange-log-delete-command"},
    ),
]

NEGATIVES: list[dict[str, object]] = [
    # w3wp compiling pages, reporting a crash; cmd started by a person
    proc("C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\csc.exe", "csc.exe /noconfig @x.cmdline"),
    proc("C:\\Windows\\System32\\WerFault.exe", "WerFault.exe -u -p 4242"),
    proc("C:\\Windows\\System32\\cmd.exe", "cmd.exe", "C:\\Windows\\explorer.exe"),
    proc(
        "C:\\Windows\\System32\\net.exe", "net use", "C:\\Windows\\System32\\cmd.exe", User="EXAMPLE\\admin"
    ),
    proc("C:\\Windows\\System32\\cmd.exe", "cmd /c echo hello & echo done", "C:\\Windows\\explorer.exe"),
    proc("C:\\Windows\\System32\\inetsrv\\appcmd.exe", "appcmd list sites", "C:\\Windows\\explorer.exe"),
    {
        **SYSMON,
        "EventID": 8,
        "SourceImage": "C:\\Windows\\System32\\csrss.exe",
        "TargetImage": "C:\\x\\a.exe",
    },
    {**SYSMON, "EventID": 3, "Image": W3WP, "DestinationIp": "10.0.0.7", "DestinationPort": 443},
    {**SYSMON, "EventID": 3, "Image": W3WP, "DestinationIp": "10.0.0.9", "DestinationPort": 445},
    {
        **SYSMON,
        "EventID": 3,
        "Image": "C:\\Windows\\System32\\mstsc.exe",
        "DestinationIp": "10.0.0.7",
        "DestinationPort": 3389,
    },
    {
        **SYSMON,
        "EventID": 10,
        "SourceImage": "C:\\Program Files\\Windows Defender\\MsMpEng.exe",
        "TargetImage": "C:\\Windows\\system32\\lsass.exe",
        "GrantedAccess": "0x1fffff",
    },
    {
        **SYSMON,
        "EventID": 10,
        "SourceImage": "C:\\Windows\\System32\\rundll32.exe",
        "TargetImage": "C:\\Windows\\system32\\notepad.exe",
        "GrantedAccess": "0x1fffff",
    },
    file_event(
        W3WP, "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\Temporary ASP.NET Files\\owa\\x.dll"
    ),
    file_event("C:\\Windows\\System32\\msiexec.exe", OWA_AUTH + "logon.aspx"),
    file_event("C:\\Windows\\System32\\cmd.exe", OWA_AUTH + "Current\\themes\\resources\\logo.png"),
    file_event(
        "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Bin\\ExSetup.exe",
        "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\TransportRoles\\Shared\\agents.config",
    ),
    file_event(
        W3WP,
        "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Logging\\CmdletInfra\\Powershell-Proxy\\Http\\"
        "Rps_Http_2021010100-1.LOG",
        event_id=23,
    ),
    {**SECURITY, "EventID": 4756, "TargetUserName": "Domain Admins", "MemberName": "CN=mallory"},
    {**SECURITY, "EventID": 4757, "TargetUserName": "Organization Management", "MemberName": "CN=old"},
    {
        **SECURITY,
        "EventID": 5136,
        "SubjectUserName": "admin",
        "ObjectClass": "domainDNS",
        "AttributeLDAPDisplayName": "nTSecurityDescriptor",
    },
    {**SECURITY, "EventID": 4624, "Message": "An account was successfully logged on."},
    proc("C:\\Windows\\System32\\wevtutil.exe", "wevtutil qe Security /c:5", "C:\\x\\cmd.exe"),
]


@pytest.mark.parametrize(
    ("event", "expected"), POSITIVES, ids=[sorted(e)[0] + f"-{i}" for i, (_, e) in enumerate(POSITIVES)]
)
def test_host_rules_positive(tmp_path: Path, event: dict[str, object], expected: set[str]) -> None:
    assert event_ids(tmp_path, event) == expected


@pytest.mark.parametrize("event", NEGATIVES)
def test_host_rules_negative(tmp_path: Path, event: dict[str, object]) -> None:
    assert event_ids(tmp_path, event) == set()
