"""mitigate stage: plan, apply, verify and roll back temporary mitigations; quarantine webshells.

Entry points: ``catalog.select_interims`` (which interim mitigations a build needs),
``configedit.plan_edit``/``remove_ours`` (text-preserving edits of IIS configuration files),
``store.apply_file``/``rollback_file``/``verify_file`` (backups, atomic writes, state),
``scripts.build_scripts`` (PowerShell for steps outside IIS, with undo),
``quarantine.select_targets``/``quarantine_files``, and the click objects
``cli.mitigate_group`` and ``cli.quarantine_command``.

Mitigation definitions and the strong/weak/missing checker are reused from
:mod:`lekdicht.versions.mitigations`; nothing here duplicates them.
"""

from lekdicht.mitigate.cli import mitigate_group, quarantine_command

__all__ = ["mitigate_group", "quarantine_command"]
