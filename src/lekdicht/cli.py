"""The ``lekdicht`` command. Thin: parses options, calls the stages, maps verdicts to exit codes."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from lekdicht import __version__
from lekdicht.breach import breach_command
from lekdicht.evidence.source import EvidenceError
from lekdicht.mitigate import mitigate_group, quarantine_command
from lekdicht.versions.cli import check_command, probe_command

EXIT_CODES = {
    "clean": 0,
    "vulnerable": 3,
    "attempted": 4,
    "inconclusive": 5,
    "compromised": 6,
}
EXIT_USAGE = 2
MAX_UNUSABLE_SHOWN = 20
"""Unusable Sigma rules listed on stderr (with the reason); report.json lists them all."""


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lekdicht")
def main() -> None:
    """lekdicht: was this Exchange server broken into, and what must we do now?"""


def _default_out(evidence: Path) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path.cwd() / f"lekdicht-case-{evidence.name or 'evidence'}-{stamp}"


def _inside(child: Path, parent: Path) -> bool:
    c, p = child.resolve(), parent.resolve()
    return c == p or p in c.parents


class _StderrProgress:
    """Progress bars on stderr for the long stages."""

    def __init__(self, enabled: bool) -> None:
        self.progress: Progress | None = None
        self.tasks: dict[str, TaskID] = {}
        if enabled:
            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.progress is None:
            return
        if stage not in self.tasks:
            label = {
                "logs": "reading logs",
                "files": "checking files",
                "hashing": "hashing other files",
                "correlate": "second pass (attacker activity)",
            }.get(stage, stage)
            self.tasks[stage] = self.progress.add_task(label, total=total or 1)
        self.progress.update(self.tasks[stage], completed=done, total=total or 1)

    def __enter__(self) -> _StderrProgress:
        if self.progress:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress:
            self.progress.stop()


@main.command()
@click.argument("evidence", type=click.Path(path_type=Path, exists=False))
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Case folder for the outputs (default: ./lekdicht-case-<name>-<time>). Never inside the evidence.",
)
@click.option(
    "--sigma",
    "sigma_dirs",
    multiple=True,
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    help="Extra folder of Sigma rules (repeatable), e.g. the SigmaHQ rule set.",
)
@click.option(
    "--yara",
    "yara_dirs",
    multiple=True,
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    help="Extra folder of YARA rules for file content (repeatable), e.g. signature-base.",
)
@click.option(
    "--workers", type=click.IntRange(1, 256), default=None, help="Worker processes (default: all cores)."
)
@click.option(
    "--full-parse",
    is_flag=True,
    help="Parse and validate every log line instead of only prefilter candidates (slower; counts every "
    "malformed line).",
)
@click.option(
    "--progress/--no-progress", default=None, help="Progress bars on stderr (default: when a terminal)."
)
@click.option(
    "--lang",
    type=click.Choice(["nl", "en"]),
    default=None,
    help="Language of report.html (default: from the locale).",
)
@click.option("--quiet", is_flag=True, help="No summary on stdout; only the exit code and the files.")
def scan(
    evidence: Path,
    out: Path | None,
    sigma_dirs: tuple[Path, ...],
    yara_dirs: tuple[Path, ...],
    workers: int | None,
    full_parse: bool,
    progress: bool | None,
    lang: str | None,
    quiet: bool,
) -> None:
    """Scan EVIDENCE (a folder in any layout, or a .zip/.tar/.tar.gz) for Exchange compromise.

    Writes report.json, findings.jsonl, timeline.csv/.jsonl and report.html to the case folder and
    exits with a code per verdict:
    0 clean, 3 vulnerable, 4 attempted, 5 inconclusive, 6 compromised, 2 usage or input error.
    """
    from lekdicht.report.terminal import print_summary, safe
    from lekdicht.scan.pipeline import ScanOptions
    from lekdicht.scan.run import scan_and_report

    err = Console(stderr=True, highlight=False)
    if not evidence.exists():
        err.print(f"lekdicht: evidence not found: {evidence}")
        sys.exit(EXIT_USAGE)
    out = out or _default_out(evidence)
    if evidence.is_dir() and _inside(out, evidence):
        err.print(
            "lekdicht: the output folder must not be inside the evidence (evidence is never written to)."
        )
        sys.exit(EXIT_USAGE)
    if progress is None:
        progress = sys.stderr.isatty() and not quiet
    options = ScanOptions(
        evidence=evidence,
        out=out,
        sigma_dirs=list(sigma_dirs),
        yara_dirs=list(yara_dirs),
        workers=workers,
        full_parse=full_parse,
    )
    try:
        with _StderrProgress(progress) as bar:
            options.progress = bar
            outcome = scan_and_report(options, lang)
    except EvidenceError as exc:
        err.print(f"lekdicht: {exc}")
        sys.exit(EXIT_USAGE)
    report = outcome.report
    rules = report["rules"]
    unusable = rules.get("unusable") or []
    if sigma_dirs or unusable:
        err.print(
            f"lekdicht: {rules.get('loaded', 0)} Sigma rules loaded; {len(unusable)} not usable"
            + (" (see 'rules.unusable' in report.json)" if unusable else ""),
            markup=False,
            soft_wrap=True,
        )
        for item in unusable[:MAX_UNUSABLE_SHOWN]:
            err.print(
                f"  not usable: {safe(item['source'], 200)}: {safe(item['reason'], 300)}",
                markup=False,
                soft_wrap=True,
            )
        if len(unusable) > MAX_UNUSABLE_SHOWN:
            err.print(
                f"  ... and {len(unusable) - MAX_UNUSABLE_SHOWN} more in report.json",
                markup=False,
                soft_wrap=True,
            )
    if not quiet:
        print_summary(report, outcome.out_dir)
    sys.exit(EXIT_CODES[report["verdict"]["overall"]])


main.add_command(check_command, name="check")
main.add_command(probe_command, name="probe")
main.add_command(mitigate_group, name="mitigate")
main.add_command(quarantine_command, name="quarantine")
main.add_command(breach_command, name="breach")


if __name__ == "__main__":
    main()
