"""Symmetry reduction: explore one representative per class of interchangeable states.

A model whose components are interchangeable (resource managers of two-phase
commit, VMs with identical settings) offers ``canonical(state)``: the
representative of the state's class, for example the state with the records of
interchangeable components sorted. The explorer then stores and expands only
representatives (exact reduction, as in TLC's SYMMETRY and stateright's
``symmetry()``), which is sound for properties that do not tell the
interchangeable components apart:

* invariants must be *symmetric*: :class:`SymmetryCheck` evaluates them on a
  sample of states and their representatives and refuses an asymmetric one;
* paths found in the reduced graph go through representatives, and each of its
  labels was taken from a representative; :func:`concretize` replays a path
  from the real initial state, choosing at each step a transition that leads to
  the next representative's class, so a counterexample is a run of the model.

>>> from hvr_model.checker.explorer import explore
>>> def successors(pair):                 # two counters that may each count to 2
...     a, b = pair
...     return [(f"inc{i}", nxt) for i, nxt in ((0, (a + 1, b)), (1, (a, b + 1))) if max(nxt) <= 2]
>>> canonical = lambda pair: tuple(sorted(pair))
>>> explore([(0, 0)], successors).states, explore([(0, 0)], successors, canonical=canonical).states
(9, 6)
>>> reduced = explore([(0, 0)], successors, canonical=canonical)
>>> [(s.action, s.state) for s in concretize(reduced.path_to((1, 2)), [(0, 0)], successors, canonical)]
[(None, (0, 0)), ('inc0', (1, 0)), ('inc1', (1, 1)), ('inc0', (2, 1))]
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from .errors import ModelError
from .exploration import Step

__all__ = ["SymmetryCheck", "concretize"]

#: How many non-trivial canonicalizations are used to test the invariants' symmetry.
SAMPLE = 2000


class SymmetryCheck:
    """``canonical`` that also checks, on its first non-trivial uses, that the invariants are symmetric.

    Raises
    ------
    ModelError
        An invariant gives different answers on a state and on its representative.
    """

    def __init__(self, canonical: Callable[[Any], Any], invariants: Mapping[str, Callable[[Any], bool]],
                 sample: int = SAMPLE):
        self.canonical, self.invariants, self.left = canonical, list(invariants.items()), sample

    def __call__(self, state: Any) -> Any:
        rep = self.canonical(state)
        if self.left and rep != state:
            self.left -= 1
            for name, holds in self.invariants:
                if bool(holds(state)) != bool(holds(rep)):
                    raise ModelError(f"invariant {name} is not symmetric: it tells {state!r} and its "
                                     f"representative {rep!r} apart; check it without symmetry reduction")
        return rep


def concretize(path: Sequence[Step], initial_states: Iterable, successors: Callable[[Any], Iterable],
               canonical: Callable[[Any], Any]) -> list[Step]:
    """A run of the model through the classes of ``path`` (a path of representatives).

    Starts from the initial state whose class is the path's first state; at each
    step takes the first transition whose target is in the next step's class.

    Raises
    ------
    ModelError
        No such transition: ``canonical`` does not respect the model's symmetry.
    """
    first = canonical(path[0].state)
    state = next((s for s in initial_states if canonical(s) == first), None)
    if state is None:
        raise ModelError("no initial state is in the class of the path's first state")
    out = [Step(None, state)]
    for step in path[1:]:
        target = canonical(step.state)
        found = next(((label, nxt) for label, nxt in successors(state) if canonical(nxt) == target), None)
        if found is None:
            raise ModelError(f"no transition from {state!r} reaches the class of {step.state!r}: "
                             f"canonical() does not respect the model's symmetry")
        state = found[1]
        out.append(Step(*found))
    return out
