"""Replication sessions: the relationship and generation every log is bound to (REQ-16, 18, 28, 35-37).

Log ids restart at 1 whenever the chain restarts: protection enabled (again,
after a disable), every resync (REQ-18, 20), and the tracking that reverse
replication continues from (REQ-28). An id chain alone therefore cannot tell a
recorded authentic log of an earlier chain from the next genuine one. So every
log's header (covered by the MAC) names:

- the *relationship*: a 64-bit id of the VM's replication relationship between
  its two hosts, the same in both directions: by default derived from the VM's
  name and the two servers (:func:`relationship_id`); a deployment that may
  recreate a VM under the same name between the same hosts gives each new
  relationship a fresh id instead (``ReplicatedVm(..., relationship=...)``), since
  a new VM's generations start again;
- the *generation*: a counter the :class:`~hvr_model.blockstore.ReplicatedVm`
  keeps for the VM's lifetime (``generation``), raised each time trackers start
  on a restarted chain and never lowered, disables included.

The replica side accepts only logs of its current generation
(``replica_generation``: set when the replica is seeded by the initial copy, a
resync or a delta-only reverse replication) and refuses any other as
:class:`~hvr_model.blockstore.hrl.LogStaleGeneration`, changing nothing.

:class:`SessionOperations` is the part of ``ReplicatedVm`` that records and
replays: with ``wiretap`` on it keeps the first delta of each generation as it
crossed the wire (what an eavesdropper on the link would keep, the dangerous
log after a resync), and :meth:`SessionOperations.receive_replayed_delta` sends
it to the replica again. The state graph's ``receive_replayed_log`` event runs
it; what is recorded is part of the data path's key, with generations kept as
ranks (:func:`generation_ranks`) so that repeated resyncs do not make new states.

>>> from hvr_model.blockstore import ReplicatedVm
>>> vm = ReplicatedVm("web", disks=1, blocks=2, block_size=4, wiretap=True)
>>> vm.enable_protection(); vm.copy_next_disk(); vm.complete_initial_replication()
0
>>> vm.crash_source_host(); vm.start(); _ = vm.resync()
>>> vm.generation, vm.replica_generation, vm.recorded[1][0].header.generation
(2, 2, 1)
>>> print(vm.receive_replayed_delta())
log 1 belongs to an earlier generation (1) of the relationship, the replica is at generation 2 (field: generation)
"""
from __future__ import annotations

import hashlib

from . import hrl
from .values import DataPathError

__all__ = ["SessionOperations", "relationship_id", "generation_ranks", "recorded_key"]


def relationship_id(vm: str, primary: str, recovery: str) -> int:
    """The 64-bit id of ``vm``'s replication relationship between the two servers.

    The servers are given in their original roles, so the id stays the same
    when the direction is reversed (the generation changes instead).

    >>> relationship_id("web", "hv1", "hv2") == relationship_id("web", "hv1", "hv2")
    True
    >>> relationship_id("web", "hv1", "hv2") == relationship_id("db", "hv1", "hv2")
    False
    """
    digest = hashlib.blake2b("\0".join((vm, primary, recovery)).encode(), digest_size=8,
                             person=b"hvr-relationship")
    return int.from_bytes(digest.digest(), "little")


def generation_ranks(values) -> tuple:
    """``values`` (None kept) as their ranks among the distinct values.

    Behaviour depends on generations only through equality and order (a new one
    is above every one held), so the ranks describe it as well as the numbers,
    and stay bounded however many generations went by.

    >>> generation_ranks((7, 7, None, 3, 9))
    (1, 1, None, 0, 2)
    """
    order = {v: i for i, v in enumerate(sorted({v for v in values if v is not None}))}
    return tuple(None if v is None else order[v] for v in values)


def recorded_key(logs, last_applied) -> tuple:
    """The recorded delta as the key keeps it: per log, its header and entries, with no absolute
    generation (see :func:`generation_ranks`) and its id relative to the replica's chain.

    A recorded log is the first of its generation (predecessor 0): a replay can continue the
    chain only while the replica has applied nothing in its generation (relative id 1); once it
    has, every replay of it is refused by id (0 stands for "at or before the last applied").
    """
    return tuple((log.header.disk, max(log.header.log_id - last, 0), log.header.predecessor_id,
                  log.header.source_server, log.header.app_consistent, log.entries)
                 for log, last in zip(logs, last_applied))


class SessionOperations:
    """Recording and replaying deltas, and the generation part of the key (a mixin of
    :class:`~hvr_model.blockstore.ReplicatedVm`, using its ``wiretap``, ``recorded``,
    ``generation``, ``replica_generation``, ``writers``, ``replica``, ``_old_logs``,
    ``receive`` and ``_require``)."""

    def _tap(self, wire: list[bytes], logs: list[hrl.ReplicationLog]) -> None:
        """With the wiretap on, keep a generation's first delta as it crosses the wire."""
        if self.wiretap and logs and all(log.header.predecessor_id == 0 for log in logs):
            self.recorded = (tuple(wire), tuple(logs))

    def receive_replayed_delta(self) -> hrl.LogRejected | None:
        """The recorded delta reaches the replica again; returns the refusal (REQ-36, 37).

        The delta is authentic (signed by the source of its day) but recorded
        earlier: the first of its generation, so after a resync or a re-enable its
        ids are exactly the ones the restarted chain expects next. It must be
        refused and change nothing; None means it was applied, a bug of the data
        path.

        Raises
        ------
        DataPathError
            Outside delta replication, or when nothing was recorded (wiretap off).
        """
        self._require("delta")
        if not self.recorded:
            raise DataPathError("no delta was recorded to replay (wiretap off, or nothing sent yet)")
        try:
            self.receive(list(self.recorded[0]))
        except hrl.LogRejected as refusal:
            return refusal
        return None

    def replica_chain(self) -> tuple:
        """What a log reaching the replica could change, as a value comparable across states:
        the replica's points (bytes, undo logs, writes held), each disk's chain (the trackers'
        next id relative to the last applied) and the generations held (as ranks)."""
        chain = tuple(w.open_log.header.log_id - last for w, last in zip(self.writers, self.last_applied))
        return self._replica_key(), chain, self._generation_ranks()

    def _generation_ranks(self) -> tuple:
        """The ranks of the generations held: the replica's, each tracker's, the old source's
        trackers' (until commit) and the recorded delta's."""
        old_writers = self._old_logs[0] if self._old_logs else ()
        return generation_ranks((self.replica_generation if self.replica is not None else None,
                                 *(w.generation for w in self.writers), None,
                                 *(w.generation for w in old_writers), None,
                                 self.recorded[1][0].header.generation if self.recorded else None))
