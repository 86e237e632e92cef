"""One partition of a hash-partitioned, level-synchronous breadth-first search (TLC's fingerprint-server idea).

Each of ``n`` workers owns the states whose fingerprint maps to it: it keeps
their fingerprints (and parents) in its own
:class:`~hvr_model.checker.fingerprints.FingerprintTable` and expands its share
of each level. A successor is first offered to its owner as a fingerprint only;
the owner answers which offers are new, and only those states travel. Four
exchanges make a level (:meth:`PartitionWorker.expand`, :meth:`offer`,
:meth:`ship`, :meth:`accept`), driven by :mod:`hvr_model.checker.parallel` over
processes on one machine or Ray actors on a cluster; this class knows no
transport.

Fingerprints depend on Python's string hashing, so every worker of a search
must run with the same hash seed (forked processes inherit it; Ray workers get
``PYTHONHASHSEED`` pinned), and everything that compares fingerprints, paths
included, is computed by the workers.
"""
from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import numpy as np

from .exploration import Step
from .fingerprints import FingerprintTable, fingerprint, stable_fingerprint
from .safety import Claims, _Replay, expand_state

__all__ = ["PartitionWorker", "owner_of", "Checks"]

#: What a worker checks: built in the worker from the model, so nothing unpicklable travels.
Checks = Callable[[Any], dict]


def owner_of(keys: np.ndarray, workers: int) -> np.ndarray:
    """The worker that owns each fingerprint (the top bits, well mixed by the hash)."""
    with np.errstate(over="ignore"):
        return ((keys * np.uint64(0x9E37_79B9_7F4A_7C15)) >> np.uint64(40)) % np.uint64(workers)


class PartitionWorker:
    """The states one worker owns, its share of each level, and the claims it checks.

    ``make_model()`` builds the model in the worker; ``make_checks(model)`` returns a dict
    with ``invariants``, ``step_checks``, ``reach``, ``reach_steps`` (as for
    :func:`hvr_model.checker.safety.explore_fingerprints`), ``event_of``, ``canonical``
    and ``is_terminal``.
    """

    def __init__(self, index: int, workers: int, make_model: Callable[[], Any], make_checks: Checks,
                 stable: bool = False):
        self.index, self.workers = index, workers
        # Workers that did not fork from one process must fingerprint without hash().
        self.fingerprint = stable_fingerprint if stable else fingerprint
        self.model = make_model()
        checks = make_checks(self.model)
        self.claims = Claims(checks["invariants"], checks["step_checks"], checks["reach"], checks["reach_steps"],
                             checks["event_of"])
        self.canonical, self.is_terminal = checks.get("canonical"), checks.get("is_terminal")
        self.table = FingerprintTable()
        self.frontier: list = []
        self.generated: dict[int, Any] = {}     # fingerprint -> a state this worker generated this level
        self.deadlock: int | None = None
        self.edges = 0

    def _rep(self, state):
        return self.canonical(state) if self.canonical else state

    # -- one level: expand, offer, ship, accept -------------------------------------------------
    def admit(self, states: list) -> int:
        """Take the initial states this worker owns; returns how many are new."""
        reps = [self._rep(s) for s in states]
        keys = np.array([self.fingerprint(s) for s in reps], dtype=np.uint64)
        mine = owner_of(keys, self.workers) == self.index
        new = self.table.insert(keys[mine], np.zeros(int(mine.sum()), dtype=np.uint64))
        fresh = [s for s, n in zip((s for s, m in zip(reps, mine) if m), new) if n]
        self.claims.check_states(fresh, keys[mine][new].tolist())
        self.frontier = fresh
        return len(fresh)

    def expand(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Expand this worker's frontier; per owner, the ``(fingerprints, parents)`` to offer it."""
        keys, parents, targets = [], [], []
        for state in self.frontier:
            own = self.fingerprint(state)
            edges = expand_state(state, own, self.model.successors, self.canonical, self.claims, keys, parents,
                                 targets, self.fingerprint)
            self.edges += edges
            if not edges and self.deadlock is None and (self.is_terminal is None or not self.is_terminal(state)):
                self.deadlock = own
        self.frontier = []
        self.generated = dict(zip(keys, targets))
        keys_a, parents_a = np.array(keys, dtype=np.uint64), np.array(parents, dtype=np.uint64)
        owners = owner_of(keys_a, self.workers)
        return {w: (keys_a[owners == w], parents_a[owners == w]) for w in range(self.workers)}

    def offer(self, offers: list[tuple[np.ndarray, np.ndarray]]) -> list[np.ndarray]:
        """Offers from every worker (in worker order); per sender, the fingerprints that are new."""
        keys = np.concatenate([k for k, _ in offers]) if offers else np.zeros(0, np.uint64)
        parents = np.concatenate([p for _, p in offers]) if offers else np.zeros(0, np.uint64)
        new = self.table.insert(keys, parents)
        out, start = [], 0
        for k, _ in offers:
            out.append(k[new[start:start + len(k)]])
            start += len(k)
        return out

    def ship(self, wanted: list[np.ndarray]) -> list[bytes]:
        """Per owner, the states this worker generated for the fingerprints that owner wants.

        Pickled here, so that a coordinator relays bytes without unpickling them.
        """
        return [pickle.dumps([self.generated[int(key)] for key in keys], pickle.HIGHEST_PROTOCOL)
                for keys in wanted]

    def accept(self, parcels: list[bytes]) -> int:
        """New states this worker owns (pickled by their senders): the next frontier, checked."""
        states = [state for parcel in parcels for state in pickle.loads(parcel)]
        self.claims.check_states(states, [self.fingerprint(x) for x in states])
        self.frontier += states
        return len(states)

    # -- results -------------------------------------------------------------------------------
    def report(self) -> dict:
        return {"states": len(self.table), "edges": self.edges, "found": dict(self.claims.found),
                "deadlock": self.deadlock, "table_bytes": self.table.nbytes, "frontier": len(self.frontier)}

    def parent_of(self, key: int) -> int | None:
        """The parent fingerprint of ``key`` if this worker owns it, else None."""
        try:
            return self.table.parent_of(key)
        except KeyError:
            return None

    def replay(self, chain: list[int], last: Step | None) -> list[Step]:
        """The run through the fingerprints ``chain`` (then ``last``), replayed from an initial state."""
        replay = _Replay(_Chain(chain), self.model.initial_states(), self.model.successors, self.canonical,
                         self.fingerprint)
        return replay.extend(replay.path(chain[-1]), last)


class _Chain:
    """A parent lookup over a chain of fingerprints already collected from the owners."""

    def __init__(self, chain: list[int]):
        self.parent = {child: parent for parent, child in zip(chain, chain[1:])}
        self.parent[chain[0]] = 0

    def parent_of(self, key: int) -> int:
        return self.parent[key]
