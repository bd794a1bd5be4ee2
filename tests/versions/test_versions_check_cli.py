"""`lekdicht check` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from lekdicht.versions.cli import check_command


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(check_command, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_vulnerable_build_table_and_exit_1() -> None:
    code, out, _ = run("--build", "15.1.2176.2", "--on", "2026-11-28")
    assert code == 1
    assert "Exchange Server 2016 CU19" in out
    assert "CVE-2021-26855" in out
    assert "VULNERABLE" in out
    assert "15.1.2176.9 CU19 Mar21SU KB5000871" in out
    assert "end_of_life" in out


def test_clean_build_exits_0_and_shows_configuration_to_verify() -> None:
    code, out, _ = run("--build", "15.2.2562.46", "--on", "2026-11-28")
    assert code == 0
    assert "Exchange Server SE" in out
    assert "configuration to verify" in out
    assert "not shown (use --all)" in out
    code, out_all, _ = run("--build", "15.2.2562.46", "--on", "2026-11-28", "--all")
    assert "CVE-2021-26855" in out_all


def test_json_output() -> None:
    code, out, _ = run(
        "--build", "15.1.2176.2", "--build", "Version 15.2 (Build 2562.46)", "--json", "--on", "2026-11-28"
    )
    assert code == 1
    doc = json.loads(out)
    assert doc["schema"] == "lekdicht.check/1"
    assert doc["vulnerable"] is True
    first, second = doc["results"]
    assert first["build"] == "15.1.2176.2"
    assert first["families"]["ProxyLogon"] == "vulnerable"
    assert second["build"] == "15.2.2562.46"
    assert second["vulnerable"] is False
    cve = next(c for c in first["cves"] if c["cve"] == "CVE-2021-26855")
    assert cve["fixed_in"] == "15.1.2176.9"


def test_build_file_with_comments(tmp_path: Path) -> None:
    f = tmp_path / "builds.txt"
    f.write_text("# estate\n15.2.2562.46  # mail01\n\n15.02.1748.049\n", encoding="utf-8")
    code, out, _ = run("--build-file", str(f), "--json", "--on", "2026-08-20")
    assert code == 0
    assert [r["build"] for r in json.loads(out)["results"]] == ["15.2.2562.46", "15.2.1748.49"]


def test_bad_build_is_a_usage_error() -> None:
    code, out, err = run("--build", "15.1.2176.2", "--build", "fifteen")
    assert code == 2
    assert "no Exchange build number in 'fifteen'" in err
    assert out == ""


def test_bad_line_in_build_file_names_the_line(tmp_path: Path) -> None:
    f = tmp_path / "b.txt"
    f.write_text("15.1.2176.2\nhello\n", encoding="utf-8")
    code, _, err = run("--build-file", str(f))
    assert code == 2
    assert "b.txt:2" in err


def test_no_input_and_bad_date_are_usage_errors() -> None:
    assert run()[0] == 2
    assert run("--build", "15.1.2176.2", "--on", "yesterday")[0] == 2


def test_control_characters_are_not_echoed() -> None:
    code, out, err = run("--build", "15.1.2176.2 \x1b[31mred")
    assert "\x1b[31m" not in out + err
