"""The reader contract: one streaming reader per artefact format."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO, Protocol

from lekdicht.model import LogRecord, format_time

MAX_REJECTED_EXAMPLES = 5
MAX_EXCERPT = 300


class LineSelector(Protocol):
    """Prefilter: which lines of a block of raw bytes may match any rule.

    ``select`` returns the (start, end) byte spans, end exclusive and without the line break, of
    the lines in ``block`` that contain a candidate literal, in ascending order. ``block`` always
    starts at a line start and ends just after a line break (or at end of file).
    """

    def select(self, block: bytes) -> list[tuple[int, int]]: ...


@dataclass(slots=True)
class Rejected:
    """One record that could not be parsed."""

    line: int | None
    record: int | None
    reason: str
    excerpt: str

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"reason": self.reason, "excerpt": self.excerpt}
        if self.line is not None:
            out["line"] = self.line
        if self.record is not None:
            out["record"] = self.record
        return out


@dataclass(slots=True)
class ReadStats:
    """What a reader saw in one file: counts, rejects with examples, time span, header facts."""

    records_read: int = 0
    records_parsed: int = 0
    records_rejected: int = 0
    decode_errors: int = 0
    rejected_examples: list[Rejected] = field(default_factory=list)
    first_timestamp: datetime | None = None
    last_timestamp: datetime | None = None
    header_versions: list[str] = field(default_factory=list)
    """Distinct `#Version` header values (Exchange builds for most Exchange logs), in file order."""
    notes: list[str] = field(default_factory=list)

    def reject(self, reason: str, excerpt: str, line: int | None = None, record: int | None = None) -> None:
        self.records_rejected += 1
        if len(self.rejected_examples) < MAX_REJECTED_EXAMPLES:
            self.rejected_examples.append(Rejected(line, record, reason, excerpt[:MAX_EXCERPT]))

    def see_time(self, ts: datetime | None) -> None:
        if ts is None:
            return
        if self.first_timestamp is None or ts < self.first_timestamp:
            self.first_timestamp = ts
        if self.last_timestamp is None or ts > self.last_timestamp:
            self.last_timestamp = ts

    def to_json(self) -> dict[str, object]:
        return {
            "records_read": self.records_read,
            "records_parsed": self.records_parsed,
            "records_rejected": self.records_rejected,
            "decode_errors": self.decode_errors,
            "rejected_examples": [r.to_json() for r in self.rejected_examples],
            "first_timestamp": format_time(self.first_timestamp),
            "last_timestamp": format_time(self.last_timestamp),
            "header_versions": list(self.header_versions),
            "notes": list(self.notes),
        }


class Reader(Protocol):
    """Turn one artefact into records.

    ``path`` is the evidence-relative path used in every Location. When ``selector`` is given,
    only candidate lines (plus header lines) are parsed; every line is still counted in
    ``records_read`` and the first and last data lines are always parsed for the time span.
    A reader never raises on bad content: it counts the problem in ``stats`` and goes on.
    """

    def __call__(
        self, stream: BinaryIO, path: str, stats: ReadStats, selector: LineSelector | None = None
    ) -> Iterator[LogRecord]: ...
