"""Plain sentences about the server's patch level and its exposure windows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# Exploited-in-the-wild families named first when a build is vulnerable to many CVEs.
_HEADLINE = ("ProxyLogon", "ProxyShell", "ProxyNotShell", "OWASSRF", "ProxyToken")


def vulnerability_sentence(server: dict[str, Any]) -> str | None:
    """One sentence when the current build is vulnerable, else None."""
    vulnerable = [c for c in server.get("exposure", []) if c.get("status") == "vulnerable"]
    if not vulnerable:
        return None
    families: list[str] = []
    for c in vulnerable:
        for fam in c.get("families") or [c.get("name") or c["cve"]]:
            if fam not in families:
                families.append(fam)
    ordered = [f for f in _HEADLINE if f in families] + [f for f in families if f not in _HEADLINE]
    named = ", ".join(ordered[:6]) + (f" and {len(ordered) - 6} more" if len(ordered) > 6 else "")
    exploited = sum(1 for c in vulnerable if c.get("exploited"))
    product = " ".join(x for x in (server.get("product"), server.get("cu")) if x)
    return (
        f"The installed build {server['build']}{f' ({product})' if product else ''} is vulnerable to "
        f"{len(vulnerable)} CVE(s), {exploited} of them exploited in the wild: {named}."
    )


def window_sentences(windows: Sequence[dict[str, Any]], last_evidence: str | None) -> list[str]:
    """For each headline chain: since when the server was exposed, and until when.

    Windows that would start after the evidence ends say nothing the evidence shows, so are left out
    (the vulnerability sentence covers the current build).
    """
    out: list[str] = []
    seen: set[str] = set()
    for w in windows:
        fam = (w.get("families") or [w.get("name") or w.get("cve")])[0]
        if fam in seen or fam not in _HEADLINE or not w.get("exploited") or not w.get("exposed_from"):
            continue
        if last_evidence and str(w["exposed_from"]) > last_evidence:
            continue
        seen.add(fam)
        start = str(w["exposed_from"])[:10]
        if w.get("still_vulnerable"):
            out.append(
                f"Exposed to {fam} since at least {start} and still vulnerable at the end of the evidence."
            )
        elif w.get("exposed_until"):
            out.append(
                f"Exposed to {fam} from {start} until the patch seen on {str(w['exposed_until'])[:10]}: "
                "an intrusion in that window remains possible."
            )
    return out
