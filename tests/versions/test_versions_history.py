"""Patch history and exposure windows from synthetic build observations (written by us)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from lekdicht.versions.history import BuildObservation, build_history, exposure_windows


def t(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def observations() -> list[BuildObservation]:
    """A 2016 CU19 server: unpatched in early 2021, Mar21SU on 2021-03-05, May21SU in May."""
    return [
        BuildObservation(
            "15.01.2176.002", t(2020, 12, 20), t(2020, 12, 31, 23), "HttpProxy/Owa/HttpProxy_2020122000-1.LOG"
        ),
        BuildObservation(
            "15.01.2176.002", t(2021, 2, 1), t(2021, 3, 5, 9, 59), "HttpProxy/Owa/HttpProxy_2021020100-1.LOG"
        ),
        BuildObservation(
            "15.0.0.0", t(2021, 2, 1), t(2021, 3, 5), "Logging/ECP/Server/ECPServer20210201-1.LOG"
        ),
        BuildObservation(
            "15.01.2176.009",
            t(2021, 3, 5, 11, 30),
            t(2021, 4, 30),
            "HttpProxy/Owa/HttpProxy_2021030511-1.LOG",
        ),
        BuildObservation(
            "15.01.2176.014", t(2021, 5, 20), t(2021, 9, 1), "HttpProxy/Ews/HttpProxy_2021052000-1.LOG"
        ),
    ]


def test_periods_and_patch_dates() -> None:
    h = build_history(observations())
    assert [p.build for p in h.periods] == ["15.1.2176.2", "15.1.2176.9", "15.1.2176.14"]
    assert h.periods[0].observations == 2
    assert h.current_build == "15.1.2176.14"
    assert [p.kind for p in h.patches] == ["security_update", "security_update"]
    first = h.patches[0]
    assert first.changed_at == t(2021, 3, 5, 11, 30)
    assert first.not_before == t(2021, 3, 5, 9, 59)
    assert first.to_name == "CU19 Mar21SU"
    assert h.first_evidence == t(2020, 12, 20)
    assert [i.reason for i in h.ignored] == ["placeholder version, not a real build"]


def test_exposure_window_vulnerable_to_fixed() -> None:
    h = build_history(observations())
    windows = {w.cve: w for w in exposure_windows(h, now=t(2021, 9, 2))}
    pl = windows["CVE-2021-26855"]
    assert pl.status == "patched"
    assert pl.vulnerable_from == t(2020, 12, 20)
    assert pl.exposed_from == t(2021, 1, 6)  # exploitation start, after the first evidence
    assert pl.exposed_until == t(2021, 3, 5, 11, 30)
    assert pl.patched_build == "15.1.2176.9"
    assert pl.days == 58.48
    assert pl.start_basis.startswith("exploitation start 2021-01-06")
    # ProxyShell was patched in May, before its exploitation began in August 2021.
    ps = windows["CVE-2021-34473"]
    assert ps.status == "patched_before_exploitation"
    assert ps.exposed_from is None
    assert ps.exposed_until == t(2021, 5, 20)


def test_still_vulnerable_when_never_patched() -> None:
    obs = [BuildObservation("15.1.2176.2", t(2021, 2, 1), t(2021, 3, 20), "HttpProxy/Owa/x.LOG")]
    w = next(w for w in exposure_windows(build_history(obs), now=t(2021, 3, 21)) if w.cve == "CVE-2021-26855")
    assert w.status == "still_vulnerable"
    assert w.still_vulnerable
    assert w.exposed_from == t(2021, 2, 1)
    assert w.start_basis == "first evidence"
    assert w.starts_at_evidence_limit
    assert any("may have started earlier" in n for n in w.notes)
    assert w.days == 48.0


def test_exsetup_shows_a_patch_after_the_last_log() -> None:
    obs = [
        BuildObservation("15.1.2176.2", t(2021, 2, 1), t(2021, 3, 1), "HttpProxy/Owa/x.LOG"),
        BuildObservation("15.1.2176.9", None, None, "Bin/ExSetup.exe"),
    ]
    h = build_history(obs)
    assert h.current_build == "15.1.2176.9"
    assert h.current_source == "Bin/ExSetup.exe"
    assert h.patches[-1].changed_at is None
    assert h.patches[-1].not_before == t(2021, 3, 1)
    w = next(w for w in exposure_windows(h, now=t(2021, 4, 1)) if w.cve == "CVE-2021-26855")
    assert w.status == "patched"
    assert not w.still_vulnerable
    assert w.exposed_until is None
    assert any("exact patch date is unknown" in n for n in w.notes)


def test_downgrade_and_garbage_are_reported() -> None:
    obs = [
        BuildObservation("15.1.2176.9", t(2021, 3, 3), t(2021, 3, 4), "a"),
        BuildObservation("15.1.2176.2", t(2021, 3, 5), t(2021, 3, 6), "b"),
        BuildObservation("not a version", t(2021, 3, 5), t(2021, 3, 6), "c"),
    ]
    h = build_history(obs)
    assert h.patches[0].kind == "downgrade"
    assert any("went down" in n for n in h.notes)
    assert h.ignored[0].source == "c"


def test_history_json_is_plain() -> None:
    h = build_history(observations())
    doc = json.loads(json.dumps(h.to_json()))
    assert doc["patches"][0]["changed_at"] == "2021-03-05T11:30:00Z"
    wins = [w.to_json() for w in exposure_windows(h, now=t(2021, 9, 2))]
    assert json.loads(json.dumps(wins))[0]["cve"] == "CVE-2021-26855"


def test_naive_datetimes_are_taken_as_utc() -> None:
    obs = [BuildObservation("15.1.2176.2", datetime(2021, 2, 1), datetime(2021, 2, 2), "x")]
    assert build_history(obs).first_evidence == t(2021, 2, 1)
