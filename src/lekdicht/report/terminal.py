"""The terminal summary: verdict first, then what was found, then what to do. Plain words."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from lekdicht.report.wording import ADVICE, VERDICT_LABEL, VERDICT_SENTENCE

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

_STYLE = {
    "compromised": "bold white on red",
    "inconclusive": "bold black on yellow",
    "attempted": "bold black on yellow",
    "vulnerable": "bold black on yellow",
    "clean": "bold white on green",
}

VERDICT_STYLE = {v: (_STYLE[v], VERDICT_LABEL["en"][v], VERDICT_SENTENCE["en"][v]) for v in _STYLE}
"""Rich style, label and sentence per overall verdict (English wording from ``report.wording``)."""


def safe(text: object, limit: int = 160) -> str:
    """Attacker-controlled text made safe for a terminal: no control or bidi characters, bounded."""
    s: str = _CONTROL.sub("?", str(text))
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _where(evidence: dict[str, Any]) -> str:
    """File name (not the whole path) with line or record number."""
    name = str(evidence["path"]).rsplit("/", 1)[-1]
    if evidence.get("line"):
        return f"{name}:{evidence['line']}"
    if evidence.get("record") is not None:
        return f"{name}#{evidence['record']}"
    return name


def print_summary(report: dict[str, Any], out_dir: Path, console: Console | None = None) -> None:
    """Print the summary of a report to the console (stdout)."""
    console = console or Console(highlight=False)
    verdict = report["verdict"]["overall"]
    style, label, sentence = VERDICT_STYLE[verdict]
    head = Text()
    head.append(f" {label} ", style=style)
    head.append(f"  {sentence}")
    console.print(Panel(head, title="lekdicht verdict", expand=False))
    for reason in report["verdict"]["reasons"]:
        console.print(Text("• " + safe(reason, 400)))

    server = report.get("server") or {}
    if server.get("build"):
        console.print(
            Text(
                f"\nServer: {safe(server.get('hostname') or 'unknown host')}, "
                f"build {safe(server['build'])} ({safe(server.get('product') or 'unknown product')})"
            )
        )

    findings = [f for f in report["findings"] if f["verdict"] != "info"]
    if findings:
        table = Table(title="What was found", show_lines=False, expand=False)
        table.add_column("verdict", no_wrap=True)
        table.add_column("n", justify="right", no_wrap=True)
        table.add_column("what", ratio=3)
        table.add_column("first seen (UTC)", no_wrap=True)
        table.add_column("where", ratio=2, overflow="fold")
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for f in findings:
            groups.setdefault((f["verdict"], f["title"]), []).append(f)
        order = {"exploited": 0, "suspicious": 1, "attempted": 2, "probe": 3}
        for (v, title), items in sorted(groups.items(), key=lambda kv: (order.get(kv[0][0], 9), kv[0][1])):
            first = min((i["time"] for i in items if i["time"]), default=None)
            table.add_row(
                v,
                str(len(items)),
                Text(safe(title, 100)),
                (first or "-")[:16].replace("T", " "),
                Text(safe(_where(items[0]["evidence"]), 80)),
            )
        console.print(table)
    sessions = report.get("sessions") or []
    if sessions:
        console.print(
            Text(
                "\nAttacker addresses: "
                + ", ".join(
                    safe(s["client_ip"], 60) + f" ({s['verdict']}, {s['findings']} findings)"
                    for s in sessions[:8]
                )
                + (f", and {len(sessions) - 8} more" if len(sessions) > 8 else "")
            )
        )

    exposure = report.get("data_exposure") or {}
    if exposure.get("summary"):
        console.print(Text("\nWhat was taken: " + safe(exposure["summary"], 400), style="bold"))
        for limit in exposure.get("limits", []):
            console.print(Text("  (" + safe(limit, 300) + ")"))
    gaps = report.get("log_gaps") or {}
    holes = len(gaps.get("httpproxy_hours", [])) + len(gaps.get("uncovered_periods", []))
    if holes:
        console.print(
            Text(
                f"Log gaps: {holes} period(s) with missing logs; see 'log_gaps' in report.json.",
                style="yellow",
            )
        )

    console.print(Text("\nWhat to do now:", style="bold"))
    for i, step in enumerate(ADVICE["en"][verdict], 1):
        console.print(Text(f"  {i}. {step}"))

    totals = report["evidence"]["totals"]
    kinds = Counter(f["kind"] for f in report["evidence"]["files"])
    console.print(
        Text(
            f"\nEvidence: {totals['files']} files ({totals['log_files']} logs, "
            f"{totals['records_read']} records read, "
            f"{totals['records_rejected']} rejected); kinds: "
            + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
        )
    )
    if report["errors"]:
        console.print(
            Text(
                f"{len(report['errors'])} file(s) could not be read fully: see 'errors' in report.json.",
                style="yellow",
            )
        )
    console.print(Text(f"Full report: {out_dir / 'report.json'}  ·  findings: {out_dir / 'findings.jsonl'}"))
