"""Rules stage: the Sigma engine and the rule content.

* :mod:`lekdicht.rules.ruleset` -- :class:`~lekdicht.rules.ruleset.RuleSet`: load, route by
  logsource, summarise.
* :mod:`lekdicht.rules.loader` -- read rule folders, report every unusable rule.
* :mod:`lekdicht.rules.compiler` -- one pySigma rule to a fast predicate with exact Sigma semantics.
* :mod:`lekdicht.rules.literals` -- prefilter literals derived from a condition tree.
* :mod:`lekdicht.rules.prefilter` -- the line selector (hyperscan, or ``re``).
* :mod:`lekdicht.rules.fieldmap` / ``fieldmap.yml`` -- field aliases per logsource.
* :mod:`lekdicht.rules.logsources` -- the logsources lekdicht can feed.

Rule content is data: ``sigma/`` (Sigma YAML) and ``yara/``.
"""
