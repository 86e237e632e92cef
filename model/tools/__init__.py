"""Tools on top of everything: the command line, checks and the manifest, report, diagrams, exports.

* :mod:`.cli`: ``hvr-model`` (check, manifest, trace check, fuzz, diagrams, traceability, configs, mutants).
* :mod:`.verification`: :func:`check_config`, a configuration (or mutant) against the specs.
* :mod:`.manifest`: runs ``specs/manifest.toml``.
* :mod:`.traceability`: the requirements traceability table (``specs/traceability.md``).
* :mod:`.report`, :mod:`.diagrams`, :mod:`.projection`, :mod:`.exports`: what a check leaves behind.
"""
