"""Facts about the scanned server: host name, build and patch history, exposure per CVE, mitigations."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from lekdicht.catalog.kinds import ArtefactKind
from lekdicht.scan.pipeline import CatalogEntry, ScanData
from lekdicht.versions.builds import BuildParseError, parse_build
from lekdicht.versions.exposure import assess_build
from lekdicht.versions.history import BuildObservation, PatchHistory, build_history, exposure_windows
from lekdicht.versions.mitigations import check_mitigations, combine_mitigations
from lekdicht.versions.pe_version import PeVersionError, read_pe_version

MAX_CONFIG_BYTES = 16 * 1024 * 1024
# Exchange logs whose #Version header is the build of the server that wrote them.
_BUILD_HEADER_KINDS = {
    ArtefactKind.HTTPPROXY,
    ArtefactKind.EWS,
    ArtefactKind.RPS_HTTP,
    ArtefactKind.RPS_CMDLET,
    ArtefactKind.MESSAGE_TRACKING,
    ArtefactKind.EXCHANGE_OTHER,
    ArtefactKind.ECP_SERVER,
    ArtefactKind.ECP_ACTIVITY,
}


def hostname_of(data: ScanData) -> str | None:
    """The host name most log files agree on."""
    names = Counter(r.hostname for r in data.log_results if r.hostname)
    return names.most_common(1)[0][0] if names else None


def build_observations(data: ScanData) -> tuple[list[BuildObservation], list[str]]:
    """Builds seen in log headers (with the file's time span) and in ExSetup.exe; plus notes."""
    observations: list[BuildObservation] = []
    notes: list[str] = []
    for r in data.log_results:
        if r.kind not in _BUILD_HEADER_KINDS or r.error:
            continue
        for version in r.stats.header_versions:
            try:
                if parse_build(version).is_placeholder:
                    continue
            except BuildParseError:
                continue
            observations.append(
                BuildObservation(version, r.stats.first_timestamp, r.stats.last_timestamp, r.relpath)
            )
    for entry in _exsetup_files(data.catalog):
        try:
            pe = read_pe_version(entry.file.local)
        except (PeVersionError, OSError) as exc:
            notes.append(f"{entry.file.relpath}: version resource not readable ({exc})")
            continue
        observations.append(BuildObservation(pe.file_version, None, None, entry.file.relpath))
    return observations, notes


def _exsetup_files(catalog: list[CatalogEntry]) -> list[CatalogEntry]:
    return [e for e in catalog if e.file.relpath.lower().rsplit("/", 1)[-1] == "exsetup.exe"]


def _mitigations(data: ScanData, build: str | None) -> list[dict[str, Any]]:
    results = []
    for entry in data.catalog:
        if entry.kind is not ArtefactKind.IIS_CONFIG or entry.file.size > MAX_CONFIG_BYTES:
            continue
        try:
            raw = entry.file.local.read_bytes()
            mtime = datetime.fromtimestamp(entry.file.local.stat().st_mtime, tz=UTC)
        except OSError as exc:
            data.errors.append({"path": entry.file.relpath, "error": f"cannot read: {exc.strerror or exc}"})
            continue
        results.append(check_mitigations(raw, entry.file.relpath, build, mtime))
    if not results:
        return []
    return [m.to_json() for m in combine_mitigations(results)]


def server_facts(data: ScanData, now: datetime | None = None) -> dict[str, Any]:
    """The report's ``server`` section."""
    observations, notes = build_observations(data)
    history: PatchHistory = build_history(observations)
    build = history.current_build
    facts: dict[str, Any] = {
        "hostname": hostname_of(data),
        "build": build,
        "build_source": history.current_source,
        "product": None,
        "cu": None,
        "support_status": None,
        "exposure": [],
        "exposure_windows": [],
        "patch_history": history.to_json(),
        "mitigations": _mitigations(data, build),
        "notes": notes,
    }
    if build is None:
        return facts
    assessment = assess_build(build, on=(now or datetime.now(UTC)).date()).to_json()
    facts.update(
        product=assessment.get("product"),
        cu=assessment.get("release_name"),
        support_status=assessment.get("support"),
        exposure=assessment.get("cves", []),
        exposure_notes=assessment.get("notes", []),
    )
    # Windows run until the end of the evidence: what happened after it is not known (and this keeps
    # the report the same for the same evidence).
    as_of = history.last_evidence or now
    facts["exposure_windows"] = [w.to_json() for w in exposure_windows(history, now=as_of)]
    return facts
