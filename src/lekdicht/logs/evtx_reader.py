"""Windows EVTX files, read with the ``evtx`` package (evtx-rs) and normalised by
:mod:`lekdicht.logs.windows`.

One corrupt record does not end the file: the per-record error is counted as a rejected record
and reading goes on with the next one. If the parser keeps failing without progress, or cannot
open the file at all, that is noted in the stats and the file ends there.

``Location.record`` is the EventRecordID (``line`` is None). The line selector does not apply to
binary events and is ignored: every record is parsed.

evtx-rs needs a seekable stream. A non-seekable one (e.g. a hashing wrapper that sees every byte
once) is first copied, in 4 MiB blocks, to a spooled temporary file (memory up to 64 MiB, then
the system temp folder; never the evidence folder).
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from typing import IO, Any, BinaryIO

from lekdicht.logs.base import LineSelector, ReadStats
from lekdicht.logs.windows import from_evtx_json, record_raw
from lekdicht.model import Location, LogRecord

MAX_CONSECUTIVE_ERRORS = 1000
"""Stop after this many errors in a row without one good record (the parser is stuck)."""

_RECORD_NO = re.compile(r"record number (\d+)")


SPOOL_IN_MEMORY = 64 * 1024 * 1024


def _is_seekable(stream: BinaryIO) -> bool:
    try:
        return bool(stream.seekable()) and hasattr(stream, "seek") and hasattr(stream, "tell")
    except (AttributeError, OSError, ValueError):
        return False


def _open_parser(stream: IO[bytes]) -> Any:
    import evtx  # imported lazily: the rest of lekdicht works without it

    try:
        return evtx.PyEvtxParser(stream, number_of_threads=1)
    except TypeError:  # older evtx without keyword arguments
        return evtx.PyEvtxParser(stream)


def read(
    stream: BinaryIO, path: str, stats: ReadStats, selector: LineSelector | None = None
) -> Iterator[LogRecord]:
    """Read one EVTX file; yields one record per event (see module docstring)."""
    del selector  # not applicable to binary events
    if _is_seekable(stream):
        yield from _read(stream, path, stats)
        return
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, prefix="lekdicht-evtx-") as spooled:
        shutil.copyfileobj(stream, spooled, 4 * 1024 * 1024)
        spooled.seek(0)
        yield from _read(spooled, path, stats)


def _read(stream: IO[bytes], path: str, stats: ReadStats) -> Iterator[LogRecord]:
    try:
        parser = _open_parser(stream)
        records = iter(parser.records_json())
    except ImportError:
        stats.notes.append("the evtx package is not installed; EVTX file not read")
        return
    except Exception as exc:  # evtx raises RuntimeError/OSError for a bad file header
        stats.notes.append(f"cannot open EVTX: {exc}")
        stats.reject(f"cannot open EVTX: {exc}", "", None)
        return
    errors_in_row = 0
    while True:
        try:
            item = next(records)
        except StopIteration:
            break
        except Exception as exc:  # one corrupt record or chunk
            stats.records_read += 1
            message = str(exc).replace("\n", " ")
            m = _RECORD_NO.search(message)
            stats.reject("corrupt EVTX record", message, None, int(m.group(1)) if m else None)
            errors_in_row += 1
            if errors_in_row >= MAX_CONSECUTIVE_ERRORS:
                stats.notes.append(f"EVTX parser stopped after {errors_in_row} consecutive errors")
                break
            continue
        errors_in_row = 0
        stats.records_read += 1
        record_id_hint = item.get("event_record_id") if isinstance(item, dict) else None
        try:
            event = json.loads(item["data"])
            fields, record_id, ts = from_evtx_json(event)
        except (KeyError, TypeError, ValueError) as exc:
            excerpt = str(item.get("data", ""))[:300] if isinstance(item, dict) else repr(item)[:300]
            stats.reject(f"unreadable EVTX record JSON: {exc}", excerpt, None, record_id_hint)
            continue
        if record_id is None and isinstance(record_id_hint, int):
            record_id = record_id_hint
        stats.records_parsed += 1
        stats.see_time(ts)
        yield LogRecord(fields, Location(path, line=None, record=record_id), record_raw(fields), ts)
    if stats.records_read == 0:
        stats.notes.append("no EVTX records found (empty or truncated file)")
