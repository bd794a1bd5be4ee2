"""Windows events as JSON lines. The OTRF test unzips the shared dataset into tmp_path; every other
event in this file is synthetic, written for these tests (MSExchange Management positional data
follows log-formats.md 7.4)."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime

from lekdicht.catalog.kinds import ArtefactKind, LogSource
from lekdicht.catalog.sniff import sniff
from lekdicht.logs import READERS, jsonl_events
from lekdicht.logs.windows import event_logsources

CMDLET_DATA = [
    "Set-OabVirtualDirectory",
    '-ExternalUrl "http://f/<script language=\\"JScript\\" runat=\\"server\\">function Page_Load()'
    '{eval(Request[\\"p\\"],\\"unsafe\\");}</script>" -Identity "OAB (Default Web Site)"',
    "corp.local/Users/attacker",
    "S-1-5-21-1-2-3-500",
    "S-1-5-21-1-2-3-500",
    "Remote-ManagementShell-Unknown",
    "8372 w3wp#MSExchangePowerShellAppPool",
    "",
    "54",
    "00:00:00.0080007",
    "View Entire Forest: 'False'",
    "",
    "5",
]


def jl(*objs: object) -> bytes:
    return b"".join(json.dumps(o).encode() + b"\n" for o in objs)


def test_otrf_dataset(run, ds, tmp_path) -> None:
    with zipfile.ZipFile(ds("otrf-security-datasets", "psh_lsass_memory_dump_comsvcs.zip")) as zf:
        zf.extractall(tmp_path)
    (path,) = tmp_path.glob("*.json")
    data = path.read_bytes()
    assert sniff(data[:65536], "datasets/" + path.name) is ArtefactKind.EVENTS_JSONL
    records, stats = run(READERS[ArtefactKind.EVENTS_JSONL], data, None, path.name)
    assert stats.records_read == 184 and stats.records_parsed == 184 and stats.records_rejected == 0
    sysmon1 = [r for r in records if r.fields["EventID"] == "1" and "Sysmon" in r.fields["Channel"]]
    assert len(sysmon1) == 1
    f = sysmon1[0].fields
    assert f["Image"] == "C:\\Windows\\System32\\rundll32.exe"
    assert "comsvcs.dll MiniDump" in f["CommandLine"]
    assert f["Provider_Name"] == "Microsoft-Windows-Sysmon" and f["Computer"] == "WORKSTATION5"
    assert sysmon1[0].timestamp == datetime(2020, 10, 18, 23, 50, 5, 910000, tzinfo=UTC)  # UtcTime
    assert sysmon1[0].raw.startswith("Process Create:")
    assert event_logsources(f) == [LogSource("windows", "process_creation", "sysmon")]
    sec = [r.fields for r in records if r.fields["EventID"] == "4688"]
    assert sec[0]["Image"] == sec[0]["NewProcessName"] == "C:\\Windows\\System32\\rundll32.exe"
    assert sec[0]["ParentImage"].endswith("powershell.exe")
    assert event_logsources(sec[0]) == [LogSource("windows", "process_creation", "security")]
    reg = [r.fields for r in records if r.fields["EventID"] == "13"]
    assert {s.category for s in event_logsources(reg[0])} == {"registry_set", "registry_event"}
    assert any("UtcTime" in n for n in stats.notes)


def test_evtx_style_exchange_management_positional(run) -> None:
    event = {
        "Event": {
            "System": {
                "Provider": {"#attributes": {"Name": "MSExchange CmdletLogs"}},
                "EventID": {"#attributes": {"Qualifiers": 16388}, "#text": 1},
                "EventRecordID": 4242,
                "TimeCreated": {"#attributes": {"SystemTime": "2021-03-03T07:12:13.456789Z"}},
                "Channel": "MSExchange Management",
                "Computer": "EXCH01.corp.local",
            },
            "EventData": {"Data": {"#text": CMDLET_DATA}, "Binary": None},
        }
    }
    records, stats = run(jsonl_events.read, jl(event))
    f = records[0].fields
    assert f["EventID"] == "1" and f["Provider_Name"] == "MSExchange CmdletLogs"
    assert f["CmdletName"] == "Set-OabVirtualDirectory"
    assert f["CmdletParameters"].startswith("-ExternalUrl")
    assert f["Caller"] == "corp.local/Users/attacker"
    assert f["ClientApplication"] == "Remote-ManagementShell-Unknown"
    assert f["ProcessInfo"] == "8372 w3wp#MSExchangePowerShellAppPool"
    assert f["Exception"] == ""
    assert f["Data0"] == "Set-OabVirtualDirectory" and f["Data12"] == "5"
    assert f["Message"] == f"Cmdlet suceeded. Cmdlet Set-OabVirtualDirectory, parameters {CMDLET_DATA[1]}."
    assert records[0].raw == f["Message"]
    assert records[0].location.record == 4242 and records[0].location.line == 1
    assert records[0].timestamp == datetime(2021, 3, 3, 7, 12, 13, 456789, tzinfo=UTC)
    assert event_logsources(f) == [LogSource("windows", None, "msexchange-management")]


def test_winlogbeat_nested_with_params(run) -> None:
    event = {
        "@timestamp": "2021-03-03T07:12:13.456Z",
        "message": (
            "Cmdlet failed. Cmdlet New-MailboxExportRequest, parameters -Mailbox x "
            "-FilePath \\\\127.0.0.1\\c$\\a.aspx."
        ),
        "winlog": {
            "channel": "MSExchange Management",
            "event_id": 6,
            "provider_name": "MSExchange CmdletLogs",
            "computer_name": "EXCH01",
            "record_id": 77,
            "event_data": {f"param{i + 1}": v for i, v in enumerate(CMDLET_DATA)}
            | {"param12": "Access denied"},
        },
        "host": {"name": "EXCH01"},
    }
    records, _ = run(jsonl_events.read, jl(event))
    f = records[0].fields
    assert f["EventID"] == "6" and f["Channel"] == "MSExchange Management"
    assert f["CmdletName"] == "Set-OabVirtualDirectory" and f["Exception"] == "Access denied"
    assert f["param1"] == "Set-OabVirtualDirectory"
    assert f["Message"].startswith("Cmdlet failed. Cmdlet New-MailboxExportRequest")  # rendered wins
    assert f["host.name"] == "EXCH01"
    assert records[0].location.record == 77


def test_winlogbeat_dotted_keys_sysmon(run) -> None:
    event = {
        "@timestamp": "2021-03-03T07:12:13Z",
        "winlog.channel": "Microsoft-Windows-Sysmon/Operational",
        "winlog.event_id": "1",
        "winlog.provider_name": "Microsoft-Windows-Sysmon",
        "winlog.computer_name": "EXCH01",
        "winlog.event_data.Image": "C:\\Windows\\System32\\cmd.exe",
        "winlog.event_data.ParentImage": "C:\\Windows\\System32\\inetsrv\\w3wp.exe",
        "winlog.event_data.CommandLine": "cmd /c whoami",
    }
    records, _ = run(jsonl_events.read, jl(event))
    f = records[0].fields
    assert f["Image"].endswith("cmd.exe") and f["ParentImage"].endswith("w3wp.exe")
    assert f["Computer"] == "EXCH01" and "Message" not in f
    assert "CommandLine=cmd /c whoami" in records[0].raw


def test_flat_with_data_list_and_powershell_properties(run) -> None:
    flat = {
        "Channel": "MSExchange Management",
        "EventID": 1,
        "SourceName": "MSExchange CmdletLogs",
        "Hostname": "EXCH01",
        "TimeCreated": "/Date(1614755533000)/",
        "Data": CMDLET_DATA,
    }
    ps = {
        "LogName": "MSExchange Management",
        "Id": 1,
        "ProviderName": "MSExchange CmdletLogs",
        "MachineName": "EXCH01",
        "Properties": [{"Value": v} for v in CMDLET_DATA],
    }
    records, stats = run(jsonl_events.read, jl(flat, ps))
    assert stats.records_parsed == 2
    for r in records:
        assert r.fields["CmdletName"] == "Set-OabVirtualDirectory"
        assert r.fields["Message"].startswith("Cmdlet suceeded. Cmdlet Set-OabVirtualDirectory")
    assert records[0].timestamp == datetime(2021, 3, 3, 7, 12, 13, tzinfo=UTC)


def test_bad_lines_rejected_array_tolerated(run) -> None:
    good = {"Channel": "Security", "EventID": 4624, "Computer": "DC", "@timestamp": "2021-01-01T00:00:00Z"}
    data = (
        b"[\n"
        + json.dumps(good).encode()
        + b",\n{not json}\n[1, 2]\n"
        + json.dumps(good | {"nested": {"a": [1, {"b": True}]}}).encode()
        + b"\n\xff\xfe\n]\n"
    )
    records, stats = run(jsonl_events.read, data)
    assert len(records) == 2
    assert records[1].fields["nested.a"] == '[1,{"b":true}]'
    assert stats.records_read == 5 and stats.records_rejected == 3
    reasons = [e.reason for e in stats.rejected_examples]
    assert reasons[0].startswith("not JSON") and reasons[1] == "JSON line is a list, not an object"


def test_selector_honoured_and_sound(run, contains, ds, tmp_path) -> None:
    with zipfile.ZipFile(ds("otrf-security-datasets", "psh_lsass_memory_dump_comsvcs.zip")) as zf:
        zf.extractall(tmp_path)
    (path,) = tmp_path.glob("*.json")
    data = path.read_bytes()
    full, full_stats = run(jsonl_events.read, data)
    part, part_stats = run(jsonl_events.read, data, contains(b"MiniDump"))
    assert part_stats.records_read == full_stats.records_read == 184
    assert len(part) < len(full) / 4
    wanted = {r.location.line for r in full if "MiniDump" in " ".join(r.fields.values())}
    assert wanted and wanted <= {r.location.line for r in part}
    # events in exports are not always in time order: with a selector the span comes from the
    # first and last lines only, so it lies within the true span (never wider)
    assert full_stats.first_timestamp <= part_stats.first_timestamp <= part_stats.last_timestamp
    assert part_stats.last_timestamp <= full_stats.last_timestamp


def test_selector_falls_back_when_json_escaping_could_hide_a_literal(run, contains) -> None:
    plain = {"Channel": "Security", "EventID": 4688, "Computer": "DC", "@timestamp": "2021-01-01T00:00:00Z"}
    lines = [json.dumps(plain | {"n": i}) for i in range(6)]
    slashed = (
        lines[:3] + ['{"Channel":"Security","EventID":4688,"CommandLine":"a \\/ecp\\/x.aspx"}'] + lines[3:]
    )
    records, _ = run(jsonl_events.read, ("\n".join(slashed) + "\n").encode(), contains(b"/ecp/"))
    assert len(records) == 7  # every line of the block, including the escaped one
    assert records[3].fields["CommandLine"] == "a /ecp/x.aspx"
    escaped = lines[:3] + ['{"Channel":"Security","EventID":4688,"CommandLine":"a \\u002fecp/x"}']
    records, _ = run(jsonl_events.read, ("\n".join(escaped) + "\n").encode(), contains(b"/ecp/"))
    assert len(records) == 4
    quote_only = lines[:3] + ['{"Channel":"Security","EventID":4688,"CommandLine":"it\\u0027s"}'] + lines[3:]
    records, _ = run(jsonl_events.read, ("\n".join(quote_only) + "\n").encode(), contains(b"/ecp/"))
    assert len(records) == 2  # an escaped quote cannot hide a literal: only first and last
    exchange = {"Channel": "MSExchange Management", "EventID": 1, "Data": CMDLET_DATA}
    data = "\n".join([json.dumps(exchange)] + lines) + "\n"
    records, _ = run(jsonl_events.read, data.encode(), contains(b"suceeded"))
    assert len(records) == 7 and records[0].fields["Message"].startswith("Cmdlet suceeded")


def test_selector_with_unsafe_or_unknown_literals_parses_everything(run, contains) -> None:
    lines = [json.dumps({"Channel": "Security", "EventID": 4688, "n": i}) for i in range(6)]
    data = ("\n".join(lines) + "\n").encode()

    class Opaque:
        def select(self, block: bytes) -> list[tuple[int, int]]:
            return []

    for selector in (contains(b"C:\\Windows"), contains(b'"quoted'), Opaque()):
        records, stats = run(jsonl_events.read, data, selector)
        assert len(records) == 6 and stats.records_parsed == 6
