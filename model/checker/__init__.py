"""The generic, domain-free checker: anyone's model, explored and checked.

A model is what stateright calls a ``Model``: ``initial_states()`` and
``successors(state)`` (action label, next state), optionally ``config`` and
``action(label)``. This layer imports nothing from the Hyper-V model above it.

* :mod:`.explorer` / :mod:`.exploration` / :mod:`.store`: breadth-first exploration into a
  compact state graph with shortest labelled paths, invariants and deadlocks.
* :mod:`.tables`: declarative machine tables (``transitions`` rows), validated when built.
* :mod:`.product`: synchronous-product composition of tables into a successor function.
* :mod:`.properties` / :mod:`.checking`: property kinds (always, sometimes, step claims,
  whole-graph claims) and the generic :func:`check`.
* :mod:`.graphs`: graph algorithms for whole-graph claims.
* :mod:`.mutation`: patches that build broken variants of a model's tables.
* :mod:`.harness`: a generic Hypothesis stateful harness over a model.
* :mod:`.manifest`: the manifest format (configurations x mutants x pinned results).

>>> from hvr_model.checker import Always, check
>>> class Ring:
...     def initial_states(self):
...         return [0]
...     def successors(self, n):
...         return [("next", (n + 1) % 3)]
>>> check(Ring(), [Always("in_range", (), "0..2", lambda n, config: 0 <= n < 3)]).holds
True
"""
from .checking import CheckResult, PropertyResult, check
from .errors import ModelError, SpecError
from .exploration import Exploration, Progress, Step
from .explorer import Successors, explore
from .manifest import Entry, differences, entries, render
from .mutation import Variant
from .store import StateGraph
from .product import Args, BoundEvent, EventRefused, Firing, Participant, SynchronousProduct
from .properties import (Always, AlwaysStep, Eventually, GraphClaim, LeadsTo, Property, Sometimes, SometimesStep,
                         VERDICTS)
from .tables import CompiledTransition, MachineSpec, TableError, compile_table, transition, validate_vocabulary

__all__ = ["explore", "Exploration", "Progress", "Step", "Successors", "MachineSpec", "CompiledTransition",
           "TableError", "transition", "compile_table", "validate_vocabulary", "SynchronousProduct", "Args",
           "BoundEvent", "Participant", "Firing", "EventRefused", "Always", "Sometimes", "AlwaysStep",
           "SometimesStep", "GraphClaim", "LeadsTo", "Eventually", "VERDICTS", "Property", "check", "CheckResult", "PropertyResult", "Variant",
           "state_machine", "Entry", "entries", "differences", "render", "ModelError", "SpecError", "StateGraph"]


def __getattr__(name: str):
    # The Hypothesis harness is loaded on first use: exploring needs no Hypothesis.
    if name == "state_machine":
        from .harness import state_machine
        return state_machine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
