"""Windows events exported as JSON lines (any file extension), normalised by
:mod:`lekdicht.logs.windows`.

Accepted shapes, decided per line:

- **flat** (winlogbeat-style flattened, OTRF/Mordor, NXLog): ``Channel``, ``EventID``,
  ``Hostname``/``Computer``, ``SourceName``/``Provider``, ``Message``, EventData fields as
  top-level keys; nested values are flattened to dotted keys;
- **nested winlogbeat / ECS**: ``winlog.channel``, ``winlog.event_id``, ``winlog.provider_name``,
  ``winlog.computer_name``, ``winlog.event_data.*``, ``winlog.record_id``, ``@timestamp``,
  ``message`` (nested objects or dotted keys);
- **evtx-rs / evtx_dump JSON**: ``{"Event": {"System": ..., "EventData": ...}}``.

Positional EventData (MSExchange Management) is taken from a ``Data`` list (top level, or
``EventData.Data``, or ``{"#text": [...]}``) or from ``param1``..``paramN`` keys (winlogbeat's
names for unnamed data); see :mod:`lekdicht.logs.windows` for the names given to them.

Time, in order of preference: ``@timestamp``, ``System.TimeCreated``, ``TimeCreated`` with a time
zone, Sysmon ``UtcTime``, ``EventTime``, a naive ``TimeCreated``, ``timestamp``. Naive times are
taken as UTC (noted once). Caveat: in the OTRF dataset ``TimeCreated`` is a naive local time that
disagrees with Sysmon ``UtcTime``, which is why ``UtcTime`` comes first for those.

Lines that are not JSON objects are rejected with the reason. Tolerated: a JSON array written
one object per line (``[``, ``]`` lines and trailing commas).

Prefilter: the line selector is honoured through :class:`JsonSafeSelector`. Prefilter literals
never hold the characters JSON escapes (backslash, quote, control characters; see
``lekdicht.rules.literals``), so they occur verbatim in a JSON line, with two exceptions handled
by parsing every line of the block: escapes of other ASCII characters (backslash-slash,
backslash-u002f..., written by some serialisers), and MSExchange Management events, whose
synthesised ``Message`` holds words that are not in the raw line. With a selector the time span
comes from the first and last lines (the engine's contract); exports are not always in time
order, so that span may be narrower than the true one, never wider.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, BinaryIO

from lekdicht.logs._textlog import TextLineState, iter_text_records
from lekdicht.logs.base import LineSelector, ReadStats
from lekdicht.logs.windows import (
    event_time,
    flatten,
    from_evtx_json,
    normalize_event,
    record_raw,
    scalar,
    to_str,
)
from lekdicht.model import Location, LogRecord, Record

_PARAM = re.compile(r"param(\d+)")

CHANNEL_KEYS = ("Channel", "channel", "LogName", "log_name")
EVENT_ID_KEYS = ("EventID", "EventId", "event_id", "EventCode", "Id")
PROVIDER_KEYS = ("Provider_Name", "ProviderName", "SourceName", "Provider", "provider_name", "source_name")
COMPUTER_KEYS = ("Computer", "Hostname", "ComputerName", "computer_name", "host", "MachineName")
MESSAGE_KEYS = ("Message", "message", "RenderedMessage")
RECORD_KEYS = ("EventRecordID", "RecordNumber", "RecordId", "record_id")


def _first(data: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = data.get(key)
        if value is not None and value != "":
            return value
    return None


def _time_flat(data: Mapping[str, Any]) -> tuple[datetime | None, bool]:
    """(time, was_naive) from a flat or dotted event mapping (order: see module docstring)."""
    created = data.get("TimeCreated")
    if isinstance(created, Mapping):
        created = created.get("SystemTime") or created.get("#attributes", {}).get("SystemTime")
    created_text = created if isinstance(created, str) else None
    aware_created = created_text if created_text and not _naive(created_text) else None
    candidates = (
        data.get("@timestamp"),
        data.get("TimeCreated.SystemTime"),
        aware_created,
        data.get("UtcTime"),
        data.get("EventTime"),
        created_text,
        data.get("timestamp"),
        data.get("TimeGenerated"),
    )
    for value in candidates:
        if isinstance(value, str) and value:
            ts = event_time(value)
            if ts is not None:
                return ts, _naive(value)
    return None, False


def _naive(text: str) -> bool:
    text = text.strip()
    if text.endswith(("Z", "z", " UTC")) or text.startswith("/Date("):
        return False
    tail = text[10:]
    return "+" not in tail and "-" not in tail


def _positional_params(data: Mapping[str, Any]) -> list[object]:
    numbered: dict[int, object] = {}
    for key, value in data.items():
        m = _PARAM.fullmatch(key)
        if m:
            numbered[int(m.group(1))] = value
    if not numbered or 1 not in numbered:
        return []
    out: list[object] = []
    i = 1
    while i in numbered:
        out.append(numbered[i])
        i += 1
    return out


def _split_data(data: dict[str, Any]) -> list[object]:
    """Pop positional data out of a flat mapping (``Data``/``EventData`` lists, ``paramN``)."""
    positional: list[object] = []
    props = data.get("Properties")
    if isinstance(props, list) and all(isinstance(p, Mapping) and "Value" in p for p in props):
        # PowerShell Get-WinEvent | ConvertTo-Json: Properties = [{"Value": ...}, ...]
        data.pop("Properties")
        return [p["Value"] for p in props]
    for key in ("Data", "EventData"):
        value = data.get(key)
        if isinstance(value, Mapping) and "#text" in value:
            value = value["#text"]
        if isinstance(value, list):
            positional = list(value)
            data.pop(key)
            break
        if isinstance(value, Mapping):
            inner = value.get("Data")
            if isinstance(inner, Mapping) and "#text" in inner:
                inner = inner["#text"]
            if isinstance(inner, list):
                positional = list(inner)
            data.pop(key)
            for sub_key, sub_val in value.items():
                if sub_key not in ("Data", "#attributes"):
                    data.setdefault(sub_key, sub_val)
            break
    if not positional:
        positional = _positional_params(data)
    return positional


class JsonEventsParser(TextLineState):
    """Line parser for Windows events as JSON lines (see module docstring)."""

    def __init__(self, path: str, stats: ReadStats) -> None:
        super().__init__(path, stats)
        self.noted_naive = False
        self.noted_skew = False

    def _check_skew(self, data: Mapping[str, Any]) -> None:
        """Note once when a naive ``TimeCreated`` disagrees with Sysmon ``UtcTime`` (OTRF exports)."""
        created, utc = data.get("TimeCreated"), data.get("UtcTime")
        if not (isinstance(created, str) and isinstance(utc, str) and _naive(created)):
            return
        a, b = event_time(created), event_time(utc)
        if a is None or b is None:
            return
        delta = (a - b).total_seconds()
        if abs(delta) > 120:
            self.noted_skew = True
            self.stats.notes.append(
                f"naive TimeCreated differs from Sysmon UtcTime by {delta / 3600:+.1f} h; "
                "times of events without UtcTime may be off by as much"
            )

    def header(self, text: str, line: int) -> None:  # pragma: no cover - headers are disabled
        """Not used: JSON lines have no header directives."""

    def data(self, raw: bytes, line: int, offset: int | None) -> LogRecord | None:
        text = self.decode(raw)
        body = text.strip()
        if body in ("[", "]", "", ","):
            self.stats.records_read -= 1  # array punctuation or white space is not a record
            return None
        if body.endswith(","):
            body = body[:-1]
        try:
            obj = json.loads(body)
        except ValueError as exc:
            self.stats.reject(f"not JSON: {exc}", text, line)
            return None
        if not isinstance(obj, dict):
            self.stats.reject(f"JSON line is a {type(obj).__name__}, not an object", text, line)
            return None
        record_id: int | None = None
        naive = False
        if isinstance(obj.get("Event"), Mapping) and "System" in obj["Event"]:
            fields, record_id, ts = from_evtx_json(obj)
        elif isinstance(obj.get("winlog"), Mapping) or any(k.startswith("winlog.") for k in obj):
            fields, record_id, ts, naive = self._winlogbeat(obj)
        else:
            fields, record_id, ts, naive = self._flat(obj)
        if naive and not self.noted_naive:
            self.noted_naive = True
            self.stats.notes.append("event times without a time zone were taken as UTC")
        if ts is None:
            self.bad_timestamp(line)
        location = Location(self.path, line=line, record=record_id, offset=offset)
        return LogRecord(fields, location, record_raw(fields), ts)

    def _winlogbeat(self, obj: dict[str, Any]) -> tuple[Record, int | None, datetime | None, bool]:
        flat = flatten(obj)
        event_data: dict[str, Any] = {}
        rest: dict[str, Any] = {}
        for key, value in flat.items():
            for prefix in ("winlog.event_data.", "winlog.user_data."):
                if key.startswith(prefix):
                    event_data[key[len(prefix) :]] = value
                    break
            else:
                rest[key] = value
        positional = _split_data(event_data)
        ts, naive = _time_flat(flat)
        record_id = _to_int(rest.get("winlog.record_id"))
        data: dict[str, Any] = dict(rest)
        data.update(event_data)
        fields = normalize_event(
            channel=to_str(_first(flat, ("winlog.channel", "Channel"))),
            event_id=to_str(scalar(_first(flat, ("winlog.event_id", "event.code", "EventID")))),
            provider=to_str(_first(flat, ("winlog.provider_name", "event.provider", "SourceName"))),
            computer=to_str(_first(flat, ("winlog.computer_name", "host.name", "host.hostname"))),
            message=to_str(_first(flat, ("message", "Message"))),
            data=data,
            positional=positional,
        )
        return fields, record_id, ts, naive

    def _flat(self, obj: dict[str, Any]) -> tuple[Record, int | None, datetime | None, bool]:
        data: dict[str, Any] = dict(obj)
        positional = _split_data(data)
        for key in ("UserData",):
            value = data.get(key)
            if isinstance(value, Mapping):
                data.pop(key)
                for sub_key, sub_val in flatten(value).items():
                    data.setdefault(sub_key, sub_val)
        ts, naive = _time_flat(data)
        if not self.noted_skew:
            self._check_skew(data)
        data = flatten(data)
        provider: Any = _first(obj, PROVIDER_KEYS)
        if isinstance(provider, Mapping):
            provider = provider.get("Name") or provider.get("#attributes", {}).get("Name")
        computer: Any = _first(obj, COMPUTER_KEYS)
        if isinstance(computer, Mapping):
            computer = computer.get("name") or computer.get("hostname")
        fields = normalize_event(
            channel=to_str(_first(obj, CHANNEL_KEYS)),
            event_id=to_str(scalar(_first(obj, EVENT_ID_KEYS))),
            provider=to_str(provider),
            computer=to_str(computer),
            message=to_str(_first(obj, MESSAGE_KEYS)),
            data=data,
            positional=positional,
        )
        return fields, _to_int(_first(obj, RECORD_KEYS)), ts, naive


def _to_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


class JsonSafeSelector:
    """Wrap a prefilter for JSON lines (see module docstring).

    Every line of a block is selected when JSON escaping or a synthesised field could hide a
    literal from the raw bytes. The wrapped selector must say what it looks for in a
    ``literals`` attribute (strings, or objects with a ``text``, like
    :class:`lekdicht.rules.types.Literal`); if it does not, or if a literal holds a character
    JSON writers escape (backslash, quote, ``<``, ``>``, ``&``, ``'``, control characters),
    prefiltering is off and every line is parsed.
    """

    def __init__(self, inner: LineSelector) -> None:
        self.inner = inner
        self.usable = _literals_json_safe(inner)
        self.fallback_blocks = 0

    def select(self, block: bytes) -> list[tuple[int, int]]:
        if not self.usable or _unsafe_for_prefilter(block):
            self.fallback_blocks += 1
            return _all_line_spans(block)
        return self.inner.select(block)


_JSON_ESCAPED = frozenset("\\\"<>&'") | frozenset(chr(c) for c in range(32)) | {"\x7f"}


def _literals_json_safe(selector: LineSelector) -> bool:
    literals = getattr(selector, "literals", None)
    if literals is None:
        return False
    for lit in literals:
        text = lit if isinstance(lit, str) else getattr(lit, "text", None)
        if not isinstance(text, str) or any(ch in _JSON_ESCAPED for ch in text):
            return False
    return True


_ASCII_ESCAPE = re.compile(rb"\\u00([2-7][0-9a-fA-F])")
_SPLIT_CODES = frozenset(b" \"'+,\\<>&%?")
"""ASCII characters the literal extractor splits at: an escape of one of them cannot hide a literal."""


def _unsafe_for_prefilter(block: bytes) -> bool:
    if b"MSExchange" in block or b"\\/" in block:
        return True
    if b"\\u00" not in block:
        return False
    for m in _ASCII_ESCAPE.finditer(block):
        code = int(m.group(1), 16)
        if code not in _SPLIT_CODES and code != 0x7F:
            return True
    return False


def _all_line_spans(block: bytes) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    n = len(block)
    while start < n:
        end = block.find(b"\n", start)
        if end < 0:
            end = n
        spans.append((start, end))
        start = end + 1
    return spans


def read(
    stream: BinaryIO, path: str, stats: ReadStats, selector: LineSelector | None = None
) -> Iterator[LogRecord]:
    """Read Windows events from a JSON-lines file (see module docstring)."""
    parser = JsonEventsParser(path, stats)
    safe = JsonSafeSelector(selector) if selector is not None else None
    yield from iter_text_records(stream, stats, parser, safe, headers=False)
    parser.finish()
