"""Writing configuration files safely: backups, atomic replacement, the state file, rollback.

Next to the configuration file lekdicht keeps

* ``<file>.lekdicht-<UTC timestamp>.bak``: the exact bytes before each apply (and before a
  surgical rollback);
* ``<file>.lekdicht-state``: JSON (schema ``lekdicht.mitigate-state/1``) with one entry per apply:
  backup name, SHA-256 before and after, and the rules written. Neither name has an extension
  IIS serves (a site's web.config lives in a served folder).

Every write goes to a temporary file in the same folder, is flushed to disk, read back and
validated (defusedxml and the mitigation checker), and only then renamed over the original.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lekdicht.mitigate.catalog import MitigateError
from lekdicht.mitigate.configedit import DEFAULT_SITE, EditPlan, plan_edit, remove_ours
from lekdicht.mitigate.fileio import atomic_write, read_json_doc, write_json_doc
from lekdicht.mitigate.xmltext import XmlRefused, load_config_text
from lekdicht.versions.mitigations import MitigationStatus, check_mitigations

__all__ = [
    "ApplyResult",
    "RollbackResult",
    "apply_file",
    "atomic_write",
    "backup_path",
    "plan_file",
    "rollback_file",
    "state_path",
    "verify_file",
]

STATE_SCHEMA = "lekdicht.mitigate-state/1"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _stamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _iso(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def state_path(config: Path) -> Path:
    """``<file>.lekdicht-state`` next to the configuration file."""
    return config.with_name(config.name + ".lekdicht-state")


def backup_path(config: Path, now: datetime, suffix: str = "") -> Path:
    """A free ``<file>.lekdicht-<timestamp>[suffix].bak`` name next to the file."""
    base = f"{config.name}.lekdicht-{_stamp(now)}{suffix}"
    cand = config.with_name(base + ".bak")
    n = 2
    while cand.exists():
        cand = config.with_name(f"{base}-{n}.bak")
        n += 1
    return cand


def _write_backup(config: Path, data: bytes, now: datetime, suffix: str = "") -> Path:
    dest = backup_path(config, now, suffix)
    atomic_write(dest, data)
    if sha256(dest.read_bytes()) != sha256(data):
        raise MitigateError(f"backup {dest} does not match the original; nothing was changed")
    return dest


def load_state(config: Path) -> dict[str, Any] | None:
    """The state file's content, or None when lekdicht has not changed this file."""
    return read_json_doc(state_path(config), STATE_SCHEMA, "state file")


def _save_state(config: Path, doc: dict[str, Any]) -> None:
    write_json_doc(state_path(config), doc)


def _read(config: Path) -> bytes:
    try:
        return config.read_bytes()
    except OSError as exc:
        raise MitigateError(f"cannot read {config}: {exc.strerror or exc}") from exc


def plan_file(config: Path, mitigation_ids: Sequence[str], *, site: str = DEFAULT_SITE) -> EditPlan:
    """Plan the change for one file on disk; raises MitigateError for files lekdicht will not edit."""
    data = _read(config)
    try:
        return plan_edit(data, str(config), mitigation_ids, site=site)
    except XmlRefused as exc:
        raise MitigateError(f"refusing to edit {config}: {exc}; the file was not changed") from exc


def _validator(plan: EditPlan) -> Callable[[bytes], None]:
    def validate(data: bytes) -> None:
        try:
            load_config_text(data)
        except XmlRefused as exc:
            raise MitigateError(f"the written file does not validate: {exc}") from exc
        after = {s.mitigation_id: s.status for s in check_mitigations(data, plan.source)}
        planned = {s.mitigation_id: s.status for s in plan.after}
        for mid in plan.targeted:
            if after.get(mid) != planned.get(mid):
                raise MitigateError(f"the written file does not give the planned result for {mid}")

    return validate


@dataclass(slots=True)
class ApplyResult:
    """What ``apply`` did to one file."""

    plan: EditPlan
    written: bool
    backup: Path | None = None
    state: Path | None = None
    messages: list[str] = field(default_factory=list)


def apply_file(
    config: Path,
    mitigation_ids: Sequence[str],
    *,
    site: str = DEFAULT_SITE,
    build: str | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
) -> ApplyResult:
    """Make the planned change: backup, state entry, atomic write, validation. Idempotent:
    when the mitigations are already in place nothing is written."""
    when = now or datetime.now(UTC)
    plan = plan_file(config, mitigation_ids, site=site)
    if plan.problems:
        raise MitigateError(
            f"refusing to change {config}:\n  - "
            + "\n  - ".join(plan.problems)
            + "\nthe file was not changed"
        )
    if not plan.changed or dry_run:
        return ApplyResult(plan=plan, written=False)
    original = plan.config.raw
    new = plan.new_bytes
    backup = _write_backup(config, original, when)
    state = load_state(config) or {"schema": STATE_SCHEMA, "config": str(config), "applies": []}
    entry = {
        "applied_at": _iso(when),
        "backup": backup.name,
        "sha256_before": sha256(original),
        "sha256_after": sha256(new),
        "build": build,
        "site": site,
        "mitigations": list(plan.targeted),
        "records": plan.records,
        "created": plan.created,
    }
    state["applies"].append(entry)
    _save_state(config, state)
    if sha256(_read(config)) != entry["sha256_before"]:
        state["applies"].pop()
        _save_state(config, state)
        raise MitigateError(f"{config} changed while lekdicht was preparing the change; nothing was written")
    try:
        atomic_write(config, new, validate=_validator(plan), mode_from=config)
    except BaseException:
        state["applies"].pop()
        _save_state(config, state)
        raise
    if sha256(_read(config)) != entry["sha256_after"]:
        atomic_write(config, original, mode_from=config)
        raise MitigateError(f"{config} did not read back as written; the original was restored from {backup}")
    return ApplyResult(plan=plan, written=True, backup=backup, state=state_path(config))


@dataclass(slots=True)
class RollbackResult:
    """What ``rollback`` did."""

    config: Path
    restored_from: list[Path] = field(default_factory=list)
    surgical: bool = False
    removed: list[str] = field(default_factory=list)
    restored_rules: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    backup: Path | None = None
    nothing: bool = False


def rollback_file(config: Path, *, now: datetime | None = None) -> RollbackResult:
    """Undo every lekdicht apply on ``config``, newest first.

    While the file is byte-identical to what an apply wrote, it is restored byte for byte from
    that apply's backup. Once it has been changed by someone else, only lekdicht's rules are
    taken out (rules they replaced are put back) and the other edits stay.
    """
    when = now or datetime.now(UTC)
    result = RollbackResult(config=config)
    state = load_state(config)
    if state is None or not state.get("applies"):
        result.nothing = True
        return result
    entries: list[dict[str, Any]] = list(state["applies"])
    current = _read(config)
    while entries:
        entry = entries[-1]
        digest = sha256(current)
        if digest == entry["sha256_after"]:
            bak = config.with_name(str(entry["backup"]))
            try:
                data = bak.read_bytes()
            except OSError as exc:
                raise MitigateError(f"backup {bak} cannot be read ({exc}); nothing was rolled back") from exc
            if sha256(data) != entry["sha256_before"]:
                raise MitigateError(
                    f"backup {bak} does not match the state file; nothing more was rolled back"
                )
            atomic_write(config, data, mode_from=config)
            current = data
            result.restored_from.append(bak)
        elif digest != entry["sha256_before"]:
            break
        entries.pop()
        state["applies"] = list(entries)
        _save_state(config, state)
    if entries:
        records = [r for e in entries for r in e.get("records", [])]
        created = [c for e in entries for c in e.get("created", [])]
        try:
            removal = remove_ours(current, records, created)
        except XmlRefused as exc:
            raise MitigateError(
                f"cannot take lekdicht's rules out of {config}: {exc}; the file was not changed"
            ) from exc
        result.surgical = True
        result.removed, result.restored_rules, result.left = removal.removed, removal.restored, removal.left
        if removal.data != current:
            result.backup = _write_backup(config, current, when, ".pre-rollback")

            def validate(data: bytes) -> None:
                try:
                    load_config_text(data)
                except XmlRefused as exc:
                    raise MitigateError(f"the rolled-back file does not validate: {exc}") from exc

            atomic_write(config, removal.data, validate=validate, mode_from=config)
        state["applies"] = []
        _save_state(config, state)
    with contextlib.suppress(FileNotFoundError):
        state_path(config).unlink()
    return result


def verify_file(config: Path, build: str | None = None) -> list[MitigationStatus]:
    """The checker's view of one file (no change is made)."""
    data = _read(config)
    mtime = datetime.fromtimestamp(config.stat().st_mtime, UTC)
    return check_mitigations(data, str(config), build, mtime)
