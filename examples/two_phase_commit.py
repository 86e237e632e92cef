"""Lamport's two-phase commit (TLA+ ``TwoPhase``) as a small explicit-state model.

This is *not* the project's domain model: it is a well-known reference model
with published TLC state counts, written against the generic checker layer
alone (:mod:`hvr_model.checker`), as a user would write their own model; the
tests and benchmarks use it to pin the explorer's counts and speed.

Run it: ``python examples/two_phase_commit.py 5`` explores five resource
managers and checks TCConsistent (with a witness that some RM commits);
``--symmetry`` explores one state per renaming of the RMs (314 states for 5).

It follows ``specifications/transaction_commit/TwoPhase.tla`` from
tlaplus/Examples action for action:

* ``TMRcvPrepared(r)``  -- TM in ``init`` receives ``Prepared(r)``; adds r to tmPrepared
* ``TMCommit``          -- TM in ``init`` with tmPrepared = RM; sends ``Commit``
* ``TMAbort``           -- TM in ``init``; sends ``Abort``
* ``RMPrepare(r)``      -- working RM becomes prepared and sends ``Prepared(r)``
* ``RMChooseToAbort(r)``-- working RM aborts on its own
* ``RMRcvCommitMsg(r)`` -- on ``Commit`` in msgs, RM becomes committed
* ``RMRcvAbortMsg(r)``  -- on ``Abort`` in msgs, RM becomes aborted

As in TLA+, ``TMRcvPrepared``/``RMRcv*Msg`` are not guarded against already
having happened, so they may be stuttering steps (self-loops).  Published TLC
distinct-state counts: 288 (3 RMs), 8,832 (5 RMs), 296,448 (7 RMs).

A state is a :class:`State` (a ``NamedTuple``, so it hashes as a plain tuple):
``rm_state`` is a tuple of RM states indexed by RM number, ``tm_prepared`` a
frozenset of RM numbers, ``msgs`` a frozenset of messages, where a message is
``("Prepared", r)``, ``COMMIT`` or ``ABORT``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

from hvr_model.checker import Always, Sometimes, check

__all__ = [
    "ABORT",
    "COMMIT",
    "State",
    "initial_states",
    "successors",
    "tc_consistent",
    "TwoPhaseCommit",
    "PROPERTIES",
]

COMMIT = ("Commit",)
ABORT = ("Abort",)


class State(NamedTuple):
    """One TwoPhase state: ``<<rmState, tmState, tmPrepared, msgs>>``."""

    rm_state: tuple[str, ...]
    tm_state: str
    tm_prepared: frozenset[int]
    msgs: frozenset[tuple]


def initial_states(n: int) -> list[State]:
    """``TPInit`` for RMs ``0 .. n-1`` (a single state).

    >>> initial_states(2)
    [State(rm_state=('working', 'working'), tm_state='init', tm_prepared=frozenset(), msgs=frozenset())]
    """
    return [State(("working",) * n, "init", frozenset(), frozenset())]


def _set(rm_state: tuple[str, ...], r: int, value: str) -> tuple[str, ...]:
    """``[rmState EXCEPT ![r] = value]``."""
    return rm_state[:r] + (value,) + rm_state[r + 1 :]


def successors(
    n: int, *, commit_needs_all_prepared: bool = True
) -> Callable[[State], Iterator[tuple[str, State]]]:
    """``TPNext`` for ``n`` RMs, as a successor function ``state -> (label, state')``.

    ``commit_needs_all_prepared=False`` drops the ``tmPrepared = RM`` guard of
    ``TMCommit``: a deliberately *broken* protocol that violates
    :func:`tc_consistent`.

    >>> nxt = successors(2)
    >>> [label for label, _ in nxt(initial_states(2)[0])]
    ['TMAbort', 'RMPrepare(0)', 'RMChooseToAbort(0)', 'RMPrepare(1)', 'RMChooseToAbort(1)']
    """
    rms = range(n)
    all_rms = frozenset(rms)
    prepared_msg = [("Prepared", r) for r in rms]
    labels = [
        {a: f"{a}({r})" for a in ("TMRcvPrepared", "RMPrepare", "RMChooseToAbort",
                                  "RMRcvCommitMsg", "RMRcvAbortMsg")}
        for r in rms
    ]

    def next_states(s: State) -> Iterator[tuple[str, State]]:
        rm_state, tm_state, tm_prepared, msgs = s
        if tm_state == "init":
            if not commit_needs_all_prepared or tm_prepared == all_rms:
                yield "TMCommit", State(rm_state, "committed", tm_prepared, msgs | {COMMIT})
            yield "TMAbort", State(rm_state, "aborted", tm_prepared, msgs | {ABORT})
        has_commit = COMMIT in msgs
        has_abort = ABORT in msgs
        for r in rms:
            label = labels[r]
            if tm_state == "init" and prepared_msg[r] in msgs:
                yield label["TMRcvPrepared"], State(
                    rm_state, tm_state, tm_prepared | {r}, msgs)
            if rm_state[r] == "working":
                yield label["RMPrepare"], State(
                    _set(rm_state, r, "prepared"), tm_state, tm_prepared,
                    msgs | {prepared_msg[r]})
                yield label["RMChooseToAbort"], State(
                    _set(rm_state, r, "aborted"), tm_state, tm_prepared, msgs)
            if has_commit:
                yield label["RMRcvCommitMsg"], State(
                    _set(rm_state, r, "committed"), tm_state, tm_prepared, msgs)
            if has_abort:
                yield label["RMRcvAbortMsg"], State(
                    _set(rm_state, r, "aborted"), tm_state, tm_prepared, msgs)

    return next_states


def tc_consistent(s: State) -> bool:
    """``TCConsistent``: no RM is committed while another is aborted.

    >>> tc_consistent(State(("committed", "aborted"), "init", frozenset(), frozenset()))
    False
    >>> tc_consistent(initial_states(3)[0])
    True
    """
    return not ("committed" in s.rm_state and "aborted" in s.rm_state)


class TwoPhaseCommit:
    """The model in the shape the checker takes (stateright's ``Model``): initial states and successors.

    >>> result = check(TwoPhaseCommit(3), PROPERTIES)
    >>> result.holds, result.exploration.states, result.exploration.depth
    (True, 288, 10)
    """

    def __init__(self, rms: int, **variant: bool):
        self.config = rms
        self._successors = successors(rms, **variant)

    def initial_states(self) -> list[State]:
        return initial_states(self.config)

    def successors(self, state: State) -> Iterator[tuple[str, State]]:
        return self._successors(state)

    def canonical(self, state: State) -> State:
        """The representative of ``state`` under renaming of the RMs: their records sorted.

        An RM's record is its state, whether the TM has its Prepared, and whether
        its Prepared message is out (the RMs are interchangeable: symmetry).

        >>> TwoPhaseCommit(2).canonical(State(("prepared", "working"), "init", frozenset({0}),
        ...                                   frozenset({("Prepared", 0)})))
        State(rm_state=('prepared', 'working'), tm_state='init', tm_prepared=frozenset({0}), msgs=frozenset({('Prepared', 0)}))
        >>> TwoPhaseCommit(2).canonical(State(("working", "prepared"), "init", frozenset({1}),
        ...                                   frozenset({("Prepared", 1)})))
        State(rm_state=('prepared', 'working'), tm_state='init', tm_prepared=frozenset({0}), msgs=frozenset({('Prepared', 0)}))
        """
        records = sorted((rm, r in state.tm_prepared, ("Prepared", r) in state.msgs)
                         for r, rm in enumerate(state.rm_state))
        msgs = {m for m in state.msgs if m in (COMMIT, ABORT)}
        msgs |= {("Prepared", r) for r, (_, _, sent) in enumerate(records) if sent}
        return State(tuple(rm for rm, _, _ in records), state.tm_state,
                     frozenset(r for r, (_, prepared, _) in enumerate(records) if prepared), frozenset(msgs))


PROPERTIES = (
    Always("tc_consistent", (), "No RM has committed while another has aborted.", lambda s, rms: tc_consistent(s)),
    Sometimes("some_rm_commits", (), "Some resource manager commits.", lambda s, rms: "committed" in s.rm_state),
)


def main(argv: list[str] | None = None) -> int:
    import sys
    args = argv if argv is not None else sys.argv[1:]
    if "--help" in args or "-h" in args:
        print("usage: two_phase_commit.py [RMS] [--symmetry]   (RMS: resource managers, default 3)")
        return 0
    symmetry = "--symmetry" in args
    rms = int(([a for a in args if a != "--symmetry"] or ["3"])[0])
    result = check(TwoPhaseCommit(rms), PROPERTIES, symmetry=symmetry)
    e = result.exploration
    print(f"two-phase commit, {rms} RMs: {e.states:,} states, {e.edges:,} transitions, depth {e.depth}")
    for r in result.results:
        print(f"  {r.name}: {r.verdict}" + (f" ({r.reason})" if r.reason else ""))
    return 0 if result.holds else 1


if __name__ == "__main__":
    raise SystemExit(main())
