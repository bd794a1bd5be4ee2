"""The second pass: every request of the attacker's addresses, and data-moving cmdlets, in all logs.

The first pass only keeps lines that match a rule. Scoping what was taken needs everything the
attacker did, so this pass reads each log once more, with the same raw-byte prefilter, now built from
the attacker addresses (and request ids) plus the names of data-moving cmdlets.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from lekdicht.catalog.kinds import ArtefactKind
from lekdicht.correlate.activity import Activity, client_ip, first
from lekdicht.correlate.commands import PREFILTER_WORDS, Command, command_from
from lekdicht.logs import READERS
from lekdicht.logs.base import ReadStats
from lekdicht.model import LogRecord
from lekdicht.rules.prefilter import Selector, selector_for_literals
from lekdicht.rules.types import Literal
from lekdicht.scan.parallel import map_files

MAX_ACTIVITIES = 50_000
"""Memory bound: beyond this many attacker requests (in all, and per file) only counts are kept."""

# Message tracking is read in its own pass once the affected accounts are known.
SKIP_KINDS = frozenset({ArtefactKind.MESSAGE_TRACKING, ArtefactKind.OABGEN})


@dataclass(slots=True)
class SecondPassResult:
    """Attacker activity and data-moving commands, plus how much was read."""

    activities: list[Activity] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)
    dropped_activities: int = 0
    files_read: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)


def second_pass(
    files: Iterable[tuple[str, Path, ArtefactKind]],
    attacker_ips: set[str],
    request_ids: frozenset[str] = frozenset(),
    workers: int | None = None,
) -> SecondPassResult:
    """Read each log once more and collect the attacker's requests and data-moving cmdlets."""
    todo = [
        (rel, str(local), kind.value) for rel, local, kind in files if kind not in SKIP_KINDS and kind.is_log
    ]
    sizes = [_size(local) for _, local, _ in todo]
    result = SecondPassResult(files_read=len(todo))
    for _, part in map_files(
        _scan_file,
        todo,
        sizes,
        workers=workers,
        initializer=_init,
        initargs=(frozenset(attacker_ips), request_ids),
        on_error=lambda task, exc: _failed(task[0], exc),
    ):
        result.activities.extend(part.activities)
        result.dropped_activities += part.dropped_activities
        if len(result.activities) > 2 * MAX_ACTIVITIES:
            # keep the earliest requests, whatever order the files finished in (deterministic)
            result.activities.sort(key=_activity_order)
            result.dropped_activities += len(result.activities) - MAX_ACTIVITIES
            del result.activities[MAX_ACTIVITIES:]
        result.commands.extend(part.commands)
        result.errors.extend(part.errors)
    result.activities.sort(key=_activity_order)
    if len(result.activities) > MAX_ACTIVITIES:
        result.dropped_activities += len(result.activities) - MAX_ACTIVITIES
        del result.activities[MAX_ACTIVITIES:]
    result.commands.sort(key=lambda c: (c.time.isoformat() if c.time else "", c.path, c.line or 0))
    return result


def _activity_order(a: Activity) -> tuple[float, str, int]:
    return (a.time.timestamp() if a.time else 0.0, a.path, a.line or 0)


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


_STATE: tuple[frozenset[str], frozenset[str], Selector] | None = None


def _init(ips: frozenset[str], ids: frozenset[str]) -> None:
    global _STATE
    needles = [Literal(ip) for ip in sorted(ips)] + [Literal(r) for r in sorted(ids)]
    needles += [Literal(w) for w in PREFILTER_WORDS]
    _STATE = (ips, ids, selector_for_literals(needles))


def _failed(relpath: str, exc: BaseException) -> SecondPassResult:
    return SecondPassResult(
        errors=[{"path": relpath, "error": f"second pass failed: {type(exc).__name__}: {exc}"}]
    )


def _scan_file(relpath: str, local: str, kind_value: str) -> SecondPassResult:
    """One file of the second pass (runs in a worker process for large evidence)."""
    assert _STATE is not None
    ips, ids, selector = _STATE
    kind = ArtefactKind(kind_value)
    part = SecondPassResult()
    try:
        with open(local, "rb") as fh:
            for rec in READERS[kind](fh, relpath, ReadStats(), selector):
                _classify(rec, kind, ips, ids, part)
    except OSError as exc:
        reason = f"second pass: cannot read: {exc.strerror or exc}"
        part.errors.append({"path": relpath, "error": reason})
    return part


def _classify(
    rec: LogRecord, kind: ArtefactKind, ips: frozenset[str], ids: frozenset[str], result: SecondPassResult
) -> None:
    fields = rec.fields
    ip = client_ip(fields)
    if ip in ips or (ids and first(fields, "RequestId", "REQID") in ids):
        if len(result.activities) < MAX_ACTIVITIES:
            result.activities.append(Activity.from_record(rec, kind.value))
        else:
            result.dropped_activities += 1
    cmd = command_from(rec)
    if cmd is not None:
        result.commands.append(cmd)
