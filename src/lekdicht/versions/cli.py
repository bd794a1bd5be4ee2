"""``lekdicht check``: the exposure table for builds given on the command line, no evidence needed.

Exit codes: 0 no CVE is vulnerable, 1 at least one build is vulnerable to a CVE, 2 usage or input
error (e.g. an unparseable build).
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from lekdicht.versions.builds import BuildParseError, data_metadata
from lekdicht.versions.exposure import BuildAssessment, assess_build

__all__ = [
    "EXIT_INPUT_ERROR",
    "EXIT_OK",
    "EXIT_VULNERABLE",
    "check_command",
    "probe_command",
    "render_assessment",
]

EXIT_OK = 0
EXIT_VULNERABLE = 1
EXIT_INPUT_ERROR = 2

_STATUS_STYLE = {
    "vulnerable": "bold red",
    "unknown": "yellow",
    "fixed_config_required": "cyan",
    "fixed": "green",
    "not_affected": "dim",
}
_STATUS_TEXT = {
    "vulnerable": "VULNERABLE",
    "unknown": "unknown",
    "fixed_config_required": "fixed in build, configuration to verify",
    "fixed": "fixed",
    "not_affected": "not affected",
}
_SUPPORT_STYLE = {
    "supported": "green",
    "esu": "yellow",
    "unsupported_cu": "bold red",
    "end_of_life": "bold red",
    "unknown": "yellow",
}


def _clean(text: str | None) -> str:
    """Drop control characters so input text cannot drive the terminal."""
    if not text:
        return ""
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def _read_build_file(path: Path) -> list[tuple[str, str]]:
    """(label, build text) per non-empty, non-comment line."""
    out: list[tuple[str, str]] = []
    with path.open("r", encoding="utf-8-sig", errors="replace") as fh:
        for n, line in enumerate(fh, 1):
            text = line.split("#", 1)[0].strip()
            if text:
                out.append((f"{path.name}:{n}", text))
    return out


def render_assessment(console: Console, a: BuildAssessment, show_not_affected: bool = False) -> None:
    """Print one assessment as a header and a rich table."""
    head = Text()
    head.append(_clean(a.input), style="bold")
    head.append(f"  →  {a.product or 'unknown product'}")
    if a.cu_line:
        head.append(f" {a.cu_line}")
    if a.release_name:
        head.append(f" ({_clean(a.release_name)})")
    head.append(f"  build {a.build}, precision {a.precision}")
    console.print(head)
    sup = Text("support: ")
    sup.append(a.support.status, style=_SUPPORT_STYLE.get(a.support.status, ""))
    sup.append(f" — {_clean(a.support.reason)}")
    console.print(sup)
    for note in a.notes:
        console.print(Text(f"note: {_clean(note)}", style="dim"))
    table = Table(show_lines=False, header_style="bold")
    table.add_column("CVE", no_wrap=True)
    table.add_column("name", overflow="fold")
    table.add_column("status", no_wrap=True)
    table.add_column("fixed in", overflow="fold")
    table.add_column("note", overflow="fold", ratio=2)
    hidden = 0
    for c in a.cves:
        if c.status == "not_affected" and not show_not_affected:
            hidden += 1
            continue
        fixed = ""
        if c.fixed_in:
            fixed = c.fixed_in + (f" {c.fixed_in_name}" if c.fixed_in_name else "")
            if c.fixed_in_kb:
                fixed += f" {c.fixed_in_kb}"
        name = c.name + (" [exploited]" if c.exploited else "")
        parts = [] if c.reason.startswith("build ") else [c.reason]
        if c.status == "fixed_config_required" and not parts:
            parts.append(f"verify: {c.config_note}")
        parts += [n for n in c.notes if n.startswith("disputed build")]
        note = "; ".join(parts)
        table.add_row(
            Text(c.cve),
            Text(_clean(name)),
            Text(_STATUS_TEXT.get(c.status, c.status), style=_STATUS_STYLE.get(c.status, "")),
            Text(_clean(fixed)),
            Text(_clean(note)),
        )
    console.print(table)
    if hidden:
        console.print(Text(f"{hidden} CVE(s) not affecting {a.product} not shown (use --all)", style="dim"))
    fams = a.families()
    if fams:
        line = Text("summary: ")
        for i, (fam, st) in enumerate(sorted(fams.items())):
            if i:
                line.append(", ")
            line.append(f"{fam} ")
            line.append(_STATUS_TEXT.get(st, st), style=_STATUS_STYLE.get(st, ""))
        console.print(line)
    console.print()


@click.command("check")
@click.option(
    "--build",
    "builds",
    multiple=True,
    metavar="BUILD",
    help="Exchange build, e.g. 15.1.2176.2, 15.01.2176.002 or 'Version 15.1 (Build 2176.2)'. Repeatable.",
)
@click.option(
    "--build-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="File with one build per line; '#' starts a comment.",
)
@click.option(
    "--on",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Assess as of this date (YYYY-MM-DD): support status, and CVEs published by then.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@click.option("--all", "show_all", is_flag=True, help="Also list CVEs that do not affect the product.")
def check_command(
    builds: tuple[str, ...], build_file: Path | None, on: Any, as_json: bool, show_all: bool
) -> None:
    """Show which Exchange CVEs a build is vulnerable to, its support status and the fixing updates."""
    inputs: list[tuple[str, str]] = [("--build", b) for b in builds]
    err = Console(stderr=True)
    if build_file is not None:
        try:
            inputs += _read_build_file(build_file)
        except OSError as exc:
            err.print(Text(f"error: cannot read {build_file}: {exc}"))
            sys.exit(EXIT_INPUT_ERROR)
    if not inputs:
        err.print(Text("error: give at least one --build or a --build-file"))
        sys.exit(EXIT_INPUT_ERROR)
    when: date | None = on.date() if on is not None else None
    results: list[BuildAssessment] = []
    errors: list[str] = []
    for label, text in inputs:
        try:
            results.append(assess_build(text, on=when))
        except BuildParseError as exc:
            errors.append(f"{label}: {_clean(str(exc))}")
    if errors:
        for e in errors:
            err.print(Text(f"error: {e}"))
        err.print(Text("nothing assessed: fix the build numbers above (expected e.g. 15.1.2176.2)"))
        sys.exit(EXIT_INPUT_ERROR)
    vulnerable = any(a.any_vulnerable for a in results)
    if as_json:
        meta = data_metadata()
        doc = {
            "schema": "lekdicht.check/1",
            "data": {"builds_as_of": meta["builds_as_of"], "cve_records_as_of": meta["cve_records_as_of"]},
            "vulnerable": vulnerable,
            "results": [a.to_json() for a in results],
        }
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        console = Console(highlight=False)
        if not console.is_terminal:
            console = Console(highlight=False, width=160)
        for a in results:
            render_assessment(console, a, show_all)
        meta = data_metadata()
        console.print(
            Text(
                f"build data as of {meta['builds_as_of']} (later builds inferred from CVE records up to "
                f"{meta['cve_records_as_of']}); a build says nothing about mitigations or compromise",
                style="dim",
            )
        )
    sys.exit(EXIT_VULNERABLE if vulnerable else EXIT_OK)


def _read_hosts(path: Path) -> list[str]:
    out: list[str] = []
    with path.open("r", encoding="utf-8-sig", errors="replace") as fh:
        for line in fh:
            text = line.split("#", 1)[0].strip()
            if text:
                out.append(text)
    return out


@click.command("probe")
@click.argument("hosts", nargs=-1)
@click.option(
    "--hosts",
    "hosts_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="File with one host (host, host:port or https://host:port) per line; '#' comments.",
)
@click.option("--concurrency", default=8, show_default=True, type=click.IntRange(1, 256))
@click.option(
    "--timeout", default=10.0, show_default=True, type=click.FloatRange(0.1, 300), help="Seconds per request."
)
@click.option(
    "--rate",
    default=5.0,
    show_default=True,
    type=click.FloatRange(0, 1000),
    help="Requests per second over all hosts (0 = unlimited).",
)
@click.option("--insecure", is_flag=True, help="Do not verify TLS certificates (your own self-signed hosts).")
@click.option("--ca-file", type=click.Path(exists=True, dir_okay=False), help="Trust this CA bundle.")
@click.option(
    "--jsonl",
    "jsonl_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write one JSON line per host to this file.",
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write one CSV row per host to this file.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines on stdout instead of the table.")
@click.option(
    "--on",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Assess builds as of this date.",
)
def probe_command(
    hosts: tuple[str, ...],
    hosts_file: Path | None,
    concurrency: int,
    timeout: float,
    rate: float,
    insecure: bool,
    ca_file: str | None,
    jsonl_path: Path | None,
    csv_path: Path | None,
    as_json: bool,
    on: Any,
) -> None:
    """Fingerprint the Exchange build of hosts you are responsible for, over HTTPS.

    Sends only the GET requests a browser would send (OWA, OWA logon page, the ECP export-tool
    manifest); no exploit payloads, no credentials. Exit 0: nothing vulnerable; 1: a host runs a
    vulnerable build; 2: usage error. Unreachable, slow and non-Exchange hosts are reported per host.
    """
    from lekdicht.versions.probe import ProbeResult, probe_hosts, results_to_csv, results_to_jsonl

    err = Console(stderr=True)
    targets = list(hosts)
    if hosts_file is not None:
        targets += _read_hosts(hosts_file)
    if not targets:
        err.print(Text("error: give hosts as arguments or with --hosts FILE"))
        sys.exit(EXIT_INPUT_ERROR)
    done = 0

    def progress(r: ProbeResult) -> None:
        nonlocal done
        done += 1
        state = r.build or f"error: {r.error_kind}"
        err.print(Text(f"[{done}/{len(targets)}] {_clean(r.target)}: {_clean(state)}", style="dim"))

    results = probe_hosts(
        targets,
        concurrency=concurrency,
        timeout=timeout,
        rate=rate,
        insecure=insecure,
        cafile=ca_file,
        progress=progress,
        on=on.date() if on is not None else None,
    )
    if jsonl_path is not None:
        jsonl_path.write_text(results_to_jsonl(results), encoding="utf-8")
    if csv_path is not None:
        csv_path.write_text(results_to_csv(results), encoding="utf-8")
    if as_json:
        click.echo(results_to_jsonl(results), nl=False)
    else:
        console = Console(highlight=False)
        if not console.is_terminal:
            console = Console(highlight=False, width=160)
        table = Table(header_style="bold")
        for col in (
            "host",
            "build",
            "precision",
            "product / CU",
            "support",
            "ProxyLogon",
            "ProxyShell",
            "ProxyNotShell",
            "OWASSRF",
            "error / note",
        ):
            table.add_column(col, overflow="fold")
        for r in results:
            a = r.assessment
            fam = a.families() if a else {}
            cells = [
                Text(_clean(r.target)),
                Text(r.build or "-"),
                Text(r.precision or "-"),
                Text(f"{a.product or '?'} {a.cu_line or ''}".strip() if a else "-"),
                Text(
                    a.support.status if a else "-",
                    style=_SUPPORT_STYLE.get(a.support.status, "") if a else "",
                ),
            ]
            for name in ("ProxyLogon", "ProxyShell", "ProxyNotShell", "OWASSRF"):
                st = fam.get(name)
                cells.append(
                    Text(_STATUS_TEXT.get(st, "-") if st else "-", style=_STATUS_STYLE.get(st or "", ""))
                )
            extra = r.error or (
                "; ".join(n for n in r.notes if n.startswith("only the OWA")) if r.notes else ""
            )
            cells.append(Text(_clean(extra)))
            table.add_row(*cells)
        console.print(table)
    vulnerable = any(r.assessment is not None and r.assessment.any_vulnerable for r in results)
    sys.exit(EXIT_VULNERABLE if vulnerable else EXIT_OK)
