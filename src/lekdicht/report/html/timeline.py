"""The timeline chart: an SVG we draw ourselves, log coverage per family against attacker activity.

x is time across the span of the evidence; one grey bar per log family (first to last record),
one row of marks per attacker session (coloured by its strongest finding), one row for timed
findings without a client address, and dashed lines where an exploitation wave began (when inside
the span). Every text and attribute value from the report is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from lekdicht.report.html.fmt import esc, parse_time, short_time, trunc
from lekdicht.report.html.strings import text
from lekdicht.report.html.style import TIER_COLOUR
from lekdicht.report.wording import TIER_LABEL

WIDTH: Final = 1000
LABEL_W: Final = 200
RIGHT: Final = 24
ROW_H: Final = 22
AXIS_H: Final = 34
MAX_SESSION_ROWS: Final = 30
_PLOT_W: Final = WIDTH - LABEL_W - RIGHT
_RANK: Final = {"exploited": 0, "suspicious": 1, "attempted": 2, "probe": 3, "info": 4}

_STEPS: Final = tuple(
    timedelta(seconds=s)
    for s in (
        1,
        5,
        15,
        30,
        60,
        300,
        900,
        1800,
        3600,
        7200,
        3 * 3600,
        6 * 3600,
        12 * 3600,
        86400,
        2 * 86400,
        7 * 86400,
        14 * 86400,
        30 * 86400,
        91 * 86400,
        182 * 86400,
        365 * 86400,
    )
)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(slots=True)
class _Row:
    label: str
    colour: str
    tip: str
    bar: tuple[datetime, datetime] | None = None
    marks: list[datetime] = field(default_factory=list)
    family: bool = False


def _n_findings(n: Any, lang: str) -> str:
    return text(lang, "n_findings_1" if n == 1 else "n_findings").format(n=n)


def _times(values: Iterable[Any]) -> list[datetime]:
    return [t for t in (parse_time(v) for v in values) if t is not None]


def _rows(report: dict[str, Any], lang: str) -> tuple[list[_Row], int]:
    rows: list[_Row] = []
    for fam in (report.get("coverage") or {}).get("families") or []:
        first, last = parse_time(fam.get("first")), parse_time(fam.get("last"))
        if first is None and last is None:
            continue
        ends = [t for t in (first, last) if t is not None]
        rows.append(
            _Row(
                label=str(fam.get("family", "?")),
                colour="#9aa3ad",
                tip=f"{fam.get('family', '?')}: {short_time(fam.get('first'))} – "
                f"{short_time(fam.get('last'))}",
                bar=(min(ends), max(ends)),
                family=True,
            )
        )
    findings = [f for f in report.get("findings") or [] if f.get("verdict") != "info"]
    by_ip: dict[str, list[datetime]] = {}
    other: list[datetime] = []
    other_tier = "info"
    for f in findings:
        t = parse_time(f.get("time"))
        ip = (f.get("entities") or {}).get("client_ip")
        if ip:
            if t is not None:
                by_ip.setdefault(str(ip), []).append(t)
        elif t is not None:
            other.append(t)
            tier = str(f.get("verdict"))
            if _RANK.get(tier, 9) < _RANK.get(other_tier, 9):
                other_tier = tier
    sessions = report.get("sessions") or []
    drawn = 0
    for s in sessions:
        ip = str(s.get("client_ip", ""))
        marks = by_ip.get(ip) or _times((s.get("first"), s.get("last")))
        if not marks:
            continue
        if drawn >= MAX_SESSION_ROWS:
            continue
        drawn += 1
        tier = str(s.get("verdict", "info"))
        rows.append(
            _Row(
                label=ip,
                colour=TIER_COLOUR.get(tier, TIER_COLOUR["info"]),
                tip=f"{ip}: {TIER_LABEL[lang].get(tier, tier)}, {_n_findings(s.get('findings', 0), lang)}, "
                f"{short_time(s.get('first'))} – {short_time(s.get('last'))}",
                bar=(min(marks), max(marks)),
                marks=marks,
            )
        )
    timed_sessions = sum(
        1
        for s in sessions
        if by_ip.get(str(s.get("client_ip", ""))) or _times((s.get("first"), s.get("last")))
    )
    if other:
        rows.append(
            _Row(
                label=text(lang, "timeline_other"),
                colour=TIER_COLOUR.get(other_tier, TIER_COLOUR["info"]),
                tip=f"{text(lang, 'timeline_other')}: {len(other)}",
                bar=(min(other), max(other)),
                marks=other,
            )
        )
    return rows, max(0, timed_sessions - drawn)


def _step(span: timedelta) -> timedelta:
    for step in _STEPS:
        if span / step <= 8:
            return step
    return _STEPS[-1] * max(1, int(span / _STEPS[-1] / 8) + 1)


def _ticks(t0: datetime, t1: datetime) -> list[tuple[datetime, str]]:
    step = _step(t1 - t0)
    n = int((t0 - _EPOCH) / step) + 1
    out: list[tuple[datetime, str]] = []
    tick = _EPOCH + step * n
    last_day = ""
    while tick <= t1 and len(out) < 20:
        day = tick.strftime("%Y-%m-%d")
        if step >= timedelta(days=1):
            label = day
        elif step < timedelta(minutes=1):
            label = tick.strftime("%H:%M:%S") if day == last_day else f"{day} {tick:%H:%M:%S}"
        else:
            label = tick.strftime("%H:%M") if day == last_day else f"{day} {tick:%H:%M}"
        last_day = day
        out.append((tick, label))
        tick += step
    return out


def timeline_svg(report: dict[str, Any], lang: str) -> str | None:
    """The chart as an inline ``<svg>`` (plus a note on sessions not drawn); None without timestamps."""
    rows, hidden = _rows(report, lang)
    points = [t for r in rows for t in ((*r.bar, *r.marks) if r.bar else r.marks)]
    if not points:
        return None
    t0, t1 = min(points), max(points)
    span = t1 - t0
    pad = timedelta(minutes=30) if span <= timedelta(0) else span * 0.03
    t0, t1 = t0 - pad, t1 + pad
    total = (t1 - t0).total_seconds()

    def x(t: datetime) -> float:
        return round(LABEL_W + (t - t0).total_seconds() / total * _PLOT_W, 1)

    chains = []
    for c in (report.get("coverage") or {}).get("chains") or []:
        start = parse_time(c.get("exploitation_start"))
        if start is None and isinstance(c.get("exploitation_start"), str):
            start = parse_time(str(c["exploitation_start"]) + "T00:00:00Z")
        if start is not None and t0 <= start <= t1:
            chains.append((start, str(c.get("chain", "?"))))

    n_fam = sum(1 for r in rows if r.family)
    gap = 10 if n_fam and n_fam < len(rows) else 0
    height = AXIS_H + len(rows) * ROW_H + gap + 12 + (14 if chains else 0)
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
        f'height="{height}" role="img" aria-label="{esc(text(lang, "timeline_label"))}">',
        f"<title>{esc(text(lang, 'timeline_label'))}</title>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>',
    ]
    plot_bottom = AXIS_H + len(rows) * ROW_H + gap
    for tick, label in _ticks(t0, t1):
        tx = x(tick)
        out.append(
            f'<line x1="{tx}" y1="{AXIS_H - 6}" x2="{tx}" y2="{plot_bottom}" stroke="#e3e3e3" '
            'stroke-width="1"/>'
            f'<text x="{tx}" y="{AXIS_H - 12}" font-size="11" text-anchor="middle" fill="#555555">'
            f"{esc(label)}</text>"
        )
    for start, chain in chains:
        cx = x(start)
        out.append(
            f'<line x1="{cx}" y1="{AXIS_H - 4}" x2="{cx}" y2="{plot_bottom}" stroke="#b3261e" '
            f'stroke-width="1" stroke-dasharray="4 3"><title>'
            f"{esc(text(lang, 'timeline_start').format(chain=chain))} ({esc(short_time(start.isoformat()))})"
            f"</title></line>"
            f'<text x="{cx}" y="{plot_bottom + 12}" font-size="10.5" text-anchor="middle" fill="#b3261e">'
            f"{esc(trunc(text(lang, 'timeline_start').format(chain=chain), 40))}</text>"
        )
    y = AXIS_H
    for i, r in enumerate(rows):
        if gap and i == n_fam:
            y += gap
            out.append(
                f'<line x1="4" y1="{y - gap / 2}" x2="{WIDTH - 4}" y2="{y - gap / 2}" stroke="#cccccc"/>'
            )
        mid = y + ROW_H / 2
        out.append(f"<g><title>{esc(r.tip)}</title>")
        out.append(
            f'<text x="{LABEL_W - 8}" y="{mid + 4}" font-size="12" text-anchor="end" fill="#1a1a1a">'
            f"{esc(trunc(r.label, 30))}</text>"
        )
        if r.bar:
            a, b = x(r.bar[0]), x(r.bar[1])
            if r.family:
                w = max(b - a, 2.0)
                out.append(
                    f'<rect x="{a}" y="{y + 5}" width="{round(w, 1)}" height="{ROW_H - 10}" rx="2" '
                    f'fill="{r.colour}"/>'
                )
            else:
                out.append(
                    f'<line x1="{a}" y1="{mid}" x2="{b}" y2="{mid}" stroke="{r.colour}" '
                    f'stroke-width="1.5" stroke-opacity="0.5"/>'
                )
        seen: set[int] = set()
        for t in sorted(r.marks):
            px = int(x(t))
            if px in seen:
                continue
            seen.add(px)
            out.append(f'<rect x="{px - 2}" y="{y + 4}" width="4" height="{ROW_H - 8}" fill="{r.colour}"/>')
        out.append("</g>")
        y += ROW_H
    out.append("</svg>")
    if hidden:
        out.append(f'<p class="more">{esc(text(lang, "timeline_more").format(n=hidden))}</p>')
    return "\n".join(out)
