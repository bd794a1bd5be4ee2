"""EVTX reader over the shared sample files, and over damaged copies made in tmp_path."""

from __future__ import annotations

import io
import re
import shutil

import pytest

from lekdicht.catalog.kinds import ArtefactKind, LogSource
from lekdicht.catalog.sniff import sniff
from lekdicht.logs import READERS, evtx_reader
from lekdicht.logs.base import ReadStats
from lekdicht.logs.windows import event_logsources

pytest.importorskip("evtx")


def read_path(path):  # type: ignore[no-untyped-def]
    stats = ReadStats()
    with open(path, "rb") as fh:
        records = list(evtx_reader.read(fh, path.name, stats))
    return records, stats


def test_sysmon_webshell_process_creation(ds) -> None:
    path = ds("evtx-attack-samples", "LM_typical_IIS_webshell_sysmon_1_10_traces.evtx")
    assert sniff(path.read_bytes()[:65536], path.name) is ArtefactKind.EVTX
    records, stats = read_path(path)
    assert stats.records_read == 4 and stats.records_parsed == 4 and stats.records_rejected == 0
    first = records[0]
    f = first.fields
    assert f["Channel"] == "Microsoft-Windows-Sysmon/Operational"
    assert f["EventID"] == "1" and f["Provider_Name"] == "Microsoft-Windows-Sysmon"
    assert f["Computer"] == "IEWIN7"
    assert f["Image"] == "C:\\Windows\\System32\\cmd.exe"
    assert f["ParentImage"] == "C:\\Windows\\System32\\inetsrv\\w3wp.exe"
    assert f["CommandLine"] == '"c:\\windows\\system32\\cmd.exe" /c net user'
    assert f["User"] == "IIS APPPOOL\\DefaultAppPool"
    assert f["ProcessId"] == "2404"
    assert first.location.record == 1044 and first.location.line is None
    assert first.timestamp is not None and first.timestamp.isoformat().startswith(
        "2019-05-24T01:33:53.112486"
    )
    assert "CommandLine=" in first.raw and "net user" in first.raw
    assert event_logsources(f) == [LogSource("windows", "process_creation", "sysmon")]
    access = [r for r in records if r.fields["EventID"] == "10"]
    assert access and access[0].fields["GrantedAccess"] == "0x1fffff"
    assert event_logsources(access[0].fields) == [LogSource("windows", "process_access", "sysmon")]


def test_security_and_userdata(ds) -> None:
    records, stats = read_path(
        ds("evtx-attack-samples", "Runas_4624_4648_Webshell_CreateProcessAsUserA.evtx")
    )
    assert stats.records_parsed == 3
    cleared = records[0].fields
    assert cleared["EventID"] == "1102" and cleared["SubjectUserName"] == "IEUser"  # from UserData
    logon = [r.fields for r in records if r.fields["EventID"] == "4624"][0]
    assert logon["ProcessName"].lower().endswith("w3wp.exe")
    assert event_logsources(logon) == [LogSource("windows", None, "security")]


def test_exchange_group_change_and_transport_config(ds) -> None:
    records, stats = read_path(ds("evtx-to-mitre-attack", "ID4756-Exchange admin group change.evtx"))
    assert stats.records_parsed == 15
    assert {r.fields["TargetUserName"] for r in records} >= {"Organization Management"}
    records, _ = read_path(ds("evtx-to-mitre-attack", "ID11-Exchange transport config modified.evtx"))
    assert records[0].fields["TargetFilename"].endswith("TransportRoles\\Shared\\agents.config")
    assert event_logsources(records[0].fields)[0].category == "file_event"


def test_corrupt_records_skipped_not_fatal(ds, tmp_path) -> None:
    src = ds("evtx-attack-samples", "discovery_sysmon_1_iis_pwd_and_config_discovery_appcmd.evtx")
    good, good_stats = read_path(src)
    assert good_stats.records_parsed == 40
    data = bytearray(src.read_bytes())
    starts = [m.start() for m in re.finditer(re.escape(b"\x2a\x2a\x00\x00"), data)]
    for start in starts[3:5]:  # overwrite the middle of two records
        data[start + 40 : start + 140] = b"\xff" * 100
    broken = tmp_path / "broken.evtx"
    broken.write_bytes(bytes(data))
    records, stats = read_path(broken)
    assert stats.records_rejected == 2
    assert stats.records_parsed == 38
    assert stats.records_read == 40
    assert stats.rejected_examples[0].reason == "corrupt EVTX record"
    assert stats.rejected_examples[0].record is not None
    assert [r.fields["CommandLine"] for r in records[:3]] == [r.fields["CommandLine"] for r in good[:3]]


def test_truncated_and_garbage_files(ds, tmp_path) -> None:
    src = ds("evtx-attack-samples", "sysmon_10_11_lsass_memdump.evtx")
    copy = tmp_path / "copy.evtx"
    shutil.copyfile(src, copy)
    truncated = tmp_path / "truncated.evtx"
    truncated.write_bytes(copy.read_bytes()[:5000])
    records, stats = read_path(truncated)
    assert records == [] and any("no EVTX records" in n for n in stats.notes)
    for data in (b"", b"not an evtx file at all" * 100, b"ElfFile\x00" + b"\x00" * 5000):
        stats = ReadStats()
        assert list(READERS[ArtefactKind.EVTX](io.BytesIO(data), "x.evtx", stats)) == []
        assert stats.notes  # the problem is reported, not swallowed


class NonSeekable(io.RawIOBase):
    """A read-only, non-seekable wrapper (like the scan's hashing reader)."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def read(self, size: int = -1) -> bytes:
        return self._inner.read(size)


@pytest.mark.parametrize("spool_limit", [1024, 64 * 1024 * 1024], ids=["spooled-to-disk", "in-memory"])
def test_non_seekable_stream_is_spooled(ds, monkeypatch, spool_limit) -> None:
    monkeypatch.setattr(evtx_reader, "SPOOL_IN_MEMORY", spool_limit)
    data = ds("evtx-attack-samples", "LM_typical_IIS_webshell_sysmon_1_10_traces.evtx").read_bytes()
    stats = ReadStats()
    records = list(evtx_reader.read(NonSeekable(data), "x.evtx", stats))  # type: ignore[arg-type]
    assert len(records) == 4 and stats.records_rejected == 0
