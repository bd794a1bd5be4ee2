"""The Art. 33(1) clock: 72 hours from awareness, in elapsed clock hours.

Weekends and holidays count (reference 1.6). The deadline is computed in UTC and shown in the
awareness time's own zone, so a daylight-saving change in between does not shift it by an hour
(Python adds a timedelta to a zoned datetime in wall-clock time, which would). Notifying exactly at
the 72nd hour is in time; a notification after it needs the reasons for the delay (AP question 4.5).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

WINDOW = timedelta(hours=72)
WARN_AT_HOURS = (24, 48, 60)


@dataclass(frozen=True, slots=True)
class Deadline:
    """Where the 72-hour clock stands at ``now`` (or at the notification, once submitted)."""

    aware_at: datetime
    deadline: datetime
    now: datetime
    notified_at: datetime | None
    passed: bool
    late: bool | None
    hours_left: float
    needs_late_reason: bool
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "aware_at": self.aware_at.isoformat(),
            "deadline": self.deadline.isoformat(),
            "deadline_utc": self.deadline.astimezone(UTC).isoformat(),
            "now": self.now.isoformat(),
            "notified_at": self.notified_at.isoformat() if self.notified_at else None,
            "passed": self.passed,
            "late": self.late,
            "hours_left": round(self.hours_left, 2),
            "needs_late_reason": self.needs_late_reason,
            "warnings": self.warnings,
        }


def deadline_for(aware_at: datetime) -> datetime:
    """``aware_at`` + 72 elapsed hours, in ``aware_at``'s time zone."""
    if aware_at.tzinfo is None or aware_at.utcoffset() is None:
        raise ValueError("the time of awareness needs a time zone")
    return (aware_at.astimezone(UTC) + WINDOW).astimezone(aware_at.tzinfo)


def compute_deadline(aware_at: datetime, now: datetime, notified_at: datetime | None = None) -> Deadline:
    """The clock at ``now``: passed or not, hours left, lateness of a submitted notification.

    The deadline has passed when ``now`` is after it and nothing was submitted by then, or when the
    submission itself came after it. Either way the reason-for-delay question applies.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("'now' needs a time zone")
    due = deadline_for(aware_at)
    late: bool | None = None
    if notified_at is not None:
        late = notified_at.astimezone(UTC) > due.astimezone(UTC)
        passed = late
    else:
        passed = now.astimezone(UTC) > due.astimezone(UTC)
    left = (due.astimezone(UTC) - now.astimezone(UTC)).total_seconds() / 3600
    elapsed = 72 - left
    warnings: list[str] = []
    if notified_at is None:
        if passed:
            warnings.append(
                f"The 72 hours ended {abs(left):.1f} h ago: notify the AP now and give the reasons for the "
                "delay "
                "(question 4.5)."
            )
        elif elapsed < 0:
            warnings.append("The time of awareness lies in the future: check it.")
        else:
            mark = max((h for h in WARN_AT_HOURS if elapsed >= h), default=None)
            if mark is not None:
                warnings.append(f"More than {mark} of the 72 hours have passed: {left:.1f} h left.")
            warnings.append(
                "Notify without undue delay; in high-risk cases even meeting the 72 hours may be too slow "
                "(EDPB 01/2021 §24). A first notification may be completed later (Art. 33(4))."
            )
    elif late:
        warnings.append(
            "The notification was submitted after the 72 hours: the reasons for the delay are required."
        )
    return Deadline(
        aware_at=aware_at,
        deadline=due,
        now=now,
        notified_at=notified_at,
        passed=bool(passed),
        late=late,
        hours_left=left,
        needs_late_reason=bool(passed),
        warnings=warnings,
    )
