"""``lekdicht mitigate plan|apply|verify|rollback`` and ``lekdicht quarantine``.

Exit codes: 0 done (or nothing to do; for ``verify``: every needed mitigation is present and
strong); 1 ``verify`` found a needed mitigation weak or missing, or ``quarantine`` could not
archive or remove every file; 2 usage or input error, or a file lekdicht refuses to change.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.text import Text

from lekdicht.mitigate.catalog import MitigateError, Selection, ServerFacts, read_case, select_interims
from lekdicht.mitigate.configedit import DEFAULT_SITE, EditPlan
from lekdicht.mitigate.quarantine import quarantine_files, select_targets
from lekdicht.mitigate.scripts import build_scripts, write_scripts
from lekdicht.mitigate.store import apply_file, plan_file, rollback_file, verify_file
from lekdicht.versions.mitigations import MitigationStatus

__all__ = ["EXIT_INPUT_ERROR", "EXIT_NEEDS_ACTION", "EXIT_OK", "mitigate_group", "quarantine_command"]

EXIT_OK = 0
EXIT_NEEDS_ACTION = 1
EXIT_INPUT_ERROR = 2

F = TypeVar("F", bound=Callable[..., Any])

_STATUS_STYLE = {
    "present_strong": "green",
    "present_weak": "bold yellow",
    "missing": "bold red",
    "error": "bold red",
}
_STATUS_TEXT = {
    "present_strong": "present and strong",
    "present_weak": "PRESENT BUT WEAK",
    "missing": "MISSING",
    "error": "ERROR",
}

REWRITE_CAVEAT = (
    "The rules need the IIS URL Rewrite module (2.1 on IIS 10; 2.0 on IIS 8.5 and older, where 2.1 "
    "destabilised Exchange). Without it IIS cannot read a <rewrite> section and answers every request with "
    "HTTP 500.19: check with 'Get-WebGlobalModule -Name RewriteModule' first."
)
GENERAL_CAVEATS = (
    "IIS picks up the change by itself (no iisreset); the Exchange applications restart their worker "
    "processes.",
    "Rules with the same name must not exist at another level (applicationHost.config <location> and the "
    "site's web.config): IIS rejects duplicate names with HTTP 500.19. Check the other file with "
    "'lekdicht mitigate verify'.",
    "Exchange CU setup removes URL Rewrite rules: run 'lekdicht mitigate verify' after every CU.",
    "These are interim measures; Microsoft states each may be bypassed by new variants. Install the security "
    "update, then run 'lekdicht mitigate rollback'.",
)


def _clean(text: str | None) -> str:
    """Drop control characters so file or evidence text cannot drive the terminal."""
    if not text:
        return ""
    return "".join(ch if ch.isprintable() or ch == "\t" else "?" for ch in text)


def _out() -> Console:
    console = Console(highlight=False, soft_wrap=True)
    if not console.is_terminal:
        console = Console(highlight=False, soft_wrap=True, width=160)
    return console


def _fail(message: str) -> None:
    Console(stderr=True, highlight=False, soft_wrap=True).print(Text(f"error: {_clean(message)}"))
    sys.exit(EXIT_INPUT_ERROR)


def _server_options(f: F) -> F:
    """The options plan, apply and verify share."""
    options = [
        click.option(
            "--config",
            "config",
            required=True,
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="The IIS configuration file: the site's web.config (C:\\inetpub\\wwwroot\\web.config) or "
            "%windir%\\System32\\inetsrv\\config\\applicationHost.config.",
        ),
        click.option(
            "--build", "build", metavar="BUILD", help="Exchange build of the server, e.g. 15.1.2176.2."
        ),
        click.option(
            "--case",
            "case_dir",
            type=click.Path(exists=True, file_okay=False, path_type=Path),
            help="Case folder of an earlier 'lekdicht scan': the build is taken from its report.json.",
        ),
        click.option(
            "--cve",
            "cves",
            multiple=True,
            metavar="CVE",
            help="Only mitigations for these CVEs or families (CVE-2021-26855, ProxyLogon, ProxyNotShell). "
            "Repeatable.",
        ),
        click.option(
            "--site",
            default=DEFAULT_SITE,
            show_default=True,
            help="IIS site for applicationHost.config <location> sections.",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _facts(build: str | None, case_dir: Path | None) -> ServerFacts:
    if build:
        return ServerFacts(build=build, source="--build")
    if case_dir is not None:
        facts = read_case(case_dir)
        if not facts.build:
            raise MitigateError(f"{facts.source} has no server build; give --build")
        return facts
    return ServerFacts()


def _selection(build: str | None, case_dir: Path | None, cves: tuple[str, ...]) -> Selection:
    return select_interims(_facts(build, case_dir), cves)


def _print_selection(console: Console, sel: Selection) -> None:
    head = Text("Server: ")
    if sel.facts.build:
        head.append(f"build {_clean(sel.facts.build)}", style="bold")
        if sel.product:
            head.append(f" ({sel.product})")
        head.append(f", from {_clean(sel.facts.source)}")
    else:
        head.append("build not given", style="yellow")
    if sel.facts.hostname:
        head.append(f", host {_clean(sel.facts.hostname)}")
    console.print(head)
    for d in sel.decisions:
        if d.reason == "not requested (--cve)":
            continue
        line = Text("  ")
        line.append("needed    " if d.needed else "not needed", style="bold red" if d.needed else "dim")
        where = "IIS configuration" if d.interim.target == "config" else "PowerShell script"
        line.append(f"  {', '.join(d.interim.cves)}: {d.interim.title} [{where}] — {_clean(d.reason)}")
        console.print(line)
    if sel.without_interim:
        console.print(
            Text(
                "  vulnerable without any interim mitigation (only the update helps): "
                + ", ".join(sel.without_interim),
                style="yellow",
            )
        )


def _print_statuses(console: Console, statuses: list[MitigationStatus], only: set[str] | None = None) -> None:
    for st in statuses:
        if only is not None and st.mitigation_id not in only:
            continue
        line = Text("  ")
        line.append(f"{_STATUS_TEXT.get(st.status, st.status):<20}", style=_STATUS_STYLE.get(st.status, ""))
        line.append(f" {st.title} ({', '.join(st.cves)})" if st.cves else f" {st.title}")
        if st.location:
            line.append(f' at <location path="{_clean(st.location)}">', style="dim")
        console.print(line)
        for r in st.reasons:
            console.print(Text(f"      - {_clean(r)}"))
        for n in st.notes:
            console.print(Text(f"      note: {_clean(n)}", style="dim"))


def _print_plan(console: Console, plan: EditPlan, config: Path) -> None:
    kind = "applicationHost.config" if plan.apphost else "site web.config"
    console.print(Text(f"Configuration file: {_clean(str(config))} ({kind})", style="bold"))
    for c in plan.changes:
        verb = {"insert": "add", "replace": "replace", "keep": "keep", "skip": "skip"}.get(c.action, c.action)
        line = Text(f"  {verb:<8} {_clean(c.name)}")
        if c.where:
            line.append(f"  in {_clean(c.where)}", style="dim")
        if c.detail:
            line.append(f"  ({_clean(c.detail)})", style="dim")
        console.print(line)
    for p in plan.problems:
        console.print(Text(f"  problem: {_clean(p)}", style="bold red"))
    for n in plan.notes:
        console.print(Text(f"  note: {_clean(n)}", style="yellow"))
    if plan.changed:
        console.print(Text("Change (unified diff):", style="bold"))
        for diff_line in plan.diff(str(config)).splitlines():
            style = "green" if diff_line.startswith("+") else "red" if diff_line.startswith("-") else ""
            console.print(Text(_clean(diff_line), style=style))
    elif not plan.problems:
        console.print(Text("  nothing to change in this file", style="green"))


def _print_caveats(console: Console, plan: EditPlan | None) -> None:
    console.print(Text("Caveats:", style="bold"))
    items = (
        [REWRITE_CAVEAT, *GENERAL_CAVEATS]
        if plan is not None and (plan.changed or plan.targeted)
        else list(GENERAL_CAVEATS[-1:])
    )
    for c in items:
        console.print(Text(f"  - {c}"))


def _host_steps_hint(
    console: Console, sel: Selection, scripts_dir: Path | None, wrote: tuple[Path, Path] | None
) -> None:
    host = sel.needed("host")
    if not host:
        return
    console.print(
        Text("Steps outside the IIS configuration (PowerShell, for you to review and run):", style="bold")
    )
    for s in host:
        console.print(Text(f"  - {', '.join(s.cves)}: {s.title}. {_clean(s.note)}"))
    if wrote is not None:
        console.print(Text(f"  written: {wrote[0]} and the undo script {wrote[1]}", style="green"))
    elif scripts_dir is None:
        console.print(
            Text("  write the scripts with --scripts DIR (lekdicht never runs them itself)", style="dim")
        )


def _scripts(sel: Selection, scripts_dir: Path | None, rewrite_check: bool) -> tuple[Path, Path] | None:
    host = sel.needed("host")
    if scripts_dir is None or not host:
        return None
    scripts = build_scripts(
        host, hostname=sel.facts.hostname, build=sel.facts.build, rewrite_check=rewrite_check
    )
    return write_scripts(scripts, scripts_dir)


@click.group("mitigate")
def mitigate_group() -> None:
    """Temporary mitigations for a server that cannot be patched today.

    plan shows what would change, apply makes the change (backup first, atomic, idempotent),
    verify rates each mitigation, rollback undoes lekdicht's change.
    """


@mitigate_group.command("plan")
@_server_options
@click.option(
    "--scripts",
    "scripts_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the PowerShell scripts for steps outside IIS (and their undo script) into this folder.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
def plan_command(
    config: Path,
    build: str | None,
    case_dir: Path | None,
    cves: tuple[str, ...],
    site: str,
    scripts_dir: Path | None,
    as_json: bool,
) -> None:
    """Show which mitigations the server needs and the exact change to the IIS file, as a diff."""
    try:
        sel = _selection(build, case_dir, cves)
        plan = plan_file(config, [i.id for i in sel.needed("config")], site=site)
        wrote = _scripts(sel, scripts_dir, rewrite_check=plan.changed)
    except MitigateError as exc:
        _fail(str(exc))
        return
    if as_json:
        doc = {
            "schema": "lekdicht.mitigate-plan/1",
            "config": str(config),
            "selection": sel.to_json(),
            "changes": [c.to_json() for c in plan.changes],
            "problems": plan.problems,
            "notes": plan.notes,
            "diff": plan.diff(str(config)),
            "before": [s.to_json() for s in plan.before],
            "after": [s.to_json() for s in plan.after],
            "scripts": [str(p) for p in wrote] if wrote else [],
        }
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        sys.exit(EXIT_OK)
    console = _out()
    _print_selection(console, sel)
    if not sel.needed():
        console.print(Text("Nothing to do: no interim mitigation applies to this build.", style="green"))
        sys.exit(EXIT_OK)
    _print_plan(console, plan, config)
    _host_steps_hint(console, sel, scripts_dir, wrote)
    _print_caveats(console, plan)
    sys.exit(EXIT_OK)


@mitigate_group.command("apply")
@_server_options
@click.option("--dry-run", is_flag=True, help="Print the diff only; change nothing.")
@click.option(
    "--scripts",
    "scripts_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write the PowerShell scripts for steps outside IIS into this folder (never run by lekdicht).",
)
def apply_command(
    config: Path,
    build: str | None,
    case_dir: Path | None,
    cves: tuple[str, ...],
    site: str,
    dry_run: bool,
    scripts_dir: Path | None,
) -> None:
    """Write the mitigations into the IIS file: backup, atomic write, validation; idempotent."""
    console = _out()
    try:
        sel = _selection(build, case_dir, cves)
        ids = [i.id for i in sel.needed("config")]
        result = apply_file(config, ids, site=site, build=sel.facts.build, dry_run=dry_run)
        wrote = None if dry_run else _scripts(sel, scripts_dir, rewrite_check=result.written)
    except MitigateError as exc:
        _fail(str(exc))
        return
    plan = result.plan
    if dry_run:
        if plan.changed:
            click.echo(_clean_diff(plan.diff(str(config))))
        else:
            console.print(Text("nothing to change", style="green"))
        sys.exit(EXIT_OK)
    _print_selection(console, sel)
    for n in plan.notes:
        console.print(Text(f"note: {_clean(n)}", style="yellow"))
    if result.written:
        console.print(Text(f"Changed {config}", style="bold green"))
        console.print(Text(f"  backup of the original: {result.backup}"))
        console.print(Text(f"  state for rollback:     {result.state}"))
        _print_statuses(console, plan.after, set(plan.targeted))
    elif ids:
        console.print(
            Text(f"Nothing to change in {config}: the mitigations are already in place.", style="green")
        )
    else:
        console.print(Text("No mitigation in the IIS configuration is needed for this build.", style="green"))
    _host_steps_hint(console, sel, scripts_dir, wrote)
    if result.written:
        _print_caveats(console, plan)
    sys.exit(EXIT_OK)


def _clean_diff(diff: str) -> str:
    return "\n".join(_clean(line) for line in diff.splitlines())


@mitigate_group.command("verify")
@_server_options
@click.option("--json", "as_json", is_flag=True, help="Print the statuses as JSON.")
def verify_command(
    config: Path,
    build: str | None,
    case_dir: Path | None,
    cves: tuple[str, ...],
    site: str,
    as_json: bool,
) -> None:
    """Rate each mitigation in the file: present and strong, present but weak, or missing."""
    try:
        facts = _facts(build, case_dir)
        sel = select_interims(facts, cves) if (facts.build or cves) else None
        statuses = verify_file(config, facts.build)
    except MitigateError as exc:
        _fail(str(exc))
        return
    except OSError as exc:
        _fail(f"cannot read {config}: {exc}")
        return
    if any(s.status == "error" for s in statuses):
        if as_json:
            click.echo(
                json.dumps({"config": str(config), "statuses": [s.to_json() for s in statuses]}, indent=2)
            )
        else:
            _print_statuses(_out(), statuses)
        sys.exit(EXIT_INPUT_ERROR)
    needed = {i.id for i in sel.needed()} if sel is not None else None
    shown = [s for s in statuses if needed is None or s.mitigation_id in needed]
    if needed is None:
        failing = [s for s in shown if s.status == "present_weak"]
    else:
        failing = [s for s in shown if s.status != "present_strong"]
    if as_json:
        doc = {
            "schema": "lekdicht.mitigate-verify/1",
            "config": str(config),
            "selection": sel.to_json() if sel else None,
            "statuses": [s.to_json() for s in shown],
            "ok": not failing,
        }
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        sys.exit(EXIT_NEEDS_ACTION if failing else EXIT_OK)
    console = _out()
    if sel is not None:
        _print_selection(console, sel)
    console.print(Text(f"Mitigations in {_clean(str(config))}:", style="bold"))
    _print_statuses(console, shown)
    if sel is not None:
        for s in sel.needed("host"):
            if s.kind != "app_pool_stopped" or not any(x.mitigation_id == s.id for x in statuses):
                console.print(
                    Text(
                        f"  not verifiable here  {s.title} ({', '.join(s.cves)}): a setting outside IIS",
                        style="dim",
                    )
                )
    if not shown:
        console.print(Text("  nothing to verify for this build", style="green"))
    sys.exit(EXIT_NEEDS_ACTION if failing else EXIT_OK)


@mitigate_group.command("rollback")
@click.option(
    "--config",
    "config",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The IIS configuration file lekdicht changed.",
)
def rollback_command(config: Path) -> None:
    """Undo lekdicht's change: byte for byte from the backup, or, when the file was edited
    since, by taking out only lekdicht's rules."""
    try:
        result = rollback_file(config)
    except MitigateError as exc:
        _fail(str(exc))
        return
    console = _out()
    if result.nothing:
        console.print(
            Text(f"Nothing to roll back: lekdicht has no recorded change to {config}.", style="green")
        )
        sys.exit(EXIT_OK)
    for bak in result.restored_from:
        console.print(Text(f"Restored {config} byte for byte from {bak}", style="green"))
    if result.surgical:
        console.print(
            Text(
                f"{config} was changed by someone else since lekdicht's apply: "
                "only lekdicht's rules were taken out"
            )
        )
        for name in result.removed:
            console.print(Text(f"  removed  {_clean(name)}"))
        for name in result.restored_rules:
            console.print(Text(f"  restored {_clean(name)}"))
        for msg in result.left:
            console.print(Text(f"  warning: {_clean(msg)}", style="yellow"))
        if result.backup is not None:
            console.print(Text(f"  the file as it was before this rollback: {result.backup}"))
    sys.exit(EXIT_OK)


@click.command("quarantine")
@click.option(
    "--case",
    "case_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Case folder of an earlier 'lekdicht scan' (its report.json names the files).",
)
@click.option(
    "--evidence",
    "evidence_root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Root the report's paths are relative to (default: the scanned folder recorded in report.json).",
)
@click.option(
    "--out",
    "archive_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Quarantine folder: one zip per file under files/, and manifest.json. Not inside the evidence root.",
)
@click.option(
    "--remove",
    is_flag=True,
    help="After archiving, delete each original whose SHA-256 still equals the scan's finding.",
)
def quarantine_command(case_dir: Path, evidence_root: Path | None, archive_dir: Path, remove: bool) -> None:
    """Copy webshells and other attacker files found by a scan into a quarantine archive with a
    manifest; with --remove, then delete the originals whose hash still matches."""
    report_path = case_dir / "report.json"
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        _fail(f"cannot read {report_path}: {exc}")
        return
    if not isinstance(report, dict) or not str(report.get("schema", "")).startswith("lekdicht.report/"):
        _fail(f"{report_path} is not a lekdicht report")
        return
    scan = report.get("scan") or {}
    if evidence_root is None:
        if scan.get("evidence_kind") not in (None, "folder"):
            _fail("the scan read an archive; give --evidence with the folder that holds the files")
            return
        evidence_root = Path(str(scan.get("evidence", "")))
        if not evidence_root.is_dir():
            _fail(f"evidence folder {evidence_root} from the report not found; give --evidence")
            return
    root = evidence_root.resolve()
    out = archive_dir.resolve()
    if out == root or root in out.parents:
        _fail("the quarantine folder must not be inside the evidence root")
        return
    targets = select_targets(report)
    console = _out()
    if not targets:
        console.print(
            Text("No webshell or attacker file findings with a path and hash in the report.", style="green")
        )
        sys.exit(EXIT_OK)
    try:
        result = quarantine_files(targets, evidence_root, archive_dir, remove=remove, case=str(case_dir))
    except (MitigateError, OSError) as exc:
        _fail(
            f"quarantine stopped: {exc}. Files already archived are listed in {archive_dir / 'manifest.json'}"
        )
        return
    style = {"archived": "green", "removed": "green", "missing": "yellow", "kept_hash_changed": "yellow"}
    for item in result.items:
        line = Text("  ")
        line.append(f"{item.status:<18}", style=style.get(item.status, "bold red"))
        line.append(_clean(item.path))
        if item.message:
            line.append(f"  ({_clean(item.message)})", style="dim")
        console.print(line)
    console.print(Text(f"Manifest: {result.manifest}"))
    if not remove:
        console.print(
            Text(
                "Nothing was deleted (use --remove to delete originals whose hash still matches).",
                style="dim",
            )
        )
    sys.exit(EXIT_OK if result.complete else EXIT_NEEDS_ACTION)
