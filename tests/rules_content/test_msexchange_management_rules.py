"""MSExchange Management (and Rps_Cmdlet) rules: transport agents (WS7), RBAC grants (MG1), OAB
virtual directory resets (MG2), script in a virtual directory URL (PL7, Rps_Cmdlet). Synthetic events
in the three shapes readers see: positional Data, evtx-rs JSON, and rendered Message only."""

from __future__ import annotations

from pathlib import Path

import pytest

from lekdicht.catalog.kinds import ArtefactKind
from support.logsynth import (
    event_ids,
    events_file,
    mgmt_event,
    mgmt_event_message,
    rps_cmdlet,
    rps_cmdlet_file,
    scan_text,
)

AGENT = '-Name "Evil" -AssemblyPath "C:\\ProgramData\\x\\agent.dll" -TransportAgentFactory "Evil.Factory"'


def _evtx_json(cmdlet: str, parameters: str, event_id: int = 1) -> dict[str, object]:
    """The evtx-rs JSON shape of one MSExchange Management record (unnamed <Data> elements)."""
    return {
        "Event": {
            "System": {
                "Provider": {"#attributes": {"Name": "MSExchange CmdletLogs"}},
                "EventID": event_id,
                "Channel": "MSExchange Management",
                "Computer": "EXCH01.example.org",
                "TimeCreated": {"#attributes": {"SystemTime": "2021-08-20T03:04:05.600000Z"}},
                "EventRecordID": 4242,
            },
            "EventData": {
                "Data": [
                    cmdlet,
                    parameters,
                    "example.org/Users/mallory",
                    "S-1-5-21-1-2-3-1105",
                    "S-1-5-21-1-2-3-1105",
                    "Remote-ManagementShell-Unknown",
                    "8372 w3wp#MSExchangePowerShellAppPool",
                ]
            },
        }
    }


@pytest.mark.parametrize("shape", ["data", "evtx", "message"])
def test_ws7_transport_agent_in_all_event_shapes(tmp_path: Path, shape: str) -> None:
    event = {
        "data": mgmt_event("Install-TransportAgent", AGENT),
        "evtx": _evtx_json("Install-TransportAgent", AGENT),
        "message": mgmt_event_message("Install-TransportAgent", AGENT),
    }[shape]
    assert event_ids(tmp_path, event) == {"WS7-mgmt-transport-agent"}


def test_mgmt_fields_are_named_and_give_the_account(tmp_path: Path) -> None:
    findings = scan_text(
        tmp_path,
        ArtefactKind.EVENTS_JSONL,
        events_file([_evtx_json("Enable-TransportAgent", '-Identity "Evil"', event_id=6)]),
        "mgmt.jsonl",
    )
    assert [f.rule_id for f in findings] == ["WS7-mgmt-transport-agent"]
    assert findings[0].entities.account == "example.org/Users/mallory"
    assert findings[0].evidence.record == 4242
    assert "Enable-TransportAgent" in findings[0].evidence.excerpt


def test_ws7_negatives(tmp_path: Path) -> None:
    assert event_ids(tmp_path, mgmt_event("Get-TransportAgent", "")) == set()
    assert (
        event_ids(tmp_path, mgmt_event_message("Get-TransportAgent", '-Identity "Transport Rule Agent"'))
        == set()
    )


def test_mg1_rbac_grants(tmp_path: Path) -> None:
    positives = [
        mgmt_event("New-ManagementRoleAssignment", '-Role "ApplicationImpersonation" -User "svc-x"'),
        mgmt_event("Add-RoleGroupMember", '-Identity "Organization Management" -Member "mallory"'),
        mgmt_event_message(
            "Add-MailboxPermission", '-Identity "ceo" -User "mallory" -AccessRights "FullAccess"'
        ),
    ]
    for event in positives:
        assert event_ids(tmp_path, event) == {"MG1-mgmt-rbac-grant"}, event
    assert (
        event_ids(tmp_path, mgmt_event("Get-RoleGroupMember", '-Identity "Organization Management"')) == set()
    )


def test_mg2_oab_vdir_reset_but_not_plain_url_change(tmp_path: Path) -> None:
    positives = [
        mgmt_event(
            "Remove-OabVirtualDirectory", '-Identity "EXCH01\\OAB (Default Web Site)" -Confirm "False"'
        ),
        mgmt_event(
            "New-OabVirtualDirectory",
            '-WebSiteName "Default Web Site" -Path "C:\\inetpub\\wwwroot\\aspnet_client\\x"',
        ),
    ]
    for event in positives:
        assert event_ids(tmp_path, event) == {"MG2-mgmt-oab-vdir-change"}, event
    script = mgmt_event(
        "Set-OabVirtualDirectory",
        '-Identity "x" -ExternalUrl "http://f/<script>function Page_Load(){}</script>"',
    )
    assert event_ids(tmp_path, script) == {"PL7-mgmt-vdir-script-url"}
    for negative in (
        mgmt_event("Set-OabVirtualDirectory", '-Identity "x" -RequireSSL "True"'),
        mgmt_event("Set-OabVirtualDirectory", '-Identity "x" -ExternalUrl "https://mail.example.org/OAB"'),
    ):
        assert event_ids(tmp_path, negative) == set()


def test_rps_cmdlet_persistence_rules(tmp_path: Path) -> None:
    lines = [
        rps_cmdlet("Install-TransportAgent", AGENT),
        rps_cmdlet("New-ManagementRoleAssignment", '-Role "ApplicationImpersonation" -User "svc-x"'),
        rps_cmdlet("Remove-OabVirtualDirectory", '-Identity "EXCH01\\OAB (Default Web Site)"'),
        rps_cmdlet(
            "Set-OabVirtualDirectory",
            '-Identity "x" -ExternalUrl "http://f/<script language=""JScript"" runat=""server"">x</script>"',
        ),
        rps_cmdlet("Get-OabVirtualDirectory", ""),  # negative
        rps_cmdlet("Get-ManagementRoleAssignment", '-Role "ApplicationImpersonation"'),  # negative
    ]
    ids = [
        (f.rule_id, f.evidence.line)
        for f in scan_text(
            tmp_path, ArtefactKind.RPS_CMDLET, rps_cmdlet_file(lines), "Rps_Cmdlet_2021082003-1.LOG"
        )
    ]
    assert ids == [
        ("WS7-rpscmdlet-transport-agent", 6),
        ("MG1-rpscmdlet-rbac-grant", 7),
        ("MG2-rpscmdlet-oab-vdir-change", 8),
        ("PL7-rpscmdlet-vdir-script-url", 9),
    ]
