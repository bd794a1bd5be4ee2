"""Mail from affected accounts to outside domains, from the message tracking logs (DX4)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from lekdicht.catalog.kinds import ArtefactKind
from lekdicht.logs import READERS
from lekdicht.logs.base import ReadStats
from lekdicht.model import format_time
from lekdicht.rules.prefilter import selector_for_literals
from lekdicht.rules.types import Literal

OUTBOUND_EVENTS = frozenset({"SEND", "SENDEXTERNAL"})
MAX_ITEMS = 5_000


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[-1].strip().lower() if "@" in address else ""


def outbound_mail(
    files: Iterable[tuple[str, Path, ArtefactKind]], accounts: set[str], since: datetime | None
) -> tuple[list[dict[str, Any]], int]:
    """Messages sent by the accounts to domains that are not their own, from ``since`` on.

    Returns the items (capped at MAX_ITEMS) and the number of message tracking files read.
    """
    senders = {a.lower() for a in accounts if "@" in a}
    if not senders:
        return [], 0
    internal = {_domain(a) for a in senders}
    selector = selector_for_literals([Literal(a) for a in sorted(senders)])
    items: list[dict[str, Any]] = []
    read = 0
    for relpath, local, kind in files:
        if kind is not ArtefactKind.MESSAGE_TRACKING:
            continue
        read += 1
        with open(local, "rb") as fh:
            for rec in READERS[kind](fh, relpath, ReadStats(), selector):
                f = rec.fields
                sender = f.get("sender-address", "").lower()
                if sender not in senders or f.get("event-id", "").upper() not in OUTBOUND_EVENTS:
                    continue
                if since and rec.timestamp and rec.timestamp < since:
                    continue
                outside = [
                    r for r in f.get("recipient-address", "").split(";") if r and _domain(r) not in internal
                ]
                if outside and len(items) < MAX_ITEMS:
                    items.append(
                        {
                            "time": format_time(rec.timestamp),
                            "sender": f.get("sender-address", ""),
                            "recipients": outside,
                            "subject": f.get("message-subject", ""),
                            "bytes": f.get("total-bytes", ""),
                            "event": f.get("event-id", ""),
                            "evidence": [{"path": relpath, "line": rec.location.line}],
                        }
                    )
    return items, read
