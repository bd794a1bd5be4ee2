"""OAB Generator logs (``Logging\\OABGeneratorLog\\*.log``).

**Unverified format**: no public header or sample exists (log-formats.md 7.3), so this reader is
deliberately tolerant. Every line is a record with:

- ``Message``: the whole line;
- when the file has a ``#Fields`` header (Exchange CSV style), every column by name as well;
- else, when the line looks like CSV starting with an ISO 8601 timestamp, ``Timestamp`` and the
  remaining columns as ``Field1``, ``Field2``, ...;
- ``TempFilePath``: the path from ``Download failed and temporary file '<path>' needs to be
  removed`` (quotes optional), the ProxyLogon CVE-2021-26858 file-write trace.

Lines are never rejected for their shape.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import datetime
from typing import BinaryIO

from lekdicht.logs._textlog import TextLineState, iter_text_records, parse_iso_utc, split_directive
from lekdicht.logs.base import LineSelector, ReadStats
from lekdicht.model import Location, LogRecord, Record

_TEMP_FILE = re.compile(
    r"Download failed and temporary file\s+"
    r"(?:'(?P<q>[^']*)'|\"(?P<d>[^\"]*)\"|(?P<b>.*?))\s+needs to be removed",
    re.IGNORECASE,
)
_MARKER = "temporary file"


def extract_temp_file_path(text: str) -> str | None:
    """The path of a ``Download failed and temporary file <path> needs to be removed`` line."""
    if _MARKER not in text and _MARKER not in text.lower():
        return None
    m = _TEMP_FILE.search(text)
    if m is None:
        return None
    for group in ("q", "d", "b"):
        value = m.group(group)
        if value is not None:
            return value
    return None


def _looks_iso(text: str) -> bool:
    return len(text) >= 19 and text[4] == "-" and text[7] == "-" and text[10] in "T " and text[13] == ":"


def _leading_time(text: str) -> datetime | None:
    """Time at the start of a free-text line: ``2021-03-04T02:11:09.120Z ...`` or
    ``2021-03-04 02:11:09 ...``."""
    if text[10] == "T":
        return parse_iso_utc(text.split(None, 1)[0])
    end = 19
    while end < len(text) and (text[end].isdigit() or text[end] == "."):
        end += 1
    return parse_iso_utc(text[:end])


class OabGenParser(TextLineState):
    """Tolerant line parser for OABGenerator logs (see module docstring)."""

    def __init__(self, path: str, stats: ReadStats) -> None:
        super().__init__(path, stats)
        self.fields: tuple[str, ...] | None = None

    def header(self, text: str, line: int) -> None:
        directive = split_directive(text)
        if directive is None:
            return
        name, value = directive
        if name == "fields":
            self.fields = tuple(f.strip() for f in value.split(","))
        elif name == "version" and value and value not in self.stats.header_versions:
            self.stats.header_versions.append(value)

    def data(self, raw: bytes, line: int, offset: int | None) -> LogRecord | None:
        text = self.decode(raw)
        fields: Record = {"Message": text}
        ts: datetime | None = None
        if self.fields is not None or (_looks_iso(text) and "," in text):
            try:
                values = next(csv.reader((text,))) if '"' in text else text.split(",")
            except (csv.Error, StopIteration):
                values = []
            if self.fields is not None and len(values) == len(self.fields):
                for name, value in zip(self.fields, values, strict=True):
                    fields.setdefault(name, value)
                for name in ("DateTime", "Timestamp", "TimeStamp", "date-time"):
                    if name in fields:
                        ts = parse_iso_utc(fields[name])
                        break
            elif values and _looks_iso(values[0]):
                ts = parse_iso_utc(values[0])
                fields["Timestamp"] = values[0]
                for i, value in enumerate(values[1:], 1):
                    fields[f"Field{i}"] = value
        elif _looks_iso(text):
            ts = _leading_time(text)
        path = extract_temp_file_path(text)
        if path is not None:
            fields["TempFilePath"] = path
        return LogRecord(fields, Location(self.path, line=line, offset=offset), text, ts)


def read(
    stream: BinaryIO, path: str, stats: ReadStats, selector: LineSelector | None = None
) -> Iterator[LogRecord]:
    """Read one OABGenerator log, tolerantly (see module docstring)."""
    parser = OabGenParser(path, stats)
    yield from iter_text_records(stream, stats, parser, selector)
