"""``lekdicht breach`` end to end on a report.json from scanning the demo evidence."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import yaml
from breach_support import answers_doc
from click.testing import CliRunner, Result

from lekdicht.breach import EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE, breach_command, render_breach_html_section
from lekdicht.breach.answers import parse_answers
from lekdicht.breach.assessment import assess
from lekdicht.breach.output import FILES

NOW = "2021-03-05T12:00:00+01:00"
AP_QUESTIONS = [
    "1.1",
    "1.2",
    "1.3",
    "2.1.1",
    "2.2.1",
    "3.1.1",
    "3.1.2",
    "3.2.1",
    "3.2.2",
    "3.3",
    "4.1.1",
    "4.1.2",
    "4.2",
    "4.3",
    "5.1",
    "5.2",
    "5.3",
    "5.4",
    "6.1",
    "6.2",
    "6.3.1",
    "7.1",
    "7.2",
    "7.3",
    "8.1",
    "9.1",
    "9.2",
    "9.3",
    "10.1.1",
    "10.1.3",
    "10.1.7",
    "10.2",
]
EVIL_UA = "<script>alert(1)</script>](javascript:alert(1)) **pwned** ![x](http://evil.example/x.png)"


def _case(demo_case: Path, tmp_path: Path, mutate: Any = None) -> Path:
    case = tmp_path / "case"
    case.mkdir()
    report = json.loads((demo_case / "report.json").read_text(encoding="utf-8"))
    if mutate:
        mutate(report)
    (case / "report.json").write_text(json.dumps(report), encoding="utf-8")
    return case


def _answers(tmp_path: Path, doc: dict[str, Any] | None = None) -> Path:
    path = tmp_path / "answers.yml"
    path.write_text(
        yaml.safe_dump(doc if doc is not None else answers_doc(), allow_unicode=True), encoding="utf-8"
    )
    return path


def _run(*args: str) -> Result:
    return CliRunner().invoke(breach_command, list(args), catch_exceptions=False)


def test_full_run_with_complete_answers(demo_case: Path, tmp_path: Path) -> None:
    case = _case(demo_case, tmp_path)
    out = tmp_path / "out"
    result = _run(str(case), "--answers", str(_answers(tmp_path)), "--out", str(out), "--now", NOW)
    assert result.exit_code == EXIT_OK, result.output
    assert "Notify the AP: yes" in result.output
    for name in FILES.values():
        assert (out / name).is_file(), name

    nl = (out / "ap-melding-nl.md").read_text(encoding="utf-8")
    en = (out / "ap-notification-en.md").read_text(encoding="utf-8")
    for q in AP_QUESTIONS:
        assert f"\n### {q} " in nl, q
        assert f"\n### {q} " in en, q
    assert "### 4.5" not in nl  # deadline not passed
    assert "Meldformulier datalekken" in nl and "geen melding" in nl
    # derived dates (first successful attack, from the scan) and the deadline (from the given awareness time)
    assert "2021-03-03 03:10 CET (02:10 UTC) _(afgeleid uit report.json: findings" in nl
    assert "2021-03-03 03:10 CET (02:10 UTC) _(derived from report.json: findings" in en
    assert "**2021-03-07 09:30 CET (08:30 UTC)**" in nl
    markers = [line for line in nl.splitlines() if "[ONTBREEKT:" in line and not line.startswith("Legenda")]
    assert markers and all("(optioneel)]" in line for line in markers)  # only optional answers left open

    notice_nl = (out / "bericht-betrokkenen-nl.md").read_text(encoding="utf-8")
    notice_en = (out / "notice-data-subjects-en.md").read_text(encoding="utf-8")
    for heading in (
        "## Wat is er gebeurd?",
        "## Wat betekent dit voor u?",
        "## Wat hebben wij gedaan?",
        "## Wat kunt u zelf doen?",
        "Petra de Vries",
    ):
        assert heading in notice_nl
    for heading in (
        "## What happened?",
        "## What does this mean for you?",
        "## What have we done?",
        "## What can you do yourself?",
        "fg@example.org",
    ):
        assert heading in notice_en

    doc = json.loads((out / "breach.json").read_text(encoding="utf-8"))
    assert doc["schema"] == "lekdicht.breach/1" and doc["status"] == "complete"
    assert doc["decision"]["notify_authority"] == "yes"
    assert doc["decision"]["inform_data_subjects"] == "yes"
    assert doc["decision"]["closest_edpb_case"]["id"] == "18"
    assert doc["timeline"]["breach_start"]["provenance"] == "derived"
    assert doc["timeline"]["aware_at"]["provenance"] == "given"
    assert doc["enisa"]["ei"]["provenance"] == "derived"
    assert doc["answers"]["organisation.name"] == {
        "value": "Voorbeeld B.V.",
        "provenance": "given",
        "source": "answers: organisation.name",
    }
    assert doc["deadline"]["deadline"] == "2021-03-07T09:30:00+01:00"
    # DPC 1 (simple data; stolen credentials are scored by the data they open) x EI 1 + CB 0.5 + 0.5
    assert doc["enisa"]["se"] == 2.0 and doc["enisa"]["level"] == "medium"


def test_register_is_appended_never_rewritten(demo_case: Path, tmp_path: Path) -> None:
    case = _case(demo_case, tmp_path)
    answers = _answers(tmp_path)
    register = tmp_path / "register" / "datalekregister.jsonl"
    for _ in range(2):
        result = _run(
            str(case),
            "--answers",
            str(answers),
            "--out",
            str(tmp_path / "out"),
            "--now",
            NOW,
            "--register",
            str(register),
        )
        assert result.exit_code == EXIT_OK, result.output
    lines = register.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert first["schema"] == "lekdicht.breach-register/1"
    assert first["reference"]["value"] == "DL-2021-007"
    assert first["decision"]["notify_authority"] == "yes" and first["decision"]["rationale"]
    assert first["remedial_action"]["taken"]["provenance"] == "given"
    assert "2 entries" in result.output


def test_default_register_in_out_folder(demo_case: Path, tmp_path: Path) -> None:
    case = _case(demo_case, tmp_path)
    result = _run(str(case), "--answers", str(_answers(tmp_path)), "--now", NOW)
    assert result.exit_code == EXIT_OK, result.output
    assert len((case / "breach" / "breach-register.jsonl").read_text().splitlines()) == 1
    no_reg = _run(str(case), "--answers", str(_answers(tmp_path)), "--now", NOW, "--no-register")
    assert no_reg.exit_code == EXIT_OK
    assert len((case / "breach" / "breach-register.jsonl").read_text().splitlines()) == 1


def test_missing_answers_are_listed_not_filled(demo_case: Path, tmp_path: Path) -> None:
    case = _case(demo_case, tmp_path)
    doc = answers_doc(
        organisation={"name": None, "kvk_number": None},
        timeline={"aware_at": None},
        personal_data={"categories": None},
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(
        breach_command,
        [str(case), "--answers", str(_answers(tmp_path, doc)), "--out", str(out), "--now", NOW],
    )
    assert result.exit_code == EXIT_INCOMPLETE
    for key in (
        "organisation.name",
        "organisation.kvk_number",
        "timeline.aware_at",
        "personal_data.categories",
    ):
        assert f"  {key} — " in result.stderr
    assert "answer(s) missing" in result.stderr
    nl = (out / "ap-melding-nl.md").read_text(encoding="utf-8")
    assert "Naam: **[ONTBREEKT: organisation.name]**" in nl
    assert "**[ONTBREEKT: timeline.aware\\_at]**" in nl
    notice = (out / "notice-data-subjects-en.md").read_text(encoding="utf-8")
    assert "**[MISSING: organisation.name]**" in notice
    doc_out = json.loads((out / "breach.json").read_text(encoding="utf-8"))
    assert doc_out["status"] == "incomplete"
    assert doc_out["answers"]["organisation.name"]["value"] is None
    assert doc_out["answers"]["organisation.name"]["provenance"] == "missing"
    assert doc_out["deadline"] is None
    assert doc_out["enisa"]["se"] is None and doc_out["enisa"]["dpc"]["provenance"] == "missing"
    assert {m["key"] for m in doc_out["missing"]} >= {"organisation.name", "timeline.aware_at"}


def test_no_answers_file_lists_everything(demo_case: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        breach_command, [str(_case(demo_case, tmp_path)), "--now", NOW, "--no-interactive"]
    )
    assert result.exit_code == EXIT_INCOMPLETE
    assert "timeline.aware_at" in result.stderr and "measures.taken" in result.stderr


def test_interactive_prompting_fills_given_answers(demo_case: Path, tmp_path: Path) -> None:
    case = _case(demo_case, tmp_path)
    doc = answers_doc(organisation={"sector": None})
    out = tmp_path / "out"
    result = CliRunner().invoke(
        breach_command,
        [
            str(case),
            "--answers",
            str(_answers(tmp_path, doc)),
            "--out",
            str(out),
            "--now",
            NOW,
            "--interactive",
        ],
        input="Onderwijs\n",
    )
    assert result.exit_code == EXIT_OK, result.output + result.stderr
    assert "Onderwijs _(opgegeven)_" in (out / "ap-melding-nl.md").read_text(encoding="utf-8")
    used = yaml.safe_load((out / "answers-used.yml").read_text(encoding="utf-8"))
    assert used["organisation"]["sector"] == "Onderwijs"


def test_malicious_user_agent_is_neutralised(demo_case: Path, tmp_path: Path) -> None:
    def mutate(report: dict[str, Any]) -> None:
        report["sessions"][0]["user_agents"].append(EVIL_UA)
        report["data_exposure"]["mailboxes"][0]["mailbox"] = "<img src=x onerror=alert(1)>@example.org"

    case = _case(demo_case, tmp_path, mutate)
    out = tmp_path / "out"
    result = _run(str(case), "--answers", str(_answers(tmp_path)), "--out", str(out), "--now", NOW)
    assert result.exit_code == EXIT_OK, result.output
    text = (out / "breach-assessment.md").read_text(encoding="utf-8")
    assert (
        "&lt;script&gt;alert\\(1\\)&lt;/script&gt;\\]\\(javascript:alert\\(1\\)\\) \\*\\*pwned\\*\\*" in text
    )
    for name in FILES.values():
        if name.endswith(".json"):
            continue  # data, like report.json: consumers escape on display
        body = (out / name).read_text(encoding="utf-8")
        assert "<script" not in body and "<img" not in body and "](javascript" not in body, name
    assert "&lt;img src=x onerror=alert(1)&gt;@example.org" in (out / "breach-section.html").read_text()


def test_html_section_escapes_everything(demo_report: dict[str, Any]) -> None:
    doc = answers_doc()
    doc["measures"]["taken"] = ["<b>bold</b>"]
    demo_report["data_exposure"]["mailboxes"][0]["mailbox"] = '"><svg onload=alert(1)>'
    a = assess(demo_report, parse_answers(doc), __import__("datetime").datetime.fromisoformat(NOW))
    html = render_breach_html_section(a)
    assert html.startswith('<section class="breach"') and "<svg" not in html
    assert "&quot;&gt;&lt;svg onload=alert(1)&gt;" in html
    assert "Notify the AP" in html and "Melden bij de AP" in render_breach_html_section(a, "nl")


def test_template_option(tmp_path: Path) -> None:
    result = _run("--template")
    assert result.exit_code == EXIT_OK
    assert "aware_at:" in result.output and "(AP 4.3)" in result.output


def test_usage_errors(demo_case: Path, tmp_path: Path) -> None:
    assert CliRunner().invoke(breach_command, []).exit_code == EXIT_USAGE
    assert CliRunner().invoke(breach_command, [str(tmp_path / "nope")]).exit_code == EXIT_USAGE
    bad = tmp_path / "bad.yml"
    bad.write_text("organisation:\n  nmae: x\n", encoding="utf-8")
    result = CliRunner().invoke(breach_command, [str(_case(demo_case, tmp_path)), "--answers", str(bad)])
    assert result.exit_code == EXIT_USAGE
    assert "organisation.nmae: unknown key (did you mean 'organisation.name'?)" in result.stderr
    not_report = tmp_path / "x.json"
    not_report.write_text("{}", encoding="utf-8")
    assert CliRunner().invoke(breach_command, [str(not_report)]).exit_code == EXIT_USAGE


def test_output_inside_the_evidence_is_refused(demo_case: Path, tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    shutil.copytree(demo_case, evidence / "copy")  # any folder standing in for the evidence

    def mutate(report: dict[str, Any]) -> None:
        report["scan"]["evidence"] = str(evidence)

    case = _case(demo_case, tmp_path, mutate)
    target = evidence / "breach-out"
    result = CliRunner().invoke(breach_command, [str(case), "--out", str(target), "--now", NOW])
    assert result.exit_code == EXIT_USAGE
    assert "inside the evidence" in result.stderr
    assert not target.exists()
    reg = CliRunner().invoke(
        breach_command,
        [str(case), "--out", str(tmp_path / "o"), "--register", str(evidence / "r.jsonl"), "--now", NOW],
    )
    assert reg.exit_code == EXIT_USAGE and not (evidence / "r.jsonl").exists()
