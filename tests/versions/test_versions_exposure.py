"""Exposure per CVE for builds across every product line (builds from versions/data)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from lekdicht.versions.builds import BuildParseError, parse_build, support_status
from lekdicht.versions.exposure import STATUSES, assess_build

TODAY = date(2026, 11, 28)
PROXYLOGON = ("CVE-2021-26855", "CVE-2021-26857", "CVE-2021-26858", "CVE-2021-27065")
PROXYSHELL = ("CVE-2021-34473", "CVE-2021-34523", "CVE-2021-31207")
PROXYNOTSHELL = ("CVE-2022-41040", "CVE-2022-41082")
OWASSRF = ("CVE-2022-41080", "CVE-2022-41082")


def statuses(build: str, cves: tuple[str, ...], on: date = TODAY) -> set[str | None]:
    a = assess_build(build, on=on)
    return {a.status_of(c) for c in cves}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15.1.2176.2", "15.1.2176.2"),
        ("15.01.2176.002", "15.1.2176.2"),
        ("Version 15.1 (Build 2176.2)", "15.1.2176.2"),
        ("ServerVersion~Version 15.1 (Build 2374.0)", "15.1.2374.0"),
        ("#Version: 15.01.2375.007", "15.1.2375.7"),
        ("/owa/auth/15.1.2375/themes/resources/x.png", "15.1.2375"),
    ],
)
def test_parse_notations(text: str, expected: str) -> None:
    assert str(parse_build(text)) == expected


@pytest.mark.parametrize("bad", ["", "foo", "15", "15.1", "v2"])
def test_parse_rejects_garbage(bad: str) -> None:
    with pytest.raises(BuildParseError):
        parse_build(bad)


def test_placeholder_version_is_rejected_for_assessment() -> None:
    assert parse_build("15.0.0.0").is_placeholder
    with pytest.raises(BuildParseError):
        assess_build("15.0.0.0")


# --- every product line ------------------------------------------------------------------------


def test_exchange_2010_sp3() -> None:
    a = assess_build("14.3.496.0", on=TODAY)
    assert a.product == "Exchange Server 2010 SP3"
    assert a.release_name == "RU30"
    assert a.status_of("CVE-2021-26857") == "vulnerable"  # fixed in RU32
    assert a.status_of("CVE-2021-26855") == "not_affected"  # 2010 only has CVE-2021-26857
    assert a.status_of("CVE-2020-0688") == "fixed"  # RU30
    assert a.status_of("CVE-2021-34473") == "unknown"  # published after 2010 end of support
    assert a.support.status == "end_of_life"
    assert assess_build("14.3.513.0", on=TODAY).status_of("CVE-2021-26857") == "fixed"


def test_exchange_2013_cu23_before_and_after_march_2021() -> None:
    assert statuses("15.0.1497.10", PROXYLOGON) == {"vulnerable"}  # Dec20SU
    after = assess_build("15.0.1497.12", on=TODAY)  # Mar21SU
    assert {after.status_of(c) for c in PROXYLOGON} == {"fixed"}
    assert {after.status_of(c) for c in PROXYSHELL} == {"vulnerable"}
    last = assess_build("15.0.1497.48", on=TODAY)  # Mar23SU, the last one
    assert {last.status_of(c) for c in PROXYLOGON + PROXYSHELL + PROXYNOTSHELL + OWASSRF} == {"fixed"}
    assert last.status_of("CVE-2021-42321") == "not_affected"  # 2016/2019 only
    assert last.status_of("CVE-2024-26198") == "unknown"  # published after 2013 end of support
    assert last.support.status == "end_of_life"
    assert support_status("15.0.1497.48", date(2023, 1, 1)).status == "supported"


def test_exchange_2016_cu19_cu20_cu22_cu23() -> None:
    assert statuses("15.1.2176.2", PROXYLOGON) == {"vulnerable"}
    cu19_mar = assess_build("15.1.2176.9", on=TODAY)
    assert {cu19_mar.status_of(c) for c in PROXYLOGON} == {"fixed"}
    assert {cu19_mar.status_of(c) for c in PROXYSHELL} == {"vulnerable"}
    assert statuses("15.1.2176.14", PROXYSHELL) == {"fixed"}  # May21SU
    assert statuses("15.1.2176.12", ("CVE-2021-34473", "CVE-2021-34523")) == {"fixed"}
    assert statuses("15.1.2176.12", ("CVE-2021-31207",)) == {"vulnerable"}
    cu20 = assess_build("15.1.2242.4", on=TODAY)  # CU20 shipped after Mar21SU
    assert {cu20.status_of(c) for c in PROXYLOGON} == {"fixed"}
    assert statuses("15.1.2375.32", PROXYNOTSHELL) == {"vulnerable"}  # CU22 Oct22SU
    assert statuses("15.1.2375.37", PROXYNOTSHELL + OWASSRF) == {"fixed"}  # CU22 Nov22SU
    assert statuses("15.1.2507.13", PROXYNOTSHELL) == {"vulnerable"}  # CU23 Oct22SU
    assert statuses("15.1.2507.16", PROXYNOTSHELL + OWASSRF) == {"fixed"}
    aug26 = assess_build("15.1.2507.72", on=TODAY)
    assert not aug26.any_vulnerable
    assert aug26.support.status == "end_of_life"
    assert assess_build("15.1.2507.72", on=date(2026, 6, 1)).support.status == "esu"


def test_exchange_2019_cu9_cu11_cu12_cu14_cu15() -> None:
    assert statuses("15.2.858.5", PROXYLOGON) == {"fixed"}
    assert statuses("15.2.858.5", PROXYSHELL) == {"vulnerable"}
    assert statuses("15.2.858.12", PROXYSHELL) == {"fixed"}
    assert statuses("15.2.986.30", PROXYNOTSHELL) == {"vulnerable"}
    assert statuses("15.2.986.36", PROXYNOTSHELL + OWASSRF) == {"fixed"}
    assert statuses("15.2.1118.20", PROXYNOTSHELL) == {"fixed"}
    assert statuses("15.2.1118.15", PROXYNOTSHELL) == {"vulnerable"}
    cu14 = assess_build("15.2.1544.4", on=TODAY)
    assert cu14.status_of("CVE-2022-41040") == "fixed"  # "CU13 and later CUs"
    assert cu14.status_of("CVE-2024-26198") == "vulnerable"  # needs Mar24SU
    assert cu14.status_of("CVE-2024-21410") == "fixed_config_required"  # Extended Protection
    cu15 = assess_build("15.2.1748.49", on=TODAY)
    assert not cu15.any_vulnerable
    assert cu15.status_of("CVE-2024-26198") == "fixed"  # "CU15 and later CUs"
    assert assess_build("15.2.1748.49", on=date(2026, 8, 20)).support.status == "esu"


def test_exchange_se() -> None:
    a = assess_build("15.2.2562.46", on=TODAY)
    assert a.product == "Exchange Server SE"
    assert a.support.status == "supported"
    assert {a.status_of(c) for c in PROXYLOGON + PROXYSHELL + PROXYNOTSHELL} == {"not_affected"}
    assert a.status_of("CVE-2026-62910") == "fixed"
    assert a.status_of("CVE-2025-53786") == "fixed_config_required"
    old = assess_build("15.2.2562.17", on=TODAY)
    assert old.status_of("CVE-2026-42897") == "vulnerable"
    assert old.status_of("CVE-2026-62910") == "vulnerable"


def test_2019_versus_se_split_at_2562() -> None:
    assert assess_build("15.2.1748.10").product == "Exchange Server 2019"
    assert assess_build("15.2.2562.17").product == "Exchange Server SE"


# --- caveats -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("alt", "learn"), [("15.1.1415.8", "15.1.1415.10"), ("15.1.1466.13", "15.1.1466.16")]
)
def test_disputed_march_2021_builds_both_count_as_fixed(alt: str, learn: str) -> None:
    for build in (alt, learn):
        a = assess_build(build, on=TODAY)
        assert {a.status_of(c) for c in PROXYLOGON} == {"fixed"}, build
    alt_status = next(c for c in assess_build(alt, on=TODAY).cves if c.cve == "CVE-2021-26855")
    assert any(n.startswith("disputed build") for n in alt_status.notes)
    assert alt_status.fixed_in == learn
    # one below the lower value is vulnerable
    below = parse_build(alt)
    assert below.revision is not None
    prev = f"{below.major}.{below.minor}.{below.build}.{below.revision - 1}"
    assert assess_build(prev, on=TODAY).status_of("CVE-2021-26855") == "vulnerable"


def test_unsupported_cu_with_march_2021_special_su() -> None:
    a = assess_build("15.1.1415.10", on=TODAY)  # 2016 CU8 + special Mar21SU
    assert {a.status_of(c) for c in PROXYLOGON} == {"fixed"}
    for cve in PROXYSHELL + PROXYNOTSHELL + ("CVE-2020-0688",):
        st = next(c for c in a.cves if c.cve == cve)
        assert st.status == "vulnerable", cve
        assert "never received this fix" in st.reason
    assert any("fixes only the March 2021 CVEs" in n for n in a.notes)
    assert support_status("15.1.1415.10", date(2021, 3, 5)).status == "unsupported_cu"
    assert support_status("15.1.2176.2", date(2021, 3, 5)).status == "supported"


def test_config_required_cves_are_never_plainly_fixed() -> None:
    a = assess_build("15.1.2507.72", on=TODAY)
    for cve in ("CVE-2023-21709", "CVE-2024-21410", "CVE-2024-49040", "CVE-2025-53786"):
        st = next(c for c in a.cves if c.cve == cve)
        assert st.status == "fixed_config_required", cve
        assert st.config_note
        assert "configuration to verify" in st.reason


def test_cve_2024_21410_on_2019_cu13_has_no_build_fix() -> None:
    st = next(c for c in assess_build("15.2.1258.39", on=TODAY).cves if c.cve == "CVE-2024-21410")
    assert st.status == "vulnerable"
    assert st.fixed_in == "15.2.1544.4"
    assert "Extended Protection" in st.reason


def test_cve_2026_42897_june_versus_july() -> None:
    st = next(c for c in assess_build("15.2.2562.43", on=TODAY).cves if c.cve == "CVE-2026-42897")
    assert st.status == "fixed"
    assert any("July 2026" in n for n in st.notes)


def test_unknown_build_in_known_cu_is_compared_within_the_cu() -> None:
    a = assess_build("15.1.2507.74", on=TODAY)
    assert not a.build_known
    assert a.cu_line == "CU23"
    assert a.nearest_known_build == "15.1.2507.73"
    assert any("not in the build table" in n for n in a.notes)
    assert a.status_of("CVE-2022-41040") == "fixed"


def test_build_in_unknown_cu_line_is_unknown() -> None:
    a = assess_build("15.1.2400.1", on=TODAY)
    assert a.cu_line is None
    assert set(c.status for c in a.cves) == {"unknown"}
    assert "not in the build table" in a.cves[0].reason
    assert assess_build("8.3.1.1").product is None


def test_cu_only_precision_never_claims_su_level() -> None:
    a = assess_build("15.1.2375", on=TODAY)  # OWA path: CU22
    assert a.precision == "cu"
    assert a.status_of("CVE-2021-26855") == "fixed"  # CU22 is after CU20
    assert a.status_of("CVE-2022-41040") == "unknown"  # depends on the SU
    assert a.status_of("CVE-2026-62910") == "vulnerable"  # CU22 never got it


def test_on_date_leaves_out_later_cves() -> None:
    a = assess_build("15.1.2176.2", on=date(2021, 3, 5))
    assert a.status_of("CVE-2021-26855") == "vulnerable"
    assert a.status_of("CVE-2022-41040") is None
    assert any("published after 2021-03-05" in n for n in a.notes)


def test_to_json_is_plain_and_serialisable() -> None:
    doc = assess_build("15.1.2176.2", on=TODAY).to_json()
    text = json.dumps(doc)
    assert json.loads(text)["build"] == "15.1.2176.2"
    assert set(doc["counts"]) == set(STATUSES)
    assert doc["families"]["ProxyLogon"] == "vulnerable"
    assert doc["support"]["status"] == "end_of_life"
