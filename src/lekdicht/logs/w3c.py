"""IIS W3C extended log files (``u_exYYMMDD.log``).

Header-driven: any ``#Fields`` set, repeated header blocks (the field list may change mid-file),
``#Fields`` before or after ``#Software``/``#Version``, files without ``#Date``. Fields are
space-separated and ``-`` means empty (stored as ``""``).

Fields yielded: every W3C field under its own name (``date``, ``time``, ``s-ip``, ``cs-method``,
``cs-uri-stem``, ``cs-uri-query``, ``cs(User-Agent)``, ...), plus the Sigma ``webserver`` taxonomy
names and derived fields:

- ``cs-user-agent`` (from ``cs(User-Agent)``, ``+`` decoded to space), ``cs-referer``
  (``cs(Referer)``), ``cs-cookie`` (``cs(Cookie)``), ``cs-host`` (``cs(Host)`` when there is no
  ``cs-host`` field);
- ``cs-uri`` = ``cs-uri-stem`` + ``?`` + ``cs-uri-query`` (no ``?`` when the query is empty); when
  the file logs a combined ``cs-uri`` it is split into ``cs-uri-stem`` and ``cs-uri-query``;
- ``cs-uri-decoded``: one pass of percent-decoding of ``cs-uri`` (``+`` is left as is).

The record time is ``date`` + ``time`` in UTC; without a ``date`` field (IIS 6 style) the date of
the last ``#Date`` header is used. A doubled space where one field is empty (seen in real
Exchange back-end logs) is tolerated: if there is exactly one token too many and one of them is
empty, that empty token is dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import BinaryIO
from urllib.parse import unquote

from lekdicht.logs._textlog import TextLineState, iter_text_records, split_directive
from lekdicht.logs.base import LineSelector, ReadStats
from lekdicht.model import Location, LogRecord, Record

ALIASES: dict[str, str] = {
    "cs(Referer)": "cs-referer",
    "cs(Cookie)": "cs-cookie",
    "cs(Host)": "cs-host",
}
"""W3C header fields copied under their Sigma ``webserver`` taxonomy name."""


def _parse_date(text: str) -> tuple[int, int, int] | None:
    try:
        return int(text[0:4]), int(text[5:7]), int(text[8:10])
    except ValueError:
        return None


def _parse_dt(date: tuple[int, int, int], t: str) -> datetime | None:
    try:
        hour, minute, second = int(t[0:2]), int(t[3:5]), int(t[6:8])
        micro = 0
        if len(t) > 9 and t[8] == ".":
            frac = t[9:15]
            micro = int(frac.ljust(6, "0"))
        return datetime(date[0], date[1], date[2], hour, minute, second, micro, tzinfo=UTC)
    except (ValueError, IndexError):
        return None


class W3CParser(TextLineState):
    """Line parser for IIS W3C extended logs (see module docstring)."""

    def __init__(self, path: str, stats: ReadStats) -> None:
        super().__init__(path, stats)
        self.fields: tuple[str, ...] | None = None
        self.n_fields = 0
        self.header_date: tuple[int, int, int] | None = None
        self.software: str | None = None
        self.i_date = self.i_time = self.i_stem = self.i_query = self.i_uri = self.i_ua = -1
        self.aliases: list[tuple[int, str]] = []
        self.warned_no_date = False

    def header(self, text: str, line: int) -> None:
        directive = split_directive(text)
        if directive is None:
            return  # a comment such as "# Default traces of ..."
        name, value = directive
        if name == "fields":
            self._set_fields(tuple(value.split()))
        elif name == "date":
            self.header_date = _parse_date(value)
        elif name == "software":
            self.software = value

    def _set_fields(self, fields: tuple[str, ...]) -> None:
        self.fields = fields
        self.n_fields = len(fields)

        def idx(name: str) -> int:
            return fields.index(name) if name in fields else -1

        self.i_date = idx("date")
        self.i_time = idx("time")
        self.i_stem = idx("cs-uri-stem")
        self.i_query = idx("cs-uri-query")
        self.i_uri = idx("cs-uri")
        self.i_ua = idx("cs(User-Agent)")
        self.aliases = [
            (i, ALIASES[f]) for i, f in enumerate(fields) if f in ALIASES and ALIASES[f] not in fields
        ]

    def data(self, raw: bytes, line: int, offset: int | None) -> LogRecord | None:
        text = self.decode(raw)
        if self.fields is None:
            self.stats.reject("data line before any #Fields header", text, line)
            return None
        values = text.split(" ")
        n = self.n_fields
        if len(values) != n:
            stripped = text.strip(" ")
            if stripped != text:
                values = stripped.split(" ")
            if len(values) == n + 1 and "" in values:
                values.remove("")
            elif len(values) != n:
                self.stats.reject(f"expected {n} fields, got {len(values)}", text, line)
                return None
        fields: Record = {
            name: ("" if value == "-" else value) for name, value in zip(self.fields, values, strict=True)
        }
        # derived fields
        for i, alias in self.aliases:
            fields[alias] = fields[self.fields[i]]
        if self.i_ua >= 0:
            fields["cs-user-agent"] = values[self.i_ua].replace("+", " ") if values[self.i_ua] != "-" else ""
        if self.i_stem >= 0:
            uri = fields["cs-uri-stem"]
            query = fields["cs-uri-query"] if self.i_query >= 0 else ""
            if query:
                uri = f"{uri}?{query}"
            fields["cs-uri"] = uri
        elif self.i_uri >= 0:
            uri = fields["cs-uri"]
            stem, _sep, query = uri.partition("?")
            fields["cs-uri-stem"] = stem
            fields.setdefault("cs-uri-query", query)
        else:
            uri = ""
        if self.i_stem >= 0 or self.i_uri >= 0:
            fields["cs-uri-decoded"] = unquote(uri) if "%" in uri else uri
        location = Location(self.path, line=line, offset=offset)
        return LogRecord(fields, location, text, self._time(values, line))

    def _time(self, values: list[str], line: int) -> datetime | None:
        if self.i_time < 0:
            return None
        if self.i_date >= 0:
            date = _parse_date(values[self.i_date])
        else:
            date = self.header_date
            if date is None and not self.warned_no_date:
                self.warned_no_date = True
                self.stats.notes.append("no date field and no #Date header; records have no time")
        if date is None:
            if self.i_date >= 0:
                self.bad_timestamp(line)
            return None
        ts = _parse_dt(date, values[self.i_time])
        if ts is None:
            self.bad_timestamp(line)
        return ts


def read(
    stream: BinaryIO, path: str, stats: ReadStats, selector: LineSelector | None = None
) -> Iterator[LogRecord]:
    """Read one IIS W3C log file (see module docstring for the fields)."""
    parser = W3CParser(path, stats)
    yield from iter_text_records(stream, stats, parser, selector)
    parser.finish()
