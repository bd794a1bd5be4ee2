"""The Art. 33(5) breach register: one JSON object per line, appended, never rewritten.

Each entry documents the facts, the effects, the remedial action and the reasoning of the decision
as known at that moment, with the provenance of each value; later runs append new entries, so the
register shows how the assessment developed (Art. 33(4) phased information).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from lekdicht.breach.assessment import BreachAssessment
from lekdicht.breach.provenance import derived

REGISTER_SCHEMA = "lekdicht.breach-register/1"


def register_entry(a: BreachAssessment, outputs: dict[str, str] | None = None) -> dict[str, Any]:
    """The register entry for an assessment."""
    f = a.facts
    ref = a.answer("reference")
    if ref.is_missing:
        ref = derived(
            f"lekdicht-{(f.report_sha256 or 'unknown')[:12]}",
            "report.json SHA-256",
            "no 'reference' given: derived from the report",
        )
    s = a.severity
    d = a.decision
    return {
        "schema": REGISTER_SCHEMA,
        "recorded_at": a.generated_at.isoformat(),
        "reference": ref.to_json(),
        "status": "complete" if a.complete else "incomplete",
        "organisation": a.answer("organisation.name").to_json(),
        "facts": {
            "server": f.hostname.to_json(),
            "scan_verdict": f.verdict.to_json(),
            "breach_start": a.breach_start.to_json(),
            "breach_end": a.breach_end.to_json(),
            "discovered_at": a.answer("timeline.discovered_at").to_json(),
            "aware_at": a.answer("timeline.aware_at").to_json(),
            "how_discovered": a.answer("timeline.how_discovered").to_json(),
            "scope": {k: v.to_json() for k, v in a.scope.items()},
            "personal_data": [v.to_json() for v in [*a.categories.values(), *a.special_categories.values()]],
            "data_subjects": {
                "groups": a.answer("data_subjects.groups").to_json(),
                "count": a.answer("data_subjects.count").to_json(),
            },
            "records": a.answer("personal_data.records").to_json(),
        },
        "effects": {
            "nature": {k: v.to_json() for k, v in a.nature.items()},
            "consequences_for_subjects": [v.to_json() for v in a.consequences_subjects],
            "enisa": {"se": s.se, "level": s.level, "range": [s.se_min, s.se_max], "missing": s.missing},
            "ap_severity": a.ap_level.to_json(),
        },
        "remedial_action": {
            "taken": a.answer("measures.taken").to_json(),
            "planned": a.answer("measures.planned").to_json(),
        },
        "decision": {
            "risk_to_rights": d.risk,
            "notify_authority": d.notify_sa,
            "inform_data_subjects": d.inform_subjects,
            "rationale": d.rationale,
            "closest_edpb_case": d.analogue.case.id if d.analogue else None,
            "dpo_advice": a.answer("decision.dpo_advice").to_json(),
            "decided_by": a.answer("decision.decided_by").to_json(),
            "decided_at": a.answer("decision.decided_at").to_json(),
        },
        "notification": {
            "deadline": a.deadline.deadline.isoformat() if a.deadline else None,
            "deadline_passed": a.deadline.passed if a.deadline else None,
            "notified_at": a.answer("notification.notified_at").to_json(),
            "late_reason": a.answer("notification.late_reason").to_json(),
            "subjects_informed": a.answer("communication.status").to_json(),
        },
        "missing": [m.key for m in a.missing],
        "report": {"path": str(f.report_path) if f.report_path else None, "sha256": f.report_sha256},
        "outputs": outputs or {},
    }


def append_register(path: Path, entry: dict[str, Any]) -> int:
    """Append ``entry`` as one line to the register at ``path``; returns the number of entries now in it.

    The file is opened for appending only (never truncated or rewritten); a last line without a
    newline is closed first so the new entry starts on its own line.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(entry, ensure_ascii=False, sort_keys=True)
    with path.open("ab") as fh:
        if fh.tell() > 0:
            with path.open("rb") as rd:
                rd.seek(-1, os.SEEK_END)
                if rd.read(1) != b"\n":
                    fh.write(b"\n")
        fh.write(line.encode("utf-8") + b"\n")
    with path.open("rb") as rd:
        return sum(1 for raw in rd if raw.strip())
