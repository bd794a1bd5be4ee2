"""The overall verdict of a scan, with its reasons in plain words."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lekdicht.assess.coverage import Coverage
from lekdicht.model import Finding, OverallVerdict, Severity, Verdict

CORROBORATING = {Verdict.EXPLOITED, Verdict.SUSPICIOUS, Verdict.ATTEMPTED}


@dataclass(slots=True)
class VerdictResult:
    """Overall verdict, the reasons for it, and counts per finding tier."""

    verdict: OverallVerdict
    reasons: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"overall": self.verdict.value, "reasons": list(self.reasons), "counts": dict(self.counts)}


def apply_corroboration(findings: Sequence[Finding]) -> None:
    """Demote findings that need other evidence (archives, dumps on disk) to info when there is none."""
    corroborated = any(
        f.verdict in CORROBORATING
        and not f.requires_corroboration
        and f.severity.rank >= Severity.MEDIUM.rank
        for f in findings
    )
    if corroborated:
        return
    for f in findings:
        if f.requires_corroboration and f.verdict is not Verdict.INFO:
            f.description = (f.description + " " if f.description else "") + (
                f"[Shown for review only: rated {f.verdict.value} when other evidence of an intrusion "
                "exists; "
                "none was found.]"
            )
            f.verdict = Verdict.INFO


def decide(
    findings: Sequence[Finding],
    coverage: Coverage,
    vulnerability: str | None = None,
    build_known: bool = False,
    exposure_notes: Sequence[str] = (),
) -> VerdictResult:
    """Pick the overall verdict. Order: compromised, needs review, attempted, vulnerable, clean."""
    counts = Counter(f.verdict.value for f in findings)
    result = VerdictResult(OverallVerdict.CLEAN, counts={v.value: counts.get(v.value, 0) for v in Verdict})
    exploited = [f for f in findings if f.verdict is Verdict.EXPLOITED]
    suspicious = [
        f for f in findings if f.verdict is Verdict.SUSPICIOUS and f.severity.rank >= Severity.MEDIUM.rank
    ]
    attempted = [f for f in findings if f.verdict is Verdict.ATTEMPTED]
    probes = [f for f in findings if f.verdict is Verdict.PROBE]
    reasons = result.reasons

    if exploited:
        result.verdict = OverallVerdict.COMPROMISED
        reasons.append(_summarise(exploited, "evidence of a successful intrusion"))
    if suspicious:
        if result.verdict is OverallVerdict.CLEAN:
            result.verdict = OverallVerdict.INCONCLUSIVE
        reasons.append(_summarise(suspicious, "suspicious traces that need a specialist's review"))
    if attempted:
        if result.verdict is OverallVerdict.CLEAN:
            result.verdict = OverallVerdict.ATTEMPTED
        reasons.append(_summarise(attempted, "exploitation attempts that did not (visibly) succeed"))
    if probes:
        reasons.append(_summarise(probes, "vulnerability scanner probes (not an intrusion)"))
    if vulnerability:
        if result.verdict is OverallVerdict.CLEAN:
            result.verdict = OverallVerdict.VULNERABLE
        reasons.append(vulnerability)
    elif not build_known:
        reasons.append("The Exchange build could not be determined from the evidence; patch level unknown.")

    reasons.extend(exposure_notes)
    if not coverage.any_logs:
        if result.verdict in (OverallVerdict.CLEAN, OverallVerdict.VULNERABLE):
            result.verdict = OverallVerdict.INCONCLUSIVE
        reasons.append(
            "No Exchange, IIS or Windows event logs were found: the scan cannot see an intrusion in logs."
        )
    else:
        for chain in coverage.chains:
            if chain.status != "covered":
                reasons.append(chain.statement)
    if result.verdict is OverallVerdict.CLEAN:
        reasons.insert(0, "No evidence of exploitation or backdoors was found in the evidence scanned.")
    return result


def _summarise(findings: Sequence[Finding], what: str) -> str:
    rules = Counter(f.title for f in findings)
    top = "; ".join(f"{title} ({n}×)" for title, n in rules.most_common(3))
    more = f"; and {len(rules) - 3} more kinds" if len(rules) > 3 else ""
    return f"{len(findings)} finding(s) with {what}: {top}{more}."
