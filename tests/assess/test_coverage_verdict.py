"""Coverage statements against exploitation periods, and the overall verdict rules."""

from __future__ import annotations

from datetime import UTC, datetime

from lekdicht.assess.coverage import compute_coverage, load_periods
from lekdicht.assess.verdict import apply_corroboration, decide
from lekdicht.model import Evidence, Finding, OverallVerdict, Severity, Verdict


def _t(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=UTC)


def _finding(verdict: Verdict, severity: Severity = Severity.HIGH, corroborate: bool = False) -> Finding:
    return Finding(
        rule_id="X",
        title=f"rule {verdict.value}",
        verdict=verdict,
        severity=severity,
        artefact_kind="iis.w3c",
        evidence=Evidence(path="a.log", line=1),
        requires_corroboration=corroborate,
    )


def test_periods_data_loads_with_proxylogon_first() -> None:
    periods = load_periods()
    assert periods[0].chain == "ProxyLogon"
    assert str(periods[0].start) == "2021-01-06"
    assert all(p.families for p in periods)


def test_logs_starting_late_say_so_plainly() -> None:
    cov = compute_coverage([("httpproxy", _t("2021-03-01T00:00:00"), _t("2021-03-31T00:00:00"))])
    pl = next(c for c in cov.chains if c.chain == "ProxyLogon")
    assert pl.status == "partial"
    assert "2021-03-01" in pl.statement and "cannot show" in pl.statement
    ps = next(c for c in cov.chains if c.chain == "ProxyShell")
    assert ps.status == "none"  # the logs end before ProxyShell began
    assert "cannot show" in ps.statement


def test_logs_reaching_back_cover_the_chain() -> None:
    cov = compute_coverage([("iis", _t("2020-12-01T00:00:00"), _t("2023-01-01T00:00:00"))])
    assert {c.chain: c.status for c in cov.chains}["ProxyLogon"] == "covered"
    assert {c.chain: c.status for c in cov.chains}["OWASSRF"] == "covered"


def test_family_irrelevant_to_a_chain_does_not_cover_it() -> None:
    cov = compute_coverage([("messagetracking", _t("2020-01-01T00:00:00"), _t("2024-01-01T00:00:00"))])
    assert all(c.status == "none" for c in cov.chains)


def test_verdict_order_and_reasons() -> None:
    cov = compute_coverage([("iis", _t("2020-12-01T00:00:00"), _t("2023-01-01T00:00:00"))])
    assert (
        decide([_finding(Verdict.EXPLOITED), _finding(Verdict.ATTEMPTED)], cov).verdict
        is OverallVerdict.COMPROMISED
    )
    assert decide([_finding(Verdict.ATTEMPTED)], cov).verdict is OverallVerdict.ATTEMPTED
    assert decide([_finding(Verdict.SUSPICIOUS)], cov).verdict is OverallVerdict.INCONCLUSIVE
    assert decide([_finding(Verdict.PROBE)], cov).verdict is OverallVerdict.CLEAN
    assert (
        decide([], cov, "The build is vulnerable to ProxyLogon.", build_known=True).verdict
        is OverallVerdict.VULNERABLE
    )
    clean = decide([], cov, build_known=True)
    assert clean.verdict is OverallVerdict.CLEAN and "No evidence" in clean.reasons[0]
    assert clean.counts["exploited"] == 0


def test_no_logs_is_inconclusive_not_clean() -> None:
    result = decide([], compute_coverage([]))
    assert result.verdict is OverallVerdict.INCONCLUSIVE
    assert any("No Exchange, IIS or Windows event logs" in r for r in result.reasons)


def test_corroboration_demotes_lonely_archives_only() -> None:
    lonely = [_finding(Verdict.SUSPICIOUS, Severity.MEDIUM, corroborate=True)]
    apply_corroboration(lonely)
    assert lonely[0].verdict is Verdict.INFO and "review only" in lonely[0].description
    backed = [_finding(Verdict.SUSPICIOUS, Severity.MEDIUM, corroborate=True), _finding(Verdict.EXPLOITED)]
    apply_corroboration(backed)
    assert backed[0].verdict is Verdict.SUSPICIOUS


def test_periods_agree_with_the_cve_table() -> None:
    import csv
    from importlib import resources

    text = resources.files("lekdicht.versions").joinpath("data", "cve-info.csv").read_text("utf-8")
    starts = {
        r["cve"]: r["exploitation_start"]
        for r in csv.DictReader(text.splitlines())
        if r["exploitation_start"]
    }
    for period in load_periods():
        known = [starts[c] for c in period.cves if c in starts]
        if known:
            assert str(period.start) == min(known), period.chain
