"""Conformance kit for DR implementations: the reference oracle, trace checking, fuzzing, pytest helpers.

* :mod:`.oracle`: drive the model event by event; ask what is allowed and why.
* :mod:`.traces`: check a JSON Lines event log against the model (full or partial observation).
* :mod:`.itf`: typed ITF (Apalache/Quint) states and traces; replay an exported ITF trace.
* :mod:`.fuzz` (with :mod:`.implementation`, :mod:`.fuzz_traces`): Hypothesis fuzzing of the model
  and of an implementation under test.
* :mod:`.testing`: ``assert_conforms`` for pytest.
"""
from .oracle import Oracle, Refused, UnknownEvent
from .testing import assert_conforms
from .traces import TraceMalformed, check_trace
from .itf import check_itf_trace

__all__ = ["Oracle", "Refused", "UnknownEvent", "check_trace", "check_itf_trace", "TraceMalformed", "assert_conforms"]
