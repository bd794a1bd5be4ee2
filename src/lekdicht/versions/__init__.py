"""versions stage: build and CVE tables (data files with sources), per-CVE exposure, support
status, patch history from evidence, ExSetup.exe version, IIS mitigation checks, remote probing.

Entry points: ``builds.parse_build``/``lookup_build``/``support_status``, ``exposure.assess_build``,
``history.build_history``/``exposure_windows``, ``pe_version.read_pe_version``,
``mitigations.check_mitigations``/``combine_mitigations``, ``probe.probe_hosts``, and the click
commands ``cli.check_command`` and ``cli.probe_command``.
"""
