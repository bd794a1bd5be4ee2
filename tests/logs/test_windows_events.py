"""Normalisation helpers for Windows events (synthetic values, written for these tests)."""

from __future__ import annotations

from lekdicht.catalog.kinds import LogSource
from lekdicht.logs.windows import (
    event_logsources,
    event_time,
    flatten,
    from_evtx_json,
    normalize_event,
    record_raw,
    to_str,
)


def test_normalize_core_fields_and_aliases() -> None:
    f = normalize_event(
        channel="Security",
        event_id="4688",
        provider="Microsoft-Windows-Security-Auditing",
        computer="EXCH01",
        message="",
        data={"NewProcessName": "C:\\w\\cmd.exe", "ParentProcessName": "C:\\w\\w3wp.exe", "Channel": "spoof"},
    )
    assert f["Channel"] == "Security" and f["EventID"] == "4688"
    assert f["Image"] == "C:\\w\\cmd.exe" and f["ParentImage"] == "C:\\w\\w3wp.exe"
    assert "Message" not in f
    assert record_raw(f).startswith("NewProcessName=C:\\w\\cmd.exe")


def test_exchange_management_synthesised_message_only_for_1_and_6() -> None:
    for eid, text in (("1", "suceeded"), ("6", "failed")):
        f = normalize_event(
            channel="MSExchange Management",
            event_id=eid,
            provider="MSExchange CmdletLogs",
            computer="X",
            message="",
            data={},
            positional=["Get-Mailbox", "-Identity a"],
        )
        assert f["Message"] == f"Cmdlet {text}. Cmdlet Get-Mailbox, parameters -Identity a."
        assert "Exception" not in f  # fewer than 12 values
    f = normalize_event(
        channel="MSExchange Management",
        event_id="8",
        provider="",
        computer="",
        message="",
        data={},
        positional=["x"],
    )
    assert "Message" not in f and f["CmdletName"] == "x"


def test_logsources() -> None:
    assert event_logsources({"Channel": "System", "EventID": "7045"}) == [
        LogSource("windows", None, "system")
    ]
    assert event_logsources({"Channel": "Unknown/Channel", "EventID": "1"}) == [
        LogSource("windows", None, None)
    ]
    sysmon = "Microsoft-Windows-Sysmon/Operational"
    cats = {
        "3": {"network_connection"},
        "7": {"image_load"},
        "8": {"create_remote_thread"},
        "11": {"file_event"},
        "22": {"dns_query"},
        "23": {"file_delete"},
        "26": {"file_delete"},
        "14": {"registry_rename", "registry_event"},
    }
    for eid, expected in cats.items():
        got = event_logsources({"Channel": sysmon, "EventID": eid})
        assert {s.category for s in got} == expected
        assert all(s.service == "sysmon" and s.product == "windows" for s in got)
    deleted = event_logsources({"Channel": sysmon, "EventID": "12", "EventType": "DeleteKey"})
    assert {s.category for s in deleted} == {"registry_delete", "registry_event"}
    ps = event_logsources({"Channel": "Microsoft-Windows-PowerShell/Operational", "EventID": "4104"})
    assert ps == [LogSource("windows", "ps_script", "powershell")]
    assert (
        event_logsources({"Channel": "Windows PowerShell", "EventID": "400"})[0].service
        == "powershell-classic"
    )


def test_value_helpers() -> None:
    assert to_str(None) == "" and to_str(True) == "true" and to_str(12) == "12"
    assert to_str({"#text": "x", "#attributes": {"a": 1}}) == "x"
    assert flatten({"a": {"b": 1, "#attributes": {"xmlns": "n", "Name": "N"}}, "c": [1]}) == {
        "a.b": 1,
        "a.Name": "N",
        "c": [1],
    }
    assert event_time("2019-05-24T01:33:53.122501Z UTC") is not None
    assert event_time("/Date(0)/") is not None and event_time(5) is None


def test_from_evtx_json_tolerates_missing_parts() -> None:
    fields, record_id, ts = from_evtx_json({"Event": {}})
    assert fields["EventID"] == "" and record_id is None and ts is None
    fields, _, _ = from_evtx_json({"Event": {"System": {"EventID": 4}, "EventData": {"Data": "only"}}})
    assert fields["Data0"] == "only" and fields["EventID"] == "4"
    named = {"Data": [{"#attributes": {"Name": "Image"}, "#text": "a.exe"}, {"Name": "X", "Value": "1"}]}
    fields, _, _ = from_evtx_json({"Event": {"System": {}, "EventData": named}})
    assert fields["Image"] == "a.exe" and fields["X"] == "1"
