"""Failover, commit, reverse replication and failback of a replicated VM (REQ-24..30).

:class:`FailoverOperations` is the part of :class:`~hvr_model.blockstore.ReplicatedVm`
that swaps the roles of the two sites (REQ-24..29): planned failover (nothing
lost, REQ-24), unplanned failover to a chosen recovery point with the writes
lost reported exactly, changing the point before commit (REQ-27), cancel
(REQ-30), commit, and reverse replication back to the old source (REQ-28).
"""
from __future__ import annotations

from .replica import ReplicaVm
from .values import DataPathError, FailoverReport

__all__ = ["FailoverOperations"]


class FailoverOperations:
    """Role-swapping operations of :class:`~hvr_model.blockstore.ReplicatedVm` (a mixin).

    They work on the state ``ReplicatedVm`` keeps (``images``, ``source``,
    ``history``, ``replica``, ``writers``, ``phase``, ...) and use its
    ``replicate``, ``replica_disks``, ``source_disks``, ``applied_seq``,
    ``disable_protection``, ``_require``, ``_start_tracking`` (which starts a new
    generation) and ``_writes_before_open_logs``, and set ``replica_generation``.
    """

    def shutdown(self) -> None:
        self.running = False

    def start(self) -> None:
        self.running = True

    def planned_failover(self) -> FailoverReport:
        """Source shut down, last log sent, roles swapped: nothing is lost (REQ-24)."""
        self._require("delta")
        if self.running:
            raise DataPathError("planned failover needs the source VM shut down")
        self.replicate()
        if self.replica_disks() != self.source_disks():
            raise DataPathError("planned failover would lose data: replica differs from source")
        return self.fail_over("planned")

    def unplanned_failover(self, point: int = -1) -> FailoverReport:
        """Start on the replica from recovery point ``point``; report the writes that did not make it."""
        self.running = False
        return self.fail_over("unplanned", point)

    def fail_over(self, kind: str, point: int = -1) -> FailoverReport:
        """Swap roles now: the replica's point ``point`` becomes the running copy (no final send)."""
        if self.replica is None:
            raise DataPathError("failover needs a replica with a recovery point")
        if not -len(self.replica.points) <= point < len(self.replica.points):
            raise DataPathError(f"no recovery point {point}: the replica keeps {len(self.replica.points)}")
        self._old_history = tuple(self.history)
        self._old_logs = (tuple(self.writers), tuple(self.last_applied), self.phase)
        held = self.applied_seq(point)
        report = FailoverReport(kind, tuple(self.history[held:]), self.replica.points[point].point_id)
        self.images[self.target] = self.replica.point_disks(point)
        self.chosen_point, self.last_failover = point, report
        self.source, self.history, self.writers = self.target, list(self.history[:held]), []
        self.phase, self.running, self.snapshot = "failed_over", False, None
        if kind == "planned":
            # The old source holds the same data and waits for reverse replication: track from now.
            self._start_tracking()
        return report

    def change_recovery_point(self, point: int) -> FailoverReport:
        """Before commit, fail over to another recovery point instead (REQ-27)."""
        self._require("failed_over")
        kind, running, old_logs = self.last_failover.kind, self.running, self._old_logs
        self.source, self.history = self.target, list(self._old_history)
        report = self.fail_over(kind, point)
        self.running, self._old_logs = running, old_logs   # the failed-over VM restarts from the other point
        return report

    def cancel_failover(self) -> None:
        """Hyper-V's Cancel Failover (REQ-30 b): the failover disk is discarded, the original source
        is the source again with its pending logs, and the replica keeps every recovery point,
        so the VM can fail over again (to another point, too)."""
        self._require("failed_over")
        writers, applied, phase = self._old_logs
        self.source, self.history, self.running = self.target, list(self._old_history), False
        self.images[self.target] = self.replica.disks
        self.writers, self.last_applied = [w.copy() for w in writers], list(applied)
        self.phase, self.chosen_point, self.last_failover = phase, -1, None
        self._old_history, self._old_logs = (), ()

    def commit(self) -> None:
        """Keep the chosen point; the other points are deleted and cannot be chosen any more."""
        self._require("failed_over")
        self.replica = self.replica.keep_point(self.chosen_point)
        self.phase, self._old_logs = "committed", ()

    def reverse_replicate(self) -> bool:
        """Replicate back to the old source (REQ-28).

        True when it is delta-only (after a planned failover both sides hold the same data);
        False when the sides diverged and :meth:`resync` must run first.
        """
        self._require("committed")
        self.replica = ReplicaVm.seeded(self.images[self.target], self.retention)
        if self.last_failover.kind == "planned" and not self.last_failover.lost_writes:
            # Both sides matched at the failover; what the VM wrote since is in the tracked logs,
            # of the generation the failover started: the only one the new replica accepts.
            self.replica_generation = self.generation
            self.point_seq = {0: self._writes_before_open_logs()}
            self.phase = "delta"
            return True
        self.point_seq = {0: len(self.history)}
        self.writers, self.phase = [], "resync_required"
        return False
