"""The attacker timeline as Timesketch-compatible CSV and JSON lines."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from lekdicht.correlate.activity import Activity
from lekdicht.model import Finding, format_time

FIELDS = (
    "datetime",
    "timestamp",
    "timestamp_desc",
    "message",
    "source",
    "path",
    "line",
    "record",
    "client_ip",
    "user_agent",
    "account",
    "mailbox",
    "url",
    "status",
    "rule_id",
    "verdict",
    "cves",
)
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _ts(value: datetime | None) -> tuple[str, int]:
    if value is None:
        return "", 0
    return format_time(value) or "", int(value.timestamp() * 1_000_000)


def timeline_rows(findings: Sequence[Finding], activities: Iterable[Activity]) -> list[dict[str, Any]]:
    """Findings above info and every attacker request, in time order; a request that is also a
    finding appears once, as the finding. Untimed findings (files on disk) are not events and are
    left to report.json."""
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, int | None, int | None]] = set()
    for f in findings:
        if f.verdict.value == "info" or f.time is None:
            continue
        seen.add((f.evidence.path, f.evidence.line, f.evidence.record))
        dt, us = _ts(f.time)
        e = f.entities
        rows.append(
            {
                "datetime": dt,
                "timestamp": us,
                "timestamp_desc": "Event Recorded",
                "message": f"[{f.verdict.value}] {f.title}",
                "source": f.artefact_kind,
                "path": f.evidence.path,
                "line": f.evidence.line,
                "record": f.evidence.record,
                "client_ip": e.client_ip,
                "user_agent": e.user_agent,
                "account": e.account,
                "mailbox": e.mailbox,
                "url": e.url,
                "status": None,
                "rule_id": f.rule_id,
                "verdict": f.verdict.value,
                "cves": ",".join(f.cves),
            }
        )
    for a in activities:
        if (a.path, a.line, a.record) in seen or a.time is None:
            continue
        dt, us = _ts(a.time)
        what = " ".join(x for x in (a.method, a.url or a.operation) if x)
        rows.append(
            {
                "datetime": dt,
                "timestamp": us,
                "timestamp_desc": "Request Logged",
                "message": f"{a.client_ip} {what} -> {a.status}".strip(),
                "source": a.kind,
                "path": a.path,
                "line": a.line,
                "record": a.record,
                "client_ip": a.client_ip,
                "user_agent": a.user_agent,
                "account": a.account,
                "mailbox": a.mailbox,
                "url": a.url,
                "status": a.status,
                "rule_id": None,
                "verdict": "activity",
                "cves": "",
            }
        )
    rows.sort(
        key=lambda r: (r["datetime"] or "", r["path"], r["line"] or 0, r["record"] or 0, r["rule_id"] or "")
    )
    return rows


def _cell(value: Any) -> str:
    """CSV cell text that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def to_csv(rows: Sequence[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(FIELDS)
    for r in rows:
        writer.writerow([_cell(r.get(k)) for k in FIELDS])
    return buf.getvalue()


def to_jsonl(rows: Sequence[dict[str, Any]]) -> str:
    return "".join(json.dumps({k: r.get(k) for k in FIELDS}, ensure_ascii=False) + "\n" for r in rows)
