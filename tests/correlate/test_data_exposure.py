"""Issue 6 acceptance: exactly the attacker's mailboxes, export and address-book downloads, cited by line."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from lekdicht.scan.pipeline import ScanOptions
from lekdicht.scan.run import scan_and_report
from support.scenario import ATTACKER, write_scenario


def _line(path: Path, n: int) -> str:
    return path.read_text(encoding="utf-8").splitlines()[n - 1]


def test_attacker_mailboxes_export_and_oab_are_reported_exactly(tmp_path: Path) -> None:
    paths = write_scenario(tmp_path / "ev")
    outcome = scan_and_report(ScanOptions(evidence=tmp_path / "ev", out=tmp_path / "case", workers=1))
    exp = outcome.report["data_exposure"]
    assert exp["status"] == "assessed"
    assert exp["attacker_ips"] == [ATTACKER]

    boxes = {m["mailbox"]: m for m in exp["mailboxes"]}
    assert set(boxes) == {"alice@example.org", "bob@example.org"}
    assert boxes["alice@example.org"]["operations"] == {"FindItem": 1, "GetItem": 2}
    assert boxes["bob@example.org"]["response_bytes"] == 4800 + 1048576
    assert all(m["read"] for m in boxes.values())
    for m in boxes.values():
        assert len(m["evidence"]) == m["requests"]
        for cite in m["evidence"]:
            line = _line(tmp_path / "ev" / cite["path"], cite["line"])
            assert ATTACKER in line and m["mailbox"] in line

    assert len(exp["exports"]) == 1
    export = exp["exports"][0]
    assert export["mailbox"] == "carol@example.org"
    assert export["file_path"].endswith("carol.aspx") and export["suspicious"]
    assert export["removed"] is not None and export["removed"]["line"] == 2
    assert export["evidence"][0]["line"] == 1

    assert [(a["client_ip"], a["kind"], a["downloads"]) for a in exp["address_book"]] == [
        (ATTACKER, "oab", 2)
    ]
    for cite in exp["address_book"][0]["evidence"]:
        assert ATTACKER in _line(tmp_path / "ev" / cite["path"], cite["line"])

    assert exp["summary"] == (
        "2 mailboxes read, 1 mailbox exported, the address book downloaded twice, "
        "no outbound forwarding found."
    )
    assert "users" not in json.dumps(exp) and "user01" not in json.dumps(exp)

    session = outcome.report["sessions"][0]
    assert session["client_ip"] == ATTACKER
    assert session["requests"] >= 8  # every attacker request, not only rule matches
    assert set(session["mailboxes"]) == {"alice@example.org", "bob@example.org"}

    rows = list(csv.DictReader(io.StringIO((tmp_path / "case" / "timeline.csv").read_text())))
    assert rows and all(r["datetime"] for r in rows)
    assert [r["datetime"] for r in rows] == sorted(r["datetime"] for r in rows)
    assert {"datetime", "timestamp_desc", "message"} <= set(rows[0])
    assert any(r["mailbox"] == "bob@example.org" for r in rows)
    assert outcome.report["scan"]["passes"]["second_pass_files"] == 4
    assert paths["ews"].exists()


def test_no_attacker_means_no_exposure_claims(tmp_path: Path) -> None:
    paths = write_scenario(tmp_path / "ev")
    ews = paths["ews"].read_text().splitlines()
    paths["proxy"].write_text(
        "\n".join(x for x in paths["proxy"].read_text().splitlines() if ATTACKER not in x) + "\n"
    )
    paths["ews"].write_text("\n".join(ews) + "\n")
    report = scan_and_report(ScanOptions(evidence=tmp_path / "ev", out=tmp_path / "case", workers=1)).report
    exp = report["data_exposure"]
    assert exp["mailboxes"] == [] and exp["address_book"] == []
    assert any("No attacker address" in x for x in exp["limits"])
    assert len(exp["exports"]) == 1  # exports are listed whoever ran them


def test_shared_address_is_not_attributed(tmp_path: Path) -> None:
    """A load balancer address in front of everyone: flagged, not turned into 'all mailboxes read'."""
    paths = write_scenario(tmp_path / "ev")
    ews = paths["ews"].read_text(encoding="utf-8").splitlines()
    rewritten = [re.sub(r",198\.51\.100\.\d+,", f",{ATTACKER},", line) for line in ews]
    paths["ews"].write_text("\n".join(rewritten) + "\n", encoding="utf-8")
    report = scan_and_report(ScanOptions(evidence=tmp_path / "ev", out=tmp_path / "case", workers=1)).report
    exp = report["data_exposure"]
    assert exp["mailboxes"] == []
    assert any(ATTACKER in x and "load balancer" in x for x in exp["limits"])


def test_server_own_address_in_back_end_logs_is_not_an_attacker(tmp_path: Path) -> None:
    """Back-end (port 444) lines have the front end as client: that must not make every user's
    request 'attacker activity'."""
    from support.logsynth import iis, iis_file

    ev = tmp_path / "ev" / "W3SVC2"
    ev.mkdir(parents=True)
    lines = [
        iis("GET", "/owa/", ip="198.51.100.7", user="EXAMPLE\\anna"),
        iis(
            "POST",
            "/ecp/DDI/DDIService.svc/SetObject",
            query="schema=ResetOABVirtualDirectory&msExchEcpCanary=x",
            user="EXAMPLE\\EXCH01$",
            ip="10.0.0.5",
        ),
    ]
    (ev / "u_ex210303.log").write_text(iis_file(lines))
    report = scan_and_report(ScanOptions(evidence=tmp_path / "ev", out=tmp_path / "case", workers=1)).report
    assert any(f["rule_id"] == "PL8-iis-reset-vdir" for f in report["findings"])
    exp = report["data_exposure"]
    assert exp["attacker_ips"] == []
    assert any("10.0.0.5" in x and "back-end" in x for x in exp["limits"])
