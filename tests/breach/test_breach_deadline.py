"""The 72-hour deadline (Art. 33(1)): elapsed clock hours from awareness, time zones, the boundary,
and the reason-for-delay question (AP 4.5) once it has passed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from breach_support import answers_doc, make_report

from lekdicht.breach.answers import parse_answers
from lekdicht.breach.assessment import assess
from lekdicht.breach.deadline import compute_deadline, deadline_for
from lekdicht.breach.drafts.apform import render_ap_form

AMS = ZoneInfo("Europe/Amsterdam")


def test_plain_utc() -> None:
    aware = datetime(2021, 3, 4, 9, 30, tzinfo=UTC)
    assert deadline_for(aware) == datetime(2021, 3, 7, 9, 30, tzinfo=UTC)


def test_weekend_counts() -> None:
    friday = datetime(2021, 3, 5, 17, 0, tzinfo=AMS)
    assert deadline_for(friday) == datetime(2021, 3, 8, 17, 0, tzinfo=AMS)  # Monday, same wall time (no DST)


def test_dst_start_is_72_elapsed_hours() -> None:
    # Amsterdam moves from CET to CEST on 2021-03-28: 72 elapsed hours end at 11:00 local, not 10:00
    aware = datetime(2021, 3, 26, 10, 0, tzinfo=AMS)
    due = deadline_for(aware)
    assert due.astimezone(UTC) - aware.astimezone(UTC) == timedelta(hours=72)
    assert (due.day, due.hour, due.utcoffset()) == (29, 11, timedelta(hours=2))


def test_dst_end_is_72_elapsed_hours() -> None:
    aware = datetime(2021, 10, 29, 10, 0, tzinfo=AMS)  # CEST; back to CET on 2021-10-31
    due = deadline_for(aware)
    assert due.astimezone(UTC) - aware.astimezone(UTC) == timedelta(hours=72)
    assert (due.day, due.hour, due.utcoffset()) == (1, 9, timedelta(hours=1))


def test_offsets_are_compared_in_utc() -> None:
    aware = datetime(2021, 3, 4, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    now = datetime(2021, 3, 7, 8, 30, tzinfo=UTC)  # exactly 72 h later, written in UTC
    dl = compute_deadline(aware, now)
    assert dl.hours_left == 0 and not dl.passed


def test_exactly_72_hours_is_in_time_and_one_second_later_is_not() -> None:
    aware = datetime(2021, 3, 4, 9, 30, tzinfo=AMS)
    due = deadline_for(aware)
    assert not compute_deadline(aware, due).passed
    late = compute_deadline(aware, due + timedelta(seconds=1))
    assert late.passed and late.needs_late_reason
    assert compute_deadline(aware, due + timedelta(days=9), notified_at=due).late is False
    submitted_late = compute_deadline(aware, due, notified_at=due + timedelta(seconds=1))
    assert submitted_late.late is True and submitted_late.needs_late_reason


def test_notified_in_time_is_not_passed_later() -> None:
    aware = datetime(2021, 3, 4, 9, 30, tzinfo=AMS)
    dl = compute_deadline(aware, aware + timedelta(days=30), notified_at=aware + timedelta(hours=20))
    assert not dl.passed and dl.late is False and not dl.needs_late_reason


def test_warnings_before_the_deadline() -> None:
    aware = datetime(2021, 3, 4, 9, 30, tzinfo=UTC)
    assert any("More than 60" in w for w in compute_deadline(aware, aware + timedelta(hours=61)).warnings)
    assert not any("More than" in w for w in compute_deadline(aware, aware + timedelta(hours=3)).warnings)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        deadline_for(datetime(2021, 3, 4, 9, 30))
    with pytest.raises(ValueError):
        compute_deadline(datetime(2021, 3, 4, 9, 30, tzinfo=UTC), datetime(2021, 3, 5))


def test_local_answer_times_use_the_time_zone() -> None:
    answers = parse_answers(answers_doc())  # aware_at 2021-03-04 09:30 in Europe/Amsterdam
    a = assess(make_report(), answers, datetime(2021, 3, 5, tzinfo=UTC))
    assert a.deadline is not None
    assert a.deadline.deadline.astimezone(UTC) == datetime(2021, 3, 7, 8, 30, tzinfo=UTC)


def test_passed_deadline_asks_the_reason_for_delay() -> None:
    report = make_report()
    in_time = assess(report, parse_answers(answers_doc()), datetime(2021, 3, 6, tzinfo=UTC))
    assert "### 4.5" not in render_ap_form(in_time, "nl")
    assert "notification.late_reason" not in {m.key for m in in_time.missing}

    passed = assess(report, parse_answers(answers_doc()), datetime(2021, 3, 8, tzinfo=UTC))
    nl, en = render_ap_form(passed, "nl"), render_ap_form(passed, "en")
    assert "### 4.5 U meldt later dan 72 uur" in nl
    assert "### 4.5 You are notifying later than 72 hours" in en
    assert "**[ONTBREEKT: notification.late\\_reason]**" in nl
    assert "notification.late_reason" in {m.key for m in passed.missing}

    answered = assess(
        report,
        parse_answers(answers_doc(notification={"late_reason": "Forensic scoping took the weekend"})),
        datetime(2021, 3, 8, tzinfo=UTC),
    )
    assert "Forensic scoping took the weekend" in render_ap_form(answered, "en")
    assert answered.complete
