"""Facts about the scanned server: host name, build, product, support status, exposure per CVE."""

from __future__ import annotations

from collections import Counter
from typing import Any

from lekdicht.scan.pipeline import ScanData


def hostname_of(data: ScanData) -> str | None:
    """The host name most log files agree on."""
    names = Counter(r.hostname for r in data.log_results if r.hostname)
    return names.most_common(1)[0][0] if names else None


def server_facts(data: ScanData) -> dict[str, Any]:
    """The report's ``server`` section."""
    return {
        "hostname": hostname_of(data),
        "build": None,
        "product": None,
        "support_status": None,
        "exposure": [],
        "patch_history": None,
        "mitigations": [],
    }
