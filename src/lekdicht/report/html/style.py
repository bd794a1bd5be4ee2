"""The report's style sheet (inline; system fonts only, so the file works offline and when mailed)."""

from __future__ import annotations

from typing import Final

VERDICT_COLOUR: Final[dict[str, tuple[str, str]]] = {
    "compromised": ("#b3261e", "#ffffff"),
    "inconclusive": ("#f2b705", "#1a1a1a"),
    "attempted": ("#f2b705", "#1a1a1a"),
    "vulnerable": ("#f2b705", "#1a1a1a"),
    "clean": ("#1e7b34", "#ffffff"),
}
"""Background and text colour per overall verdict (same colours as the terminal summary)."""

TIER_COLOUR: Final[dict[str, str]] = {
    "exploited": "#b3261e",
    "suspicious": "#d9620b",
    "attempted": "#c99a00",
    "probe": "#4f6d8f",
    "info": "#8a8a8a",
}
"""Colour per finding tier; used for badges and for the timeline marks."""

CSS: Final = """
:root { --fg: #1a1a1a; --muted: #5b5b5b; --line: #d6d6d6; --bg2: #f4f5f7; --link: #0b57a4; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0 auto; max-width: 1200px; padding: 0 24px 48px; color: var(--fg); background: #fff;
  font: 15px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header.top { padding: 20px 0 8px; border-bottom: 1px solid var(--line); }
header.top h1 { margin: 0; font-size: 24px; }
header.top p { margin: 4px 0 0; color: var(--muted); }
nav.toc { margin: 10px 0 0; font-size: 14px; }
nav.toc a { margin-right: 14px; }
a { color: var(--link); }
h2 { margin: 34px 0 10px; font-size: 21px; border-bottom: 2px solid var(--fg); padding-bottom: 3px; }
h3 { margin: 22px 0 8px; font-size: 17px; }
.verdict { margin: 18px 0 10px; padding: 16px 20px; border-radius: 6px;
  -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.verdict .word { display: block; font-size: 28px; font-weight: 800; letter-spacing: .03em; }
.verdict .sentence { display: block; font-size: 18px; margin-top: 2px; }
.verdict .server { display: block; font-size: 14px; margin-top: 8px; opacity: .92; }
.grid { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 0 28px; }
ol.todo { padding-left: 22px; margin: 6px 0; }
ol.todo li { margin: 6px 0; font-size: 16px; }
.badge { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 12px; font-weight: 600;
  color: #fff; white-space: nowrap; vertical-align: 1px;
  -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.badge.plain { background: var(--bg2); color: var(--fg); border: 1px solid var(--line); }
.chips { margin: 4px 0 8px; }
.chips .badge { margin: 0 6px 4px 0; font-size: 13px; padding: 1px 9px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; font-size: 13.5px; }
th, td { text-align: left; vertical-align: top; padding: 4px 7px; border-bottom: 1px solid var(--line); }
th { background: var(--bg2); font-weight: 600; }
tbody tr:nth-child(even) td { background: #fafafa; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.nowrap { white-space: nowrap; }
code, .mono { font-family: ui-monospace, "Cascadia Mono", Consolas, "DejaVu Sans Mono", monospace;
  font-size: 12.5px; }
.path, .hash, .x { overflow-wrap: anywhere; word-break: break-all; }
.wrap { overflow-wrap: anywhere; }
.x { white-space: pre-wrap; display: block; background: var(--bg2); padding: 2px 5px; border-radius: 3px; }
.hash { color: var(--muted); font-size: 11.5px; }
.muted { color: var(--muted); }
.small { font-size: 13px; }
.note { background: var(--bg2); border-left: 4px solid var(--line); padding: 8px 12px; margin: 8px 0; }
.note.warn { border-left-color: #f2b705; }
.more { color: var(--muted); font-style: italic; margin: 4px 0 8px; }
details { margin: 4px 0; }
details > summary { cursor: pointer; padding: 5px 8px; background: var(--bg2); border-radius: 4px; }
details[open] > summary { border-bottom-left-radius: 0; border-bottom-right-radius: 0; }
details > .body { padding: 6px 10px 2px 14px; border-left: 3px solid var(--bg2); }
details.sess > summary { font-size: 15px; }
summary .n { font-weight: 600; margin-left: 4px; }
summary .when { color: var(--muted); font-size: 13px; margin-left: 6px; }
summary code { color: var(--muted); margin-left: 6px; }
dl.kv { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 2px 14px; margin: 6px 0 10px; }
dl.kv dt { color: var(--muted); }
dl.kv dd { margin: 0; overflow-wrap: anywhere; }
ul.plain { margin: 2px 0; padding-left: 18px; }
.timeline svg { width: 100%; height: auto; display: block; border: 1px solid var(--line); }
.timeline svg text { font-family: -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
.breach { border: 1px solid var(--line); padding: 4px 14px; border-radius: 4px; }
footer { margin-top: 36px; padding-top: 8px; border-top: 1px solid var(--line); color: var(--muted);
  font-size: 12.5px; }
@media (max-width: 800px) { .grid { grid-template-columns: minmax(0, 1fr); } body { padding: 0 12px 32px; } }
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  nav.toc, .noprint { display: none; }
  a { color: inherit; text-decoration: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  h3 { break-after: avoid; page-break-after: avoid; }
  section.top { break-after: page; }
  tr, .verdict, details > summary, dl.kv { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  details > summary { background: none; padding-left: 0; }
  details.po::details-content { content-visibility: visible; display: block; }
  table { font-size: 9pt; }
  code, .mono { font-size: 8.5pt; }
  .timeline svg { border: none; }
}
"""
