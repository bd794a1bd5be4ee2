"""OABGenerator reader (format unverified). All lines here are synthetic, written for these tests:
only the ``Download failed and temporary file ... needs to be removed`` wording is documented."""

from __future__ import annotations

from datetime import UTC, datetime

from lekdicht.logs import oabgen
from lekdicht.logs.oabgen import extract_temp_file_path


def test_free_text_lines_with_temp_file(run) -> None:
    data = (
        "2021-03-03T04:05:06.789Z Download failed and temporary file "
        "'C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\auth\\x.aspx' "
        "needs to be removed\r\n"
        "some other message without time\r\n"
        "2021-03-03 04:05:07 plain message\r\n"
    )
    records, stats = run(oabgen.read, data.encode())
    assert stats.records_read == 3 and stats.records_parsed == 3 and stats.records_rejected == 0
    assert records[0].fields["TempFilePath"].endswith("\\owa\\auth\\x.aspx")
    assert records[0].fields["Message"].startswith("2021-03-03T04:05:06.789Z Download failed")
    assert records[0].timestamp == datetime(2021, 3, 3, 4, 5, 6, 789000, tzinfo=UTC)
    assert records[1].timestamp is None and "TempFilePath" not in records[1].fields
    assert records[2].timestamp == datetime(2021, 3, 3, 4, 5, 7, tzinfo=UTC)


def test_csv_line_with_leading_timestamp(run) -> None:
    data = (
        b'2021-03-03T04:05:06.789Z,OABGen,"Download failed and temporary file C:\\x\\y.aspx '
        b'needs to be removed",7\n'
    )
    records, _ = run(oabgen.read, data)
    f = records[0].fields
    assert f["Timestamp"] == "2021-03-03T04:05:06.789Z"
    assert f["Field1"] == "OABGen" and f["Field3"] == "7"
    assert f["TempFilePath"] == "C:\\x\\y.aspx"


def test_exchange_style_header(run) -> None:
    data = (
        "#Software: Microsoft Exchange Server\n#Version: 15.1.2176.2\n#Log-type: OABGenerator Log\n"
        "#Fields: DateTime,Level,Message\n"
        "2021-03-03T04:05:06.789Z,Error,Download failed and temporary file 'C:\\t\\a.aspx' "
        "needs to be removed\n"
    )
    records, stats = run(oabgen.read, data.encode())
    f = records[0].fields
    assert f["Level"] == "Error" and f["TempFilePath"] == "C:\\t\\a.aspx"
    assert f["Message"].startswith("2021-03-03T04:05:06.789Z,Error,")  # the whole line stays in Message
    assert records[0].timestamp is not None
    assert stats.header_versions == ["15.1.2176.2"]


def test_garbage_never_rejected(run) -> None:
    records, stats = run(oabgen.read, b"\x80\x81\x00garbage\n\n,,,\n2021-99-99T00:00:00Z,x\n")
    assert len(records) == 3 and stats.records_rejected == 0 and stats.decode_errors == 1


def test_extract_temp_file_path_variants() -> None:
    assert extract_temp_file_path(
        'download failed and temporary file "C:\\a b\\c.aspx" needs to be removed'
    ) == ("C:\\a b\\c.aspx")
    assert extract_temp_file_path("nothing here") is None
    assert extract_temp_file_path("temporary file x") is None
