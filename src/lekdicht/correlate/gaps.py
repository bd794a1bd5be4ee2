"""Limits of the evidence: missing hourly HttpProxy files and periods no log covers (MX2)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from lekdicht.model import format_time

HOURLY = re.compile(r"HttpProxy_(\d{10})-\d+\.LOG$", re.I)
MIN_HOURLY_GAP = timedelta(hours=6)
MIN_COVERAGE_GAP = timedelta(hours=24)


def hourly_gaps(paths: Iterable[str], min_gap: timedelta = MIN_HOURLY_GAP) -> list[dict[str, Any]]:
    """Runs of missing hourly files per HttpProxy protocol folder, longer than ``min_gap``.

    Quiet protocols skip hours legitimately; long holes in busy folders suggest deleted logs.
    """
    hours: dict[str, set[datetime]] = defaultdict(set)
    for p in paths:
        m = HOURLY.search(p)
        if m:
            folder = p.rsplit("/", 1)[0]
            hours[folder].add(datetime.strptime(m.group(1), "%Y%m%d%H"))
    out: list[dict[str, Any]] = []
    for folder in sorted(hours):
        seen = sorted(hours[folder])
        for a, b in zip(seen, seen[1:], strict=False):
            if b - a > min_gap:
                out.append(
                    {
                        "folder": folder,
                        "after": a.strftime("%Y-%m-%d %H:00"),
                        "before": b.strftime("%Y-%m-%d %H:00"),
                        "missing_hours": int((b - a).total_seconds() // 3600) - 1,
                    }
                )
    return out


def coverage_gaps(
    spans: Iterable[tuple[datetime | None, datetime | None]], min_gap: timedelta = MIN_COVERAGE_GAP
) -> list[dict[str, Any]]:
    """Periods longer than ``min_gap`` inside the evidence's time range that no log file covers."""
    intervals = sorted((a, b) for a, b in spans if a is not None and b is not None)
    out: list[dict[str, Any]] = []
    if not intervals:
        return out
    cur_start, cur_end = intervals[0]
    for a, b in intervals[1:]:
        if a - cur_end > min_gap:
            out.append(
                {
                    "from": format_time(cur_end),
                    "to": format_time(a),
                    "hours": round((a - cur_end).total_seconds() / 3600, 1),
                }
            )
        cur_end = max(cur_end, b)
    return out
