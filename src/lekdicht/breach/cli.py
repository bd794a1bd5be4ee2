"""``lekdicht breach``: GDPR Art. 33/34 assessment and notification drafts from a scan's case folder.

Exit codes: 0 complete; 10 written, but answers are missing (listed on stderr; marked in the drafts);
2 usage or input error (no report.json, invalid answers file, output inside the evidence).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, NoReturn

import click

from lekdicht.breach.answers import (
    Answers,
    AnswersError,
    load_answers,
    parse_datetime,
    prompt_missing,
    template,
)
from lekdicht.breach.assessment import BreachAssessment, assess
from lekdicht.breach.drafts.apform import enisa_line, zone_of
from lekdicht.breach.drafts.common import fmt_time, w
from lekdicht.breach.drafts.html import render_breach_html_section
from lekdicht.breach.facts import ReportError, load_report
from lekdicht.breach.output import REGISTER_NAME, write_answers_used, write_outputs
from lekdicht.breach.textsafe import clean
from lekdicht.report.html import default_lang, write_html

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_INCOMPLETE = 10


def _fail(message: str) -> NoReturn:
    click.echo(f"lekdicht breach: {clean(message, None)}", err=True)
    sys.exit(EXIT_USAGE)


def _inside(child: Path, parent: Path) -> bool:
    c, p = child.resolve(), parent.resolve()
    return c == p or p in c.parents


def _evidence_roots(report: dict[str, Any], case_dir: Path) -> list[Path]:
    """Where the scanned evidence may be (as given, from here or beside the case) and its scratch copies."""
    roots: list[Path] = []
    given = report.get("scan", {}).get("evidence") if isinstance(report.get("scan"), dict) else None
    if isinstance(given, str) and given:
        p = Path(given)
        for cand in [p] if p.is_absolute() else [Path.cwd() / p, case_dir.parent / p]:
            if cand.exists():
                roots.append(cand)
    roots += [d for d in case_dir.glob(".evidence-*") if d.is_dir()]
    return roots


def _summary(a: BreachAssessment, paths: dict[str, Path], register: Path | None, entries: int | None) -> None:
    d = a.decision
    zone = zone_of(a)
    click.echo(
        f"Notify the AP: {w(d.notify_sa, 'en')} · inform the people affected: {w(d.inform_subjects, 'en')} · "
        f"risk: {w(d.risk, 'en')}"
    )
    click.echo(clean("ENISA severity: " + enisa_line(a, "en").replace("**", ""), None))
    if d.analogue:
        click.echo(
            clean(f"Closest EDPB example: 01/2021 case {d.analogue.case.id} ({d.analogue.case.title})", None)
        )
    dl = a.deadline
    if dl is None:
        click.echo("Deadline: unknown (the time of awareness, timeline.aware_at, is missing)")
    else:
        state = (
            "passed: give the reasons for the delay (AP question 4.5)"
            if dl.passed
            else f"{dl.hours_left:.1f} hours left"
        )
        if dl.notified_at is not None:
            state = "notified late: reasons for the delay required" if dl.late else "notified in time"
        click.echo(f"Deadline (72 h from awareness): {fmt_time(dl.deadline, zone)} — {state}")
    click.echo(
        f"Written to {clean(str(paths['json'].parent), None)}: " + ", ".join(p.name for p in paths.values())
    )
    if register is not None:
        click.echo(f"Register: {clean(str(register), None)} ({entries} entr{'y' if entries == 1 else 'ies'})")


def _html_with_breach(report: dict[str, Any], a: BreachAssessment, out: Path) -> Path:
    """The scan's HTML report again, now with the breach section, next to the drafts."""
    lang: Literal["nl", "en"] = "nl" if default_lang() == "nl" else "en"
    page = out / "report-with-breach.html"
    write_html({**report, "breach": render_breach_html_section(a, lang)}, page, lang)
    return page


@click.command("breach", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("case", required=False, type=click.Path(path_type=Path))
@click.option(
    "--answers",
    "answers_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="YAML file with what the scan cannot know (see --template).",
)
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the drafts and breach.json (default: CASE/breach). Never inside the evidence.",
)
@click.option(
    "--register",
    "register_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help=f"Breach register (JSON lines) to append to (default: OUT/{REGISTER_NAME}).",
)
@click.option("--no-register", is_flag=True, help="Do not append to the breach register.")
@click.option(
    "--now",
    "now_text",
    metavar="TIME",
    help="Assess the 72-hour deadline at this time (ISO 8601 with offset; default: now).",
)
@click.option(
    "--interactive/--no-interactive",
    default=None,
    help="Ask for missing answers (default: when stdin is a terminal).",
)
@click.option(
    "--template", "show_template", is_flag=True, help="Print a commented answers template and exit."
)
def breach_command(
    case: Path | None,
    answers_file: Path | None,
    out: Path | None,
    register_file: Path | None,
    no_register: bool,
    now_text: str | None,
    interactive: bool | None,
    show_template: bool,
) -> None:
    """Assess a personal-data breach from a scan's CASE folder (or its report.json) under GDPR Art. 33/34.

    Writes the assessment (ENISA severity, notification decision support, 72-hour deadline), the AP
    notification form pre-fill (Dutch and English), a message to the people affected (Dutch and
    English), breach.json, and appends an entry to the breach register (Art. 33(5)).

    Exit codes: 0 complete; 10 written, but answers are missing (listed on stderr); 2 usage or input error.
    """
    if show_template:
        click.echo(template(), nl=False)
        sys.exit(EXIT_OK)
    if case is None:
        _fail("give the CASE folder of a scan (or its report.json); see --help")
    try:
        report, report_path, sha = load_report(case)
    except ReportError as exc:
        _fail(str(exc))
    case_dir = report_path.parent
    answers = Answers()
    if answers_file is not None:
        try:
            answers = load_answers(answers_file)
        except AnswersError as exc:
            click.echo(
                f"lekdicht breach: the answers file {clean(str(answers_file), None)} cannot be used:",
                err=True,
            )
            for problem in exc.problems:
                click.echo(f"  {clean(problem, None)}", err=True)
            sys.exit(EXIT_USAGE)
    if now_text:
        try:
            now = parse_datetime(now_text, None)
        except ValueError as exc:
            _fail(f"--now: {exc}")
    else:
        now = datetime.now(UTC)
    out = out or case_dir / "breach"
    for root in _evidence_roots(report, case_dir):
        if _inside(out, root):
            _fail(f"the output folder {out} is inside the evidence {root}; the evidence is never written to")
    register = None if no_register else (register_file or out / REGISTER_NAME)
    if register is not None and any(_inside(register, r) for r in _evidence_roots(report, case_dir)):
        _fail(f"the register {register} is inside the evidence; the evidence is never written to")

    a = assess(report, answers, now, report_path, sha)
    if interactive is None:
        interactive = sys.stdin.isatty()
    typed: list[str] = []
    if interactive and a.missing:
        click.echo(f"{len(a.missing)} answer(s) missing; press Enter to leave one missing.", err=True)
        for _ in range(3):  # an answer can make another one needed (e.g. the reason for a late notification)
            keys = [m.key for m in a.missing if m.key not in typed]
            new = prompt_missing(answers, keys, click.prompt, lambda s: click.echo(s, err=True))
            typed += new
            a = assess(report, answers, now, report_path, sha)
            if not new:
                break
    paths, entries = write_outputs(a, out, register)
    paths["report_html"] = _html_with_breach(report, a, out)
    if typed:
        paths["answers_used"] = write_answers_used(answers, out)
    _summary(a, paths, register, entries)
    if a.missing:
        click.echo(
            f"lekdicht breach: {len(a.missing)} answer(s) missing (marked [MISSING] in the drafts, not "
            "filled in):",
            err=True,
        )
        for m in a.missing:
            click.echo(f"  {m.key} — {clean(m.label, None)}" + (f" (AP {m.ap})" if m.ap else ""), err=True)
        click.echo(
            "Add them to the answers file (lekdicht breach --template) or run at a terminal to be asked.",
            err=True,
        )
        sys.exit(EXIT_INCOMPLETE)
    sys.exit(EXIT_OK)
