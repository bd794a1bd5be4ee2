"""`lekdicht scan --sigma DIR`: external (SigmaHQ-style) rules are loaded, the unusable ones are
reported with reasons, and the loaded ones run on the artefacts whose logsource they name.

The rule files and evidence are synthetic, written for this test in the style of SigmaHQ rules.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from lekdicht.cli import EXIT_CODES, main
from lekdicht.rules.ruleset import RuleSet
from support.logsynth import events_file, iis_file, iis_line

WEB_RULE_ID = "3b9c1f0e-6a55-4d6b-9f0c-2f1d7c1e9a01"
PROC_RULE_ID = "0d7e1f52-3c8a-4b1e-8e55-9a3b2c1d0e02"

EXTERNAL_RULES: dict[str, str] = {
    "web/web_owa_powershell_post.yml": f"""
title: POST to OWA path ending in PowerShell (external test rule)
id: {WEB_RULE_ID}
status: test
description: SigmaHQ-style webserver rule written for this test.
references:
    - https://example.org/external-rule
author: test
date: 2024-01-01
tags:
    - attack.initial-access
    - attack.t1190
    - cve.2022-41080
logsource:
    category: webserver
detection:
    selection:
        cs-method: 'POST'
        cs-uri-query|contains|all:
            - '/owa/'
            - '/powershell'
        sc-status: 200
    condition: selection
falsepositives:
    - Unknown
level: high
""",
    "windows/proc_creation_win_whoami_test.yml": f"""
title: Whoami execution (external test rule)
id: {PROC_RULE_ID}
status: test
description: SigmaHQ-style process_creation rule written for this test.
author: test
date: 2024-01-01
tags:
    - attack.discovery
    - attack.t1033
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        Image|endswith: '\\whoami.exe'
    condition: selection
level: medium
""",
    "web/web_many_requests_aggregation.yml": """
title: Many requests from one client (aggregation, unsupported)
id: 5a0c8b7e-1d2f-4e3a-9b8c-7d6e5f4a3b03
status: test
logsource:
    category: webserver
detection:
    selection:
        cs-method: 'POST'
    condition: selection | count() by c-ip > 100
level: low
""",
    "linux/lnx_auditd_unknown_logsource.yml": """
title: Linux auditd rule (no artefact provides this logsource)
id: 6b1d9c8f-2e3a-4f4b-8c9d-8e7f6a5b4c04
status: test
logsource:
    product: linux
    service: auditd
detection:
    selection:
        type: 'EXECVE'
    condition: selection
level: low
""",
    "broken/malformed.yml": """
title: Malformed rule
id: 7c2e0d9a-3f4b-4a5c-9d0e-9f8a7b6c5d05
logsource:
    category: webserver
detection:
    selection:
        cs-method: 'POST
    condition: selection
""",
}


SUBFOLDERS = ("web", "windows", "linux", "broken")


def _write_rules(root: Path) -> Path:
    for rel, text in EXTERNAL_RULES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.lstrip(), encoding="utf-8")
    return root


def _write_evidence(root: Path) -> Path:
    iis = root / "inetpub" / "logs" / "LogFiles" / "W3SVC1"
    iis.mkdir(parents=True)
    (iis / "u_ex221220.log").write_text(
        iis_file(
            [
                iis_line("GET", "/owa/", "200", user="EXAMPLE\\anna"),
                iis_line("POST", "/owa/", "200", "x=/owa/a@b.c/powershell", user="EXAMPLE\\anna"),
            ]
        ),
        encoding="utf-8",
    )
    events = root / "events"
    events.mkdir()
    (events / "sysmon.jsonl").write_text(
        events_file(
            [
                {
                    "@timestamp": "2022-12-20T10:00:00.000Z",
                    "Hostname": "EXCH01",
                    "Channel": "Microsoft-Windows-Sysmon/Operational",
                    "EventID": 1,
                    "Image": "C:\\Windows\\System32\\whoami.exe",
                    "CommandLine": "whoami /all",
                    "ParentImage": "C:\\Windows\\explorer.exe",
                }
            ]
        ),
        encoding="utf-8",
    )
    return root


def test_scan_with_external_sigma_folder(tmp_path: Path) -> None:
    rules = _write_rules(tmp_path / "sigma")
    evidence = _write_evidence(tmp_path / "evidence")
    out = tmp_path / "case"
    builtin = len(RuleSet.load([]).rules)

    result = CliRunner().invoke(
        main,
        [
            "scan",
            str(evidence),
            "--out",
            str(out),
            *[arg for sub in SUBFOLDERS for arg in ("--sigma", str(rules / sub))],  # repeatable
            "--workers",
            "1",
            "--no-progress",
            "--quiet",
        ],
    )

    lines = result.stderr.splitlines()
    assert re.fullmatch(
        rf"lekdicht: {builtin + 2} Sigma rules loaded; 3 not usable \(see 'rules.unusable' in report.json\)",
        lines[0],
    ), result.output
    listed = {
        line.split(": ")[1].rsplit("/", 1)[-1]: line
        for line in lines[1:]
        if line.startswith("  not usable: ")
    }
    assert set(listed) == {
        "web_many_requests_aggregation.yml",
        "lnx_auditd_unknown_logsource.yml",
        "malformed.yml",
    }
    assert "aggregation conditions" in listed["web_many_requests_aggregation.yml"]
    assert "no artefact provides logsource" in listed["lnx_auditd_unknown_logsource.yml"]
    assert "YAML error" in listed["malformed.yml"]

    report = json.loads((out / "report.json").read_text("utf-8"))
    assert result.exit_code == EXIT_CODES[report["verdict"]["overall"]]
    summary = report["rules"]
    assert summary["loaded"] == builtin + 2
    assert {sub: summary["loaded_by_source"][str(rules / sub)] for sub in SUBFOLDERS} == {
        "web": 1,
        "windows": 1,
        "linux": 0,
        "broken": 0,
    }
    reasons = {Path(u["source"]).name: u["reason"] for u in summary["unusable"]}
    assert set(reasons) == {
        "web_many_requests_aggregation.yml",
        "lnx_auditd_unknown_logsource.yml",
        "malformed.yml",
    }
    assert "aggregation" in reasons["web_many_requests_aggregation.yml"]
    assert "logsource product=linux, service=auditd" in reasons["lnx_auditd_unknown_logsource.yml"]
    assert reasons["malformed.yml"].startswith("YAML error")

    by_rule: dict[str, list[dict[str, object]]] = {}
    for finding in report["findings"]:
        by_rule.setdefault(str(finding["rule_id"]), []).append(finding)
    web = by_rule[WEB_RULE_ID]
    assert len(web) == 1 and web[0]["artefact_kind"] == "iis.w3c"
    assert web[0]["cves"] == ["CVE-2022-41080"] and web[0]["attack"] == ["T1190"]
    assert web[0]["references"] == ["https://example.org/external-rule"]
    proc = by_rule[PROC_RULE_ID]
    assert len(proc) == 1 and proc[0]["artefact_kind"] == "windows.events_jsonl"  # routed by logsource only


def test_scan_without_external_rules_prints_no_rule_line(tmp_path: Path) -> None:
    evidence = _write_evidence(tmp_path / "evidence")
    result = CliRunner().invoke(
        main,
        [
            "scan",
            str(evidence),
            "--out",
            str(tmp_path / "case"),
            "--workers",
            "1",
            "--no-progress",
            "--quiet",
        ],
    )
    assert "Sigma rules loaded" not in result.stderr
    assert result.exit_code in EXIT_CODES.values()


def test_scan_with_missing_sigma_folder_is_a_usage_error(tmp_path: Path) -> None:
    evidence = _write_evidence(tmp_path / "evidence")
    result = CliRunner().invoke(
        main,
        [
            "scan",
            str(evidence),
            "--out",
            str(tmp_path / "case"),
            "--sigma",
            str(tmp_path / "nope"),
            "--quiet",
        ],
    )
    assert result.exit_code == 2


def test_long_unusable_list_is_cut_on_stderr_but_complete_in_report(tmp_path: Path) -> None:
    from lekdicht.cli import MAX_UNUSABLE_SHOWN

    rules = tmp_path / "sigma"
    rules.mkdir()
    count = MAX_UNUSABLE_SHOWN + 2
    for i in range(count):
        (rules / f"bad_{i:02d}.yml").write_text("title: [unclosed\n", encoding="utf-8")
    evidence = _write_evidence(tmp_path / "evidence")
    out = tmp_path / "case"
    result = CliRunner().invoke(
        main, ["scan", str(evidence), "--out", str(out), "--sigma", str(rules), "--workers", "1", "--quiet"]
    )
    lines = result.stderr.splitlines()
    assert sum(line.startswith("  not usable: ") for line in lines) == MAX_UNUSABLE_SHOWN
    assert lines[-1] == "  ... and 2 more in report.json"
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert len(report["rules"]["unusable"]) == count
