"""IIS W3C reader. Dataset tests use the plaso IIS files and the sbousseaden Tunna log; the
inline fixtures are synthetic, written for these tests."""

from __future__ import annotations

from datetime import UTC, datetime

from lekdicht.catalog.kinds import ArtefactKind
from lekdicht.catalog.sniff import sniff
from lekdicht.logs import READERS, w3c

FIELDS = (
    "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "
    "cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n"
)
HEADER = (
    "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n"
    "#Date: 2021-03-05 00:00:00\r\n" + FIELDS
)

ATTACK = (
    "2021-03-05 03:06:27 10.0.0.5 GET /owa/auth/RedirSuiteServerProxy.aspx "
    "&CorrelationID=<empty>;&cafeReqId=cde28fc4-299e-4179-b3e9-de56f5c1d9ee;&encoding=; "
    "443 - 139.162.202.236 "
    "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)"
    "+Chrome/65.0.2345+Safari/537.36 "
    "- 200 0 0 133\r\n"
)


def test_attack_line_fields_and_taxonomy(run) -> None:
    records, stats = run(w3c.read, (HEADER + ATTACK).encode())
    assert stats.records_parsed == 1 and stats.records_rejected == 0
    f = records[0].fields
    assert f["cs-uri-stem"] == "/owa/auth/RedirSuiteServerProxy.aspx"
    assert f["cs-username"] == "" and f["cs(Referer)"] == "" and f["cs-referer"] == ""
    assert f["cs(User-Agent)"].startswith("Mozilla/5.0+(Windows+NT+10.0;")
    assert f["cs-user-agent"].startswith("Mozilla/5.0 (Windows NT 10.0; Win64; x64)")
    assert f["cs-uri"] == (
        "/owa/auth/RedirSuiteServerProxy.aspx?&CorrelationID=<empty>;&cafeReqId=cde28fc4-299e-4179-b3e9-de56f5c1d9ee;&encoding=;"
    )
    assert f["c-ip"] == "139.162.202.236" and f["sc-status"] == "200"
    assert records[0].timestamp == datetime(2021, 3, 5, 3, 6, 27, tzinfo=UTC)
    assert records[0].raw == ATTACK.rstrip("\r\n")


def test_decoded_uri_single_pass_plus_untouched(run) -> None:
    line = "2021-03-05 03:06:27 ::1 GET /ecp/a%2Easpx q=%253Cscript%3E+x 443 - ::1 UA - 200 0 0 1\r\n"
    records, _ = run(w3c.read, (HEADER + line).encode())
    assert records[0].fields["cs-uri"] == "/ecp/a%2Easpx?q=%253Cscript%3E+x"
    assert records[0].fields["cs-uri-decoded"] == "/ecp/a.aspx?q=%3Cscript>+x"


def test_empty_query_has_no_question_mark(run) -> None:
    line = "2021-03-05 03:06:27 ::1 GET /owa/ - 443 - ::1 UA - 200 0 0 1\r\n"
    records, _ = run(w3c.read, (HEADER + line).encode())
    assert records[0].fields["cs-uri"] == "/owa/" and records[0].fields["cs-uri-query"] == ""


def test_combined_cs_uri_split_and_cs_host(run) -> None:
    data = (
        "#Fields: date time cs-method cs-uri cs(Host) cs(Cookie) sc-status\n"
        "2021-03-05 03:06:27 GET /ecp/x.js?a=%41 mail.example.org X-BEResource=a]@b:444/x?#~1 200\n"
    )
    records, _ = run(w3c.read, data.encode())
    f = records[0].fields
    assert f["cs-uri-stem"] == "/ecp/x.js" and f["cs-uri-query"] == "a=%41"
    assert f["cs-uri-decoded"] == "/ecp/x.js?a=A"
    assert f["cs-host"] == "mail.example.org"
    assert f["cs-cookie"] == "X-BEResource=a]@b:444/x?#~1"


def test_wrong_field_count_rejected_doubled_space_tolerated(run) -> None:
    good = "2021-03-05 03:06:27 ::1 POST /powershell - 444 - ::1 UA - 200 0 0 1"
    data = (
        HEADER
        + good.replace(" - 444 - ", " - 444  ")
        + "\r\n"  # one empty token, one too many: tolerated
        + good
        + " extra\r\n"  # one too many, no empty token: rejected
        + "2021-03-05 03:06:27 ::1 POST\r\n"  # truncated
        + "2021-03-05 03:06:27 10.0.0.5 GET /owa/auth/x.aspx cmd=whoami 443 - 1.2.3.4 "
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) - 200 0 0 142\r\n"  # spaces in the UA
    )
    records, stats = run(w3c.read, data.encode())
    assert len(records) == 1
    assert stats.records_read == 4 and stats.records_rejected == 3
    assert [e.reason for e in stats.rejected_examples] == [
        "expected 15 fields, got 16",
        "expected 15 fields, got 4",
        "expected 15 fields, got 20",
    ]


def test_no_fields_header_rejected(run) -> None:
    records, stats = run(w3c.read, b"2021-03-05 03:06:27 ::1 GET / - 443\n")
    assert records == [] and stats.rejected_examples[0].reason == "data line before any #Fields header"


def test_bad_date_kept_without_time(run) -> None:
    line = "2021-13-45 99:06:27 ::1 GET /owa/ - 443 - ::1 UA - 200 0 0 1\r\n"
    records, stats = run(w3c.read, (HEADER + line).encode())
    assert records[0].timestamp is None
    assert any("no parseable timestamp" in n for n in stats.notes)


def test_utf16_w3c(run) -> None:
    records, stats = run(w3c.read, (HEADER + ATTACK).encode("utf-16"))
    assert stats.records_parsed == 1 and records[0].fields["c-ip"] == "139.162.202.236"


def test_selector_with_header_change(run, contains) -> None:
    other = "#Fields: date time cs-method cs-uri-stem cs-uri-query c-ip\r\n"
    rows = [f"2021-03-05 04:00:{i:02d} ::1 GET /owa/{i} - 443 - ::1 UA - 200 0 0 1\r\n" for i in range(10)]
    data = (
        HEADER + "".join(rows) + other + "2021-03-05 05:00:00 POST /ecp/evil.aspx cmd=1 6.6.6.6\r\n" + rows[0]
    )
    records, stats = run(w3c.read, data.encode(), contains(b"evil.aspx"))
    evil = [r for r in records if r.fields.get("cs-uri-stem") == "/ecp/evil.aspx"]
    assert len(evil) == 1 and evil[0].fields["c-ip"] == "6.6.6.6"
    assert evil[0].location.line == 16
    assert stats.records_read == 12
    assert stats.first_timestamp == datetime(2021, 3, 5, 4, 0, 0, tzinfo=UTC)
    assert stats.last_timestamp == datetime(2021, 3, 5, 5, 0, 0, tzinfo=UTC)


# ------------------------------------------------------------------------------------------
# plaso and sbousseaden files


def _read_file(run, path):  # type: ignore[no-untyped-def]
    data = path.read_bytes()
    assert sniff(data[:65536], f"inetpub/logs/LogFiles/W3SVC1/{path.name}") is ArtefactKind.IIS_W3C
    return run(READERS[ArtefactKind.IIS_W3C], data, None, path.name)


def test_plaso_iis10_fields_before_software(run, ds) -> None:
    records, stats = _read_file(run, ds("plaso-iis", "iis10.log"))
    assert stats.records_parsed == 1 and stats.records_rejected == 0
    f = records[0].fields
    assert f["cs-uri-stem"] == "/foo/bar/baz.asp" and f["cs-referer"] == "http://111.111.111.111/"
    assert records[0].location.line == 5


def test_plaso_iis10_edge_cases_doubled_space(run, ds) -> None:
    records, stats = _read_file(run, ds("plaso-iis", "iis10_edge_cases.log"))
    assert stats.records_read == 15 and stats.records_rejected == 0
    first = records[0].fields
    assert first["s-port"] == "444"
    assert first["cs-username"] == "random\\ranuser1"
    assert first["c-ip"] == "::1"
    assert first["cs-user-agent"] == "Microsoft WinRM Client"
    assert first["sc-status"] == "200"
    rpc = [r.fields for r in records if r.fields["cs-method"] == "RPC_IN_DATA"]
    assert rpc and rpc[0]["cs-username"] == "RanDomain\\EX04$"
    ddi = [r.fields for r in records if r.fields["cs-uri-stem"].endswith("DDIService.svc/SetObject")]
    assert ddi and "schema=CertificateServices" in ddi[0]["cs-uri"]


def test_plaso_iis6_and_owa(run, ds) -> None:
    records, stats = _read_file(run, ds("plaso-iis", "iis6.log"))
    assert stats.records_read == 12 and stats.records_rejected == 0
    assert records[-1].fields["cs-uri-query"] == "ID=ERROR[`cat%20passwd|echo`]"
    assert records[-1].fields["cs-uri-decoded"] == "/foo/bar/baz.asp?ID=ERROR[`cat passwd|echo`]"
    assert records[0].fields["s-sitename"] == "SOME1234NAME"
    records, stats = _read_file(run, ds("plaso-iis", "iis7_owa.log"))
    assert stats.records_read == 3 and stats.records_rejected == 0
    assert "cs-referer" not in records[0].fields
    assert records[1].fields["cs-uri-stem"] == "/EWS/Exchange.asmx"


def test_plaso_without_date_uses_header_date(run, ds) -> None:
    records, stats = _read_file(run, ds("plaso-iis", "iis_without_date.log"))
    assert stats.records_read == 11 and stats.records_rejected == 0
    assert records[0].timestamp == datetime(2013, 7, 30, 0, 0, 0, tzinfo=UTC)
    assert stats.last_timestamp == datetime(2013, 7, 30, 0, 0, 13, tzinfo=UTC)
    assert records[0].fields["cs-version"] == "HTTP/1.1"


def test_tunna_log_comment_blank_and_repeated_header(run, contains, ds) -> None:
    path = ds("evtx-attack-samples", "Tunna_rdp_tunnel_IIS.log")
    records, stats = _read_file(run, path)
    assert stats.records_read == 4298 and stats.records_parsed == 4298 and stats.records_rejected == 0
    methods = [r.fields["cs-method"] for r in records]
    assert methods.count("GET") == 2561 and methods.count("POST") == 1737
    assert records[0].location.line == 7
    assert stats.first_timestamp == datetime(2019, 9, 3, 10, 13, 36, tzinfo=UTC)
    # with a selector: same time span, far fewer records
    sel_records, sel_stats = run(w3c.read, path.read_bytes(), contains(b"port=3389"))
    assert sel_stats.records_read == 4298
    assert sel_stats.first_timestamp == stats.first_timestamp
    assert sel_stats.last_timestamp == stats.last_timestamp
    # first line (a candidate too), the line before the second header block, two candidates, last
    assert [r.location.line for r in sel_records] == [7, 2600, 2606, 2629, 4308]
    assert sel_stats.records_parsed == 5
