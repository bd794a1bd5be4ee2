"""Shared streaming engine for line-oriented text logs.

Reads a stream in large blocks, normalises the encoding (UTF-8 BOM, UTF-16 LE/BE with or without
BOM is transcoded to UTF-8 on the fly), cuts the bytes into blocks of complete lines and hands
lines to a format-specific :class:`LineParser`.

With a :class:`~lekdicht.logs.base.LineSelector` only candidate lines are parsed; header lines
(``#...``) are always processed, and the first and last data line of the file are always parsed
(and yielded) so the time span is right. A data line directly followed by a header block is also
parsed, so that the last data line is handled under the header state it was written with. Lines
that are not parsed cost a few C-level ``bytes.find``/``bytes.count`` calls per block, nothing per
line.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, BinaryIO, Protocol

from lekdicht.logs.base import LineSelector, ReadStats
from lekdicht.model import LogRecord

BLOCK_SIZE = 4 * 1024 * 1024
"""Bytes read per ``stream.read`` call."""

MAX_LINE = 16 * 1024 * 1024
"""A line longer than this is counted, rejected and skipped (bounded memory on garbage input)."""

_SPECIAL = re.compile(rb"\n(?=[\r\n#])")
"""A line break followed by a header mark or another line break: header and blank lines."""


class LineParser(Protocol):
    """Format-specific part of a text reader."""

    def header(self, text: str, line: int) -> None:
        """Process one ``#`` header line (already decoded, line break removed)."""

    def data(self, raw: bytes, line: int, offset: int | None) -> LogRecord | None:
        """Parse one data line (line break removed); on bad content call ``stats.reject`` and
        return None."""


class TextLineState:
    """Small helper base for parsers: decoding with error counting and timestamp bookkeeping."""

    def __init__(self, path: str, stats: ReadStats) -> None:
        self.path = path
        self.stats = stats
        self.bad_time = 0
        self.bad_time_first_line: int | None = None

    def decode(self, raw: bytes) -> str:
        """UTF-8 decode; invalid bytes are replaced and the line is counted in ``decode_errors``."""
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self.stats.decode_errors += 1
            return raw.decode("utf-8", errors="replace")

    def bad_timestamp(self, line: int | None) -> None:
        """Count a record whose timestamp could not be parsed (the record itself is kept)."""
        self.bad_time += 1
        if self.bad_time_first_line is None:
            self.bad_time_first_line = line

    def finish(self) -> None:
        """Write summary notes into the stats once the file is done."""
        if self.bad_time:
            where = f" (first at line {self.bad_time_first_line})" if self.bad_time_first_line else ""
            self.stats.notes.append(
                f"{self.bad_time} record(s) had no parseable timestamp{where}; kept without time"
            )


def split_directive(text: str) -> tuple[str, str] | None:
    """``#Name: value`` header line → (lower-case name, value); None for a plain ``#`` comment."""
    name, sep, value = text[1:].lstrip().partition(":")
    if not sep:
        return None
    return name.strip().lower(), value.strip()


def parse_iso_utc(text: str) -> datetime | None:
    """ISO 8601 timestamp (``Z``, offset or naive) to an aware UTC datetime, or None."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        text = text.strip()
        if not text:
            return None
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            return None
    tz = value.tzinfo
    if tz is UTC:
        return value
    if tz is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


# --------------------------------------------------------------------------------------------
# Encoding detection and block reading


def _detect_encoding(head: bytes) -> tuple[str, int]:
    """Return (encoding, bytes to skip): 'utf-8', 'utf-16-le' or 'utf-16-be'."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", 2
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", 2
    sample = head[:64]
    if len(sample) >= 8:
        sample = sample[: len(sample) - len(sample) % 2]
        evens, odds = sample[0::2], sample[1::2]
        if odds.count(0) == len(odds) and evens.count(0) == 0:
            return "utf-16-le", 0
        if evens.count(0) == len(evens) and odds.count(0) == 0:
            return "utf-16-be", 0
    return "utf-8", 0


def _read_exact(stream: BinaryIO, size: int) -> bytes:
    """Read up to ``size`` bytes, looping over short reads; b"" only at end of stream."""
    data = stream.read(size)
    if not data or len(data) >= size:
        return data or b""
    parts = [data]
    got = len(data)
    while got < size:
        more = stream.read(size - got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)


class _Chunks:
    """Raw byte chunks of the stream, transcoded to UTF-8 when the file is UTF-16."""

    def __init__(self, stream: BinaryIO, stats: ReadStats, block_size: int) -> None:
        self.stream = stream
        self.stats = stats
        self.block_size = block_size
        self.transcoded = False
        self.skip = 0

    def __iter__(self) -> Iterator[bytes]:
        first = _read_exact(self.stream, max(self.block_size, 4096))
        if not first:
            return
        encoding, skip = _detect_encoding(first)
        self.skip = skip
        if encoding == "utf-8":
            yield first[skip:]
            while chunk := _read_exact(self.stream, self.block_size):
                yield chunk
            return
        self.transcoded = True
        self.stats.notes.append(f"file is {encoding.upper()}; transcoded to UTF-8 (offsets are None)")
        decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        replaced = 0
        chunk = first[skip:]
        while True:
            final = not chunk
            text = decoder.decode(chunk, final=final)
            replaced += text.count("\ufffd")
            if text:
                yield text.encode("utf-8", errors="replace")
            if final:
                break
            chunk = _read_exact(self.stream, self.block_size)
        if replaced:
            self.stats.notes.append(f"{replaced} invalid UTF-16 code unit(s) replaced by U+FFFD")


class _Block:
    __slots__ = ("data", "line", "offset", "final", "newlines")

    def __init__(self, data: bytes, line: int, offset: int | None, final: bool) -> None:
        self.data = data
        self.line = line
        """1-based line number of the first line in ``data``."""
        self.offset = offset
        """File offset of ``data[0]`` (None when transcoded)."""
        self.final = final
        self.newlines = data.count(b"\n")


class _Blocks:
    """Blocks of complete lines; the last block of the file is flagged ``final``.

    Over-long lines are cut off: they are reported through ``overlong`` (line number and the
    first bytes) and skipped up to the next line break.
    """

    def __init__(self, stream: BinaryIO, stats: ReadStats, block_size: int, max_line: int) -> None:
        self.chunks = _Chunks(stream, stats, block_size)
        self.max_line = max_line
        self.overlong: list[tuple[int, bytes]] = []

    def __iter__(self) -> Iterator[_Block]:
        carry = b""
        skipping = False  # inside an over-long line, dropping bytes up to its line break
        pending: _Block | None = None
        line = 1
        start = 0  # stream position (after any BOM, in UTF-8 terms) of carry[0]
        for chunk in self.chunks:
            if skipping:
                nl = chunk.find(b"\n")
                if nl < 0:
                    start += len(chunk)
                    continue
                start += nl + 1
                chunk = chunk[nl + 1 :]
                skipping = False
                line += 1
            cut = chunk.rfind(b"\n")
            if cut < 0:
                carry = carry + chunk if carry else chunk
            else:
                # one copy per block: carry and the chunk up to its last line break
                if carry:
                    body = b"".join((carry, memoryview(chunk)[: cut + 1]))
                else:
                    body = chunk if cut + 1 == len(chunk) else chunk[: cut + 1]
                carry = chunk[cut + 1 :]
                if pending is not None:
                    yield pending
                pending = _Block(body, line, self._offset(start), False)
                line += pending.newlines
                start += len(body)
            if len(carry) > self.max_line:
                self.overlong.append((line, carry[:200]))
                start += len(carry)
                carry = b""
                skipping = True
        if carry:
            if pending is not None:
                yield pending
            pending = _Block(carry, line, self._offset(start), False)
        if pending is not None:
            pending.final = True
            yield pending

    def _offset(self, start: int) -> int | None:
        return None if self.chunks.transcoded else start + self.chunks.skip


# --------------------------------------------------------------------------------------------
# Line helpers


def _strip_cr(raw: bytes) -> bytes:
    return raw[:-1] if raw.endswith(b"\r") else raw


def _line_end(block: bytes, start: int) -> int:
    end = block.find(b"\n", start)
    return len(block) if end < 0 else end


def _is_blank(block: bytes, start: int, end: int) -> bool:
    return end == start or (end == start + 1 and block[start] == 0x0D)


def _special_breaks(block: bytes) -> list[int]:
    """Positions of the line breaks followed by ``#``, ``\\n`` or ``\\r``, ascending.

    With hyperscan, one literal scan (about twice the speed of ``re``, which stops at every line
    break to test the next byte); a block of ordinary data lines yields no match at all.
    """
    db = _special_db()
    if db is None:
        return [m.start() for m in _SPECIAL.finditer(block)]
    found: list[int] = []
    append = found.append

    def on_match(_id: int, _from: int, to: int, _flags: int, _ctx: object) -> None:
        append(to - 2)  # every pattern is two bytes, the line break first

    db.scan(block, match_event_handler=on_match)
    found.sort()
    return found


_SPECIAL_DB: list[Any] = []


def _special_db() -> Any:
    """The hyperscan database for :func:`_special_breaks` (compiled once), or None without it."""
    if not _SPECIAL_DB:
        db: Any = None
        try:  # pragma: no cover - depends on the platform
            import hyperscan

            made = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
            made.compile(
                expressions=[b"\\n#", b"\\n\\n", b"\\n\\r"], ids=[0, 1, 2], elements=3, flags=[0, 0, 0]
            )
            db = made
        except Exception:  # no hyperscan, or it failed: the regular expression does the same
            db = None
        _SPECIAL_DB.append(db)
    return _SPECIAL_DB[0]


def _specials(block: bytes, headers: bool) -> tuple[list[int], int]:
    """Header line starts and the number of empty lines of a block, in one fast pass."""
    hdrs: list[int] = []
    blanks = 0
    first = block[:1]
    if first == b"#" and headers:
        hdrs.append(0)
    elif first == b"\n" or block[:2] == b"\r\n" or block == b"\r":
        blanks += 1
    n = len(block)
    for brk in _special_breaks(block):
        start = brk + 1  # line start
        ch = block[start]
        if ch == 0x23:  # '#'
            if headers:
                hdrs.append(start)
        elif ch == 0x0A or (ch == 0x0D and (start + 1 == n or block[start + 1] == 0x0A)):
            blanks += 1
    return hdrs, blanks


# --------------------------------------------------------------------------------------------
# The engine


class _Engine:
    def __init__(
        self,
        stats: ReadStats,
        parser: LineParser,
        selector: LineSelector | None,
        headers: bool,
    ) -> None:
        self.stats = stats
        self.parser = parser
        self.selector = selector
        self.headers = headers
        self.seen_first = False
        # the last data line seen so far when it was not parsed: (bytes, line, offset)
        self.pending_last: tuple[bytes, int, int | None] | None = None

    # -- shared ---------------------------------------------------------------------------

    def _parse(self, raw: bytes, line: int, offset: int | None) -> LogRecord | None:
        rec = self.parser.data(_strip_cr(raw), line, offset)
        if rec is not None:
            self.stats.records_parsed += 1
            self.stats.see_time(rec.timestamp)
        return rec

    def _header(self, raw: bytes, line: int) -> None:
        raw = _strip_cr(raw)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            self.stats.decode_errors += 1
            text = raw.decode("utf-8", errors="replace")
        self.parser.header(text, line)

    # -- every line ------------------------------------------------------------------------

    def all_lines(self, blk: _Block) -> Iterator[LogRecord]:
        data = blk.data
        n = len(data)
        pos = 0
        line = blk.line
        headers = self.headers
        while pos < n:
            end = data.find(b"\n", pos)
            if end < 0:
                end = n
            if end == pos or (end == pos + 1 and data[pos] == 0x0D):
                pass
            elif headers and data[pos] == 0x23:  # '#'
                self._header(data[pos:end], line)
            else:
                self.stats.records_read += 1
                offset = None if blk.offset is None else blk.offset + pos
                rec = self._parse(data[pos:end], line, offset)
                if rec is not None:
                    yield rec
            pos = end + 1
            line += 1

    # -- selected lines only ---------------------------------------------------------------

    def _is_data(self, data: bytes, start: int, end: int) -> bool:
        if _is_blank(data, start, end):
            return False
        return not (self.headers and data[start] == 0x23)

    def _prev_data_line(self, data: bytes, pos: int) -> tuple[int, int] | None:
        """The data line ending before line start ``pos`` in this block, skipping headers/blanks."""
        end = pos - 1  # the '\n' that ends the previous line
        while end >= 0:
            start = data.rfind(b"\n", 0, end) + 1
            if self._is_data(data, start, end):
                return start, end
            end = start - 1
        return None

    def selected_lines(self, blk: _Block, selector: LineSelector) -> Iterator[LogRecord]:
        data = blk.data
        n = len(data)
        hdrs, blanks = _specials(data, self.headers)
        n_lines = blk.newlines + (1 if n and data[-1] != 0x0A else 0)
        data_lines = n_lines - len(hdrs) - blanks
        self.stats.records_read += data_lines

        # candidate line starts
        starts: set[int] = set()
        for s, _e in selector.select(data):
            if s < 0 or s >= n:
                continue
            ls = data.rfind(b"\n", 0, s) + 1 if s else 0
            starts.add(ls)
        if data_lines and not self.seen_first:
            pos = 0
            while pos < n:
                end = _line_end(data, pos)
                if self._is_data(data, pos, end):
                    starts.add(pos)
                    break
                pos = end + 1
            self.seen_first = True
        if blk.final and data_lines:
            last = self._prev_data_line(data, n + 1 if data[-1] != 0x0A else n)
            if last is not None:
                starts.add(last[0])

        events: list[tuple[int, bool]] = [(h, True) for h in hdrs]
        events.extend((s, False) for s in starts if self._is_data(data, s, _line_end(data, s)))
        events.sort()

        parsed: set[int] = set()
        cur_pos = 0
        cur_line = blk.line
        base = blk.offset
        total = blk.newlines
        for pos, is_header in events:
            # count line breaks from whichever side is nearer
            if pos - cur_pos <= n - pos:
                cur_line += data.count(b"\n", cur_pos, pos)
            else:
                cur_line = blk.line + total - data.count(b"\n", pos)
            cur_pos = pos
            if is_header:
                # the data line just before a header block is parsed under its own header state
                prev = self._prev_data_line(data, pos)
                if prev is None:
                    if self.pending_last is not None:
                        raw, ln, off = self.pending_last
                        self.pending_last = None
                        rec = self._parse(raw, ln, off)
                        if rec is not None:
                            yield rec
                elif prev[0] not in parsed:
                    parsed.add(prev[0])
                    ln = cur_line - data.count(b"\n", prev[0], pos)
                    rec = self._parse(data[prev[0] : prev[1]], ln, None if base is None else base + prev[0])
                    if rec is not None:
                        yield rec
                self._header(data[pos : _line_end(data, pos)], cur_line)
            elif pos not in parsed:
                parsed.add(pos)
                off = None if base is None else base + pos
                rec = self._parse(data[pos : _line_end(data, pos)], cur_line, off)
                if rec is not None:
                    yield rec

        if data_lines:
            last = self._prev_data_line(data, n + 1 if data[-1] != 0x0A else n)
            if last is None:
                pass
            elif last[0] in parsed:
                self.pending_last = None
            else:
                ln = blk.line + blk.newlines - data.count(b"\n", last[0])
                off = None if base is None else base + last[0]
                self.pending_last = (data[last[0] : last[1]], ln, off)

    def finish(self) -> Iterator[LogRecord]:
        if self.pending_last is not None:
            raw, ln, off = self.pending_last
            self.pending_last = None
            rec = self._parse(raw, ln, off)
            if rec is not None:
                yield rec


def iter_text_records(
    stream: BinaryIO,
    stats: ReadStats,
    parser: LineParser,
    selector: LineSelector | None = None,
    *,
    headers: bool = True,
    block_size: int | None = None,
    max_line: int | None = None,
) -> Iterator[LogRecord]:
    """Drive ``parser`` over every line of ``stream`` (see module docstring for the contract).

    ``headers=False`` treats ``#`` lines as data (formats without header directives).
    ``block_size`` and ``max_line`` default to the module constants (read at call time).
    """
    block_size = block_size or BLOCK_SIZE
    max_line = max_line or MAX_LINE
    engine = _Engine(stats, parser, selector, headers)
    blocks = _Blocks(stream, stats, block_size, max_line)
    reported = 0
    for blk in blocks:
        # report over-long lines found while building this block
        while reported < len(blocks.overlong):
            ln, head = blocks.overlong[reported]
            reported += 1
            stats.records_read += 1
            stats.reject(f"line longer than {max_line} bytes; skipped", head.decode("utf-8", "replace"), ln)
        if selector is None:
            yield from engine.all_lines(blk)
        else:
            yield from engine.selected_lines(blk, selector)
    while reported < len(blocks.overlong):
        ln, head = blocks.overlong[reported]
        reported += 1
        stats.records_read += 1
        stats.reject(f"line longer than {max_line} bytes; skipped", head.decode("utf-8", "replace"), ln)
    if selector is not None:
        yield from engine.finish()
