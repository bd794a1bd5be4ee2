"""Tests of the shared line engine through the Exchange CSV reader.

All fixtures in this file are synthetic, written for these tests (shaped like ECP Server logs).
"""

from __future__ import annotations

import codecs
import io
import random

import pytest

from lekdicht.logs import _textlog, exchange_csv
from lekdicht.logs.base import LineSelector, ReadStats
from lekdicht.model import LogRecord

HEADER = (
    "#Software: Microsoft Exchange Server\r\n"
    "#Version: 15.0.0.0\r\n"
    "#Log-type: ECP Server Log\r\n"
    "#Date: 2023-01-11T00:00:00.000Z\r\n"
    "#Fields: TimeStamp,ServerName,EventId,EventData\r\n"
)


def line(i: int, cmd: str = "Get-Mailbox") -> str:
    return f"2023-01-11T00:{i // 60:02d}:{i % 60:02d}.000Z,SRV,ECP.Request,S:CMD={cmd};S:N={i}\r\n"


def body(n: int, special: set[int] | None = None) -> str:
    special = special or set()
    return "".join(line(i, "ServerInfo~x" if i in special else "Get-Mailbox") for i in range(n))


def read(data: bytes, selector: LineSelector | None = None) -> tuple[list[LogRecord], ReadStats]:
    stats = ReadStats()
    return list(exchange_csv.read(io.BytesIO(data), "evidence/ECPServer.LOG", stats, selector)), stats


class ContainsSelector:
    """Fake prefilter: selects the lines that contain a needle; records the blocks it saw."""

    def __init__(self, *needles: bytes) -> None:
        self.needles = needles
        self.blocks: list[bytes] = []

    def select(self, block: bytes) -> list[tuple[int, int]]:
        self.blocks.append(block)
        starts = set()
        for needle in self.needles:
            i = block.find(needle)
            while i >= 0:
                starts.add(block.rfind(b"\n", 0, i) + 1)
                i = block.find(needle, i + 1)
        out = []
        for s in sorted(starts):
            e = block.find(b"\n", s)
            out.append((s, len(block) if e < 0 else e))
        return out


@pytest.fixture(params=[7, 64, 4096, None], ids=["blk7", "blk64", "blk4k", "default"])
def small_blocks(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the test with tiny blocks too, so lines straddle block boundaries."""
    if request.param is not None:
        monkeypatch.setattr(_textlog, "BLOCK_SIZE", request.param)


@pytest.mark.usefixtures("small_blocks")
def test_every_line_parsed_with_line_numbers_and_offsets() -> None:
    data = (HEADER + body(10)).encode()
    records, stats = read(data)
    assert stats.records_read == 10
    assert stats.records_parsed == 10
    assert stats.records_rejected == 0
    assert [r.location.line for r in records] == list(range(6, 16))
    for r in records:
        assert r.location.offset is not None
        assert data[r.location.offset :].startswith(r.raw.encode())
        assert not r.raw.endswith("\r")
    assert records[0].fields["CMD"] == "Get-Mailbox"
    assert stats.header_versions == ["15.0.0.0"]


@pytest.mark.usefixtures("small_blocks")
def test_utf8_bom_and_lf() -> None:
    data = codecs.BOM_UTF8 + (HEADER + body(3)).replace("\r\n", "\n").encode()
    records, stats = read(data)
    assert stats.records_parsed == 3
    assert records[0].location.line == 6
    # offsets are file offsets: they count the BOM
    assert data[records[0].location.offset or 0 :].startswith(records[0].raw.encode())


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
@pytest.mark.usefixtures("small_blocks")
def test_utf16_is_transcoded(encoding: str) -> None:
    text = HEADER + body(4) + line(99, "Set-Mailbox -Name 'Ünïcödé'")
    data = text.encode(encoding)
    if encoding == "utf-16-le":
        data = codecs.BOM_UTF16_LE + data
    records, stats = read(data)
    assert stats.records_parsed == 5
    assert records[-1].fields["CMD"] == "Set-Mailbox -Name 'Ünïcödé'"
    assert records[-1].location.line == 10
    assert records[-1].location.offset is None
    assert any("UTF-16" in n for n in stats.notes)


def test_utf16_le_without_bom_detected() -> None:
    records, stats = read((HEADER + body(2)).encode("utf-16-le"))
    assert stats.records_parsed == 2


def test_broken_utf8_counted_and_still_parsed() -> None:
    data = HEADER.encode() + b"2023-01-11T00:00:00.000Z,SRV,ECP.Request,S:CMD=Get-\xff\xfeMailbox\r\n"
    records, stats = read(data)
    assert stats.decode_errors == 1
    assert stats.records_parsed == 1
    assert records[0].fields["CMD"] == "Get-\ufffd\ufffdMailbox"


def test_empty_file() -> None:
    records, stats = read(b"")
    assert records == []
    assert stats.records_read == 0 and stats.records_rejected == 0


def test_headers_only_file() -> None:
    records, stats = read(HEADER.encode())
    assert records == [] and stats.records_read == 0
    assert stats.first_timestamp is None


def test_truncated_last_line_is_rejected_not_fatal() -> None:
    data = (HEADER + body(3)).encode() + b"2023-01-11T00:09:00.000Z,SRV,ECP.Req"
    records, stats = read(data)
    assert stats.records_read == 4
    assert stats.records_parsed == 3
    assert stats.records_rejected == 1
    ex = stats.rejected_examples[0]
    assert ex.reason == "expected 4 fields, got 3" and ex.line == 9
    assert ex.excerpt.startswith("2023-01-11T00:09:00.000Z")


def test_blank_lines_are_not_records() -> None:
    data = (HEADER + "\r\n" + line(1) + "\n\n\r\n" + line(2) + "\r\n").encode()
    for selector in (None, ContainsSelector(b"N=2")):
        records, stats = read(data, selector)
        assert stats.records_read == 2, selector
        assert [r.location.line for r in records] == [7, 11]


def test_binary_garbage_does_not_crash() -> None:
    garbage = bytes(range(256)) * 50 + b"\n" + b"\x00" * 1000 + b"\n\xff\xfe\x00\x01"
    for data in (garbage, HEADER.encode() + garbage):
        records, stats = read(data)
        assert records == []
        assert stats.records_read == stats.records_rejected > 0


def test_overlong_line_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_textlog, "BLOCK_SIZE", 16)
    monkeypatch.setattr(_textlog, "MAX_LINE", 100)
    data = (HEADER + line(1)).encode() + b"x" * 20000 + b"\r\n" + line(2).encode()
    records, stats = read(data)
    assert [r.location.line for r in records] == [6, 8]
    assert stats.records_read == 3 and stats.records_rejected == 1
    assert "longer than 100 bytes" in stats.rejected_examples[0].reason
    assert stats.rejected_examples[0].line == 7


# ------------------------------------------------------------------------------------------
# The prefilter contract


@pytest.mark.usefixtures("small_blocks")
def test_selector_parses_only_candidates_plus_first_and_last() -> None:
    data = (HEADER + body(50, special={10, 20, 30})).encode()
    sel = ContainsSelector(b"ServerInfo~")
    records, stats = read(data, sel)
    lines = [r.location.line for r in records]
    # first data line (6), the three candidates, and the last data line (55)
    assert lines == [6, 16, 26, 36, 55]
    assert stats.records_read == 50
    assert stats.records_parsed == 5
    full_records, full_stats = read(data)
    assert stats.first_timestamp == full_stats.first_timestamp
    assert stats.last_timestamp == full_stats.last_timestamp
    # every block handed to the selector starts at a line start and ends after a line break/EOF
    seen = b"".join(sel.blocks)
    assert seen == data
    for block in sel.blocks[:-1]:
        assert block.endswith(b"\n")


@pytest.mark.usefixtures("small_blocks")
def test_selector_first_or_last_candidate_yielded_once() -> None:
    data = (HEADER + body(5, special={0, 4})).encode()
    records, stats = read(data, ContainsSelector(b"ServerInfo~"))
    assert [r.location.line for r in records] == [6, 10]
    assert stats.records_parsed == 2


@pytest.mark.usefixtures("small_blocks")
def test_selector_honours_fields_change_mid_file() -> None:
    second_header = (
        "#Software: Microsoft Exchange Server\r\n"
        "#Version: 15.1.2375.7\r\n"
        "#Log-type: ECP Server Log\r\n"
        "#Fields: TimeStamp,EventId,ServerName,Extra,EventData\r\n"
    )
    later = "2023-01-11T01:00:00.000Z,ECP.Request,SRV2,x,S:CMD=ServerInfo~late\r\n"
    data = (HEADER + body(5, special={2}) + second_header + later + body(0) + later).encode()
    records, stats = read(data, ContainsSelector(b"ServerInfo~"))
    by_line = {r.location.line: r for r in records}
    assert by_line[8].fields["ServerName"] == "SRV"
    assert by_line[15].fields["ServerName"] == "SRV2"
    assert by_line[15].fields["Extra"] == "x"
    assert by_line[15].fields["CMD"] == "ServerInfo~late"
    assert stats.header_versions == ["15.0.0.0", "15.1.2375.7"]
    assert stats.records_read == 7
    assert stats.records_rejected == 0
    # the line just before the new header block is parsed under the old #Fields
    assert by_line[10].fields["ServerName"] == "SRV"


@pytest.mark.usefixtures("small_blocks")
def test_selector_file_ending_with_header_block_keeps_last_time() -> None:
    data = (HEADER + body(8) + HEADER).encode()
    records, stats = read(data, ContainsSelector(b"nothing-matches"))
    _, full = read(data)
    assert stats.last_timestamp == full.last_timestamp
    assert stats.first_timestamp == full.first_timestamp
    assert stats.records_read == 8
    assert {r.location.line for r in records} == {6, 13}


@pytest.mark.usefixtures("small_blocks")
def test_select_everything_equals_no_selector() -> None:
    data = (HEADER + body(30) + "garbage line\r\n" + HEADER + body(7)).encode()
    all_sel = ContainsSelector(b"\n", b",")
    a, sa = read(data, all_sel)
    b, sb = read(data)
    assert [(r.location, r.fields) for r in a] == [(r.location, r.fields) for r in b]
    assert (sa.records_read, sa.records_parsed, sa.records_rejected) == (
        sb.records_read,
        sb.records_parsed,
        sb.records_rejected,
    )


def test_selector_counts_lines_without_trailing_newline() -> None:
    data = (HEADER + body(4)).encode().rstrip(b"\r\n")
    records, stats = read(data, ContainsSelector(b"nothing"))
    assert stats.records_read == 4
    assert [r.location.line for r in records] == [6, 9]


def test_parse_iso_utc() -> None:
    ts = _textlog.parse_iso_utc("2023-01-09T19:00:00.130Z")
    assert ts is not None and ts.utcoffset() is not None and ts.microsecond == 130000
    shifted = _textlog.parse_iso_utc("2023-01-09T20:00:00+01:00")
    assert shifted is not None and shifted.hour == 19
    assert _textlog.parse_iso_utc("not a time") is None
    assert _textlog.parse_iso_utc("") is None


def test_reader_never_raises_on_random_input() -> None:
    rng = random.Random(1234)
    for _ in range(50):
        n = rng.randrange(0, 3000)
        data = bytes(rng.randrange(256) for _ in range(n))
        for selector in (None, ContainsSelector(b"a", b"\x00")):
            stats = ReadStats()
            list(exchange_csv.read(io.BytesIO(data), "x", stats, selector))
            assert stats.records_parsed + stats.records_rejected <= stats.records_read + 2
