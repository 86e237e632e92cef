"""The reference data path: one VM's disks replicated between two Hyper-V hosts, on real bytes.

:class:`ReplicatedVm` runs what the seed describes, block by block: initial
replication (snapshot, disks copied one at a time while writes go to each
disk's replication log), delta cycles (switch every disk's log at the same
instant, send, authenticate and check each log on the replica, merge them as one
recovery point), resynchronization by chunk checksums, planned and unplanned
failover with the writes lost reported exactly, commit, reverse replication and
failback. Other implementations compare their disk contents with it.

Every log is bound to the VM's replication relationship and its generation, so a
recorded log of an earlier chain is never applied again
(:mod:`hvr_model.blockstore.sessions`). The roles-swapping operations (failover,
commit, reverse replication) are in :mod:`hvr_model.blockstore.failover`; the
values handed out (:class:`GuestWrite`, :class:`FailoverReport`, :class:`Host`,
:class:`DataPathError`) in :mod:`hvr_model.blockstore.values`.

>>> vm = ReplicatedVm("web", disks=2, blocks=4, block_size=8)
>>> w1 = vm.write(0, 1, b"AAAAAAAA")
>>> vm.enable_protection()
>>> vm.copy_next_disk(), vm.copy_next_disk()   # one disk at a time, from the snapshot
(0, 1)
>>> w2 = vm.write(1, 0, b"BBBBBBBB")          # written during the initial copy: goes to the log
>>> vm.complete_initial_replication()
>>> vm.replica_disks() == vm.source_disks()
True
>>> w3 = vm.write(0, 1, b"CCCCCCCC")
>>> report = vm.unplanned_failover()       # the primary site is lost before the next cycle
>>> [w.seq for w in report.lost_writes], vm.source_disks()[0].read(1)
([3], b'AAAAAAAA')
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

from . import hrl
from .disk import DiskImage
from .failover import FailoverOperations
from .replica import ReplicaVm
from .resync import ResyncReport, resync_disk
from .sessions import SessionOperations, recorded_key, relationship_id
from .values import DataPathError, FailoverReport, GuestWrite, Host

__all__ = ["GuestWrite", "FailoverReport", "ReplicatedVm", "DataPathError", "Host"]

PRIMARY, RECOVERY = 0, 1


def _flip_first_byte(wire: bytes, log) -> bytes:
    """``wire`` with the first byte of its first data block (or of its header) inverted."""
    spans = hrl.record_spans(log)
    span = next((s for s in spans if s.part == "data block"), spans[0])
    damaged = bytearray(wire)
    damaged[span.start] ^= 0xFF
    return bytes(damaged)


def _default_hosts(authentication: str) -> tuple[Host, Host]:
    names = ("hv-primary.contoso.com", "hv-recovery.contoso.com")
    creds = [hrl.Credential(n, f"key-of-{n}".encode(), authentication) for n in names]
    keyring = {c.server: c for c in creds}
    entries = tuple(hrl.AuthorizationEntry(n, f"D:\\Replica\\{n}", "contoso") for n in names)
    return tuple(Host(n, c, hrl.ReplicaServerPolicy(keyring, entries)) for n, c in zip(names, creds))


def _relative_logs(writers, applied) -> tuple:
    """Each open log as (its id relative to the last applied, its entries): ids only ever grow."""
    return tuple((w.open_log.header.log_id - a, w.open_log.entries) for w, a in zip(writers, applied))


@dataclass(eq=False)
class ReplicatedVm(FailoverOperations, SessionOperations):
    name: str
    disks: int = 1
    blocks: int = 16
    block_size: int = 4096
    retention: int = 0
    app_consistent_every: int = 0
    authentication: str = "kerberos"
    hosts: tuple[Host, Host] | None = None
    #: Keep the first delta of each generation as it crossed the wire, as an eavesdropper on
    #: the link would, for :meth:`receive_replayed_delta` (off: nothing is kept).
    wiretap: bool = False
    #: The replication relationship's 64-bit id (None: derived from the VM and its two hosts).
    relationship: int | None = None
    phase: str = field(default="unprotected", init=False)

    def __post_init__(self):
        self.hosts = self.hosts or _default_hosts(self.authentication)
        if self.relationship is None:
            self.relationship = relationship_id(self.name, self.hosts[PRIMARY].server, self.hosts[RECOVERY].server)
        elif not (isinstance(self.relationship, int) and 0 <= self.relationship < 2**64):
            raise ValueError(f"relationship must be a 64-bit id, got {self.relationship!r}")
        self.generation = 0             # the last generation started; never goes back
        self.replica_generation = 0     # the generation whose logs the replica accepts
        self.recorded: tuple = ()       # wiretap: (wire bytes, logs) of the last first delta sent
        blank = DiskImage.blank(self.blocks, self.block_size)
        self.images = [(blank,) * self.disks, (blank,) * self.disks]   # per site
        self.source, self.running, self.cycles = PRIMARY, True, 0
        self.history: list[GuestWrite] = []
        self.replica: ReplicaVm | None = None
        self.snapshot: tuple[DiskImage, ...] | None = None
        self.copied: list[int] = []
        self.writers: list[hrl.LogWriter] = []
        self.point_seq: dict[int, int] = {}          # recovery point id -> writes it holds
        self.last_applied = [0] * self.disks
        self.last_failover: FailoverReport | None = None
        self.chosen_point = -1
        self.refusal: str | None = None          # set by the model when an operation was refused
        self._old_history: tuple[GuestWrite, ...] = ()   # the old source's history, until commit
        self._old_logs: tuple = ()      # the old source's writers, applied ids and phase, until commit
        self.held: tuple = ()       # offline IR: (one log per disk, writes) held on the replica until import

    # -- as a value (the model keeps small ones in its explored states) -------------------------
    def copy(self) -> "ReplicatedVm":
        """An independent copy (disk images and logs are immutable and shared)."""
        twin = copy.copy(self)
        twin.images, twin.history, twin.copied = list(self.images), list(self.history), list(self.copied)
        twin.writers = [w.copy() for w in self.writers]
        if self._old_logs:
            writers, applied, phase = self._old_logs
            twin._old_logs = (tuple(w.copy() for w in writers), applied, phase)
        twin.point_seq, twin.last_applied = dict(self.point_seq), list(self.last_applied)
        twin._frozen_key = twin._frozen_hash = None
        return twin

    def frozen(self) -> "ReplicatedVm":
        """This data path as a value: its key is computed once, so it must not change afterwards."""
        self._frozen_key = self.key()
        self._frozen_hash = hash(self._frozen_key)
        return self

    def key_of_frozen(self) -> tuple:
        """The key of a frozen data path (computed once, by :meth:`frozen`)."""
        return self._frozen_key

    def key(self) -> tuple:
        """Everything that tells two data paths apart, as a hashable value.

        Log and recovery-point ids only ever grow; behaviour depends on them only relative to
        the last log applied, so the key keeps ids relative (otherwise every cycle would make
        a new state and no bounded model would be finite). Generations only ever grow too and
        are only compared with each other (a new one is above all): the key keeps the rank of
        each generation held (the replica's, the trackers', the old source's, the recorded
        delta's) among them, so repeated resyncs do not make new states either.
        """
        cycle = self.cycles % self.app_consistent_every if self.app_consistent_every else 0
        before = self._old_history if self.phase == "failed_over" else None
        writers = _relative_logs(self.writers, self.last_applied)
        failover = self.last_failover and (self.last_failover.kind, self.last_failover.lost_writes)
        old_logs = None
        if self.phase == "failed_over" and self._old_logs:
            old_writers, old_applied, old_phase = self._old_logs
            old_logs = (_relative_logs(old_writers, old_applied), old_phase)
        # chosen_point is -1 (latest), -2, ...: kept as its distance from the latest, because
        # Python hashes -1 and -2 alike and fingerprinting searches key states by their hash.
        recorded = self.recorded and recorded_key(self.recorded[1], self.last_applied)
        return (self.phase, self.source, self.running, tuple(self.images), tuple(self.history),
                self._replica_key(), self.snapshot, tuple(self.copied), writers, failover,
                -1 - self.chosen_point, cycle, before, old_logs, tuple(c for _, c in self.held), self.refusal,
                self.relationship, self._generation_ranks(), recorded)

    def _replica_key(self) -> tuple | None:
        if self.replica is None:
            return None
        points = tuple((p.app_consistent, p.undo, self.point_seq.get(p.point_id)) for p in self.replica.points)
        return self.replica.disks, points

    def _key(self) -> tuple:
        return getattr(self, "_frozen_key", None) or self.key()

    def __eq__(self, other) -> bool:
        return isinstance(other, ReplicatedVm) and self._key() == other._key()

    def __hash__(self) -> int:
        return getattr(self, "_frozen_hash", None) or hash(self._key())

    # -- what is where -------------------------------------------------------------------
    @property
    def target(self) -> int:
        return 1 - self.source

    def source_disks(self) -> tuple[DiskImage, ...]:
        return self.images[self.source]

    def replica_disks(self, point: int = -1) -> tuple[DiskImage, ...]:
        """The replica's disks as of recovery point ``point`` (default the latest)."""
        if self.replica is None:
            raise DataPathError("no replica: protection is not enabled")
        return self.replica.point_disks(point)

    def _require(self, *phases: str) -> None:
        if self.phase not in phases:
            raise DataPathError(f"{self.name}: needs phase {' or '.join(phases)}, is {self.phase}")

    # -- the guest ---------------------------------------------------------------------------
    def write(self, disk: int, block: int, data: bytes) -> GuestWrite:
        """A guest write on the source; tracked in the disk's log while replication tracks."""
        if not self.running:
            raise DataPathError(f"{self.name} is not running")
        write = GuestWrite(len(self.history) + 1, disk, block, bytes(data))
        images = list(self.images[self.source])
        images[disk] = images[disk].write(block, data)
        self.images[self.source] = tuple(images)
        self.history.append(write)
        if self.writers:
            self.writers[disk].record(block, data)
        return write

    # -- initial replication (REQ-08) ------------------------------------------------------------
    def enable_protection(self) -> None:
        """Take the VM snapshot and start tracking writes; the disks are copied one at a time."""
        self._require("unprotected")
        self.snapshot = self.source_disks()
        self._start_tracking()
        self.copied, self.replica, self.phase = [], None, "initial_replication"

    def _start_tracking(self) -> None:
        """New trackers, log ids from 1: the chain restarts, so in a new generation."""
        server = self.hosts[self.source].server
        self.generation += 1
        self.writers = [hrl.LogWriter(self.name, d, server, self.block_size, relationship=self.relationship,
                                      generation=self.generation) for d in range(self.disks)]
        self.last_applied = [0] * self.disks

    def copy_next_disk(self) -> int:
        """Copy the next disk not yet copied, as it was in the snapshot, to the replica site."""
        pending = [d for d in range(self.disks) if d not in self.copied]
        if not pending:
            raise DataPathError("every disk is already copied")
        return self.copy_disk(pending[0])

    def copy_disk(self, disk: int) -> int:
        """Copy ``disk``, as it was in the snapshot, to the replica site."""
        self._require("initial_replication")
        if disk in self.copied:
            raise DataPathError(f"disk {disk} is already copied")
        images = list(self.images[self.target])
        images[disk] = self.snapshot[disk]
        self.images[self.target] = tuple(images)
        self.copied.append(disk)
        return disk

    def complete_initial_replication(self) -> None:
        """Seed the replica with the copies, merge the logs written meanwhile, delete the snapshot."""
        self._require("initial_replication")
        if len(self.copied) != self.disks:
            raise DataPathError("initial replication is complete only when every disk is copied")
        self.replica = ReplicaVm.seeded(self.images[self.target], self.retention)
        self.replica_generation = self.generation
        self.point_seq = {0: self._writes_before_open_logs()}
        self.snapshot, self.phase = None, "delta"
        held, self.held = self.held, ()
        for wire, _ in held:              # offline IR: the held deltas, in order, after the import
            self.receive(list(wire))
        self.replicate()

    def send_held_logs(self) -> int:
        """Offline initial replication: send a delta now; the replica holds it until the import (REQ-09).

        Returns the writes sent. Raises :class:`DataPathError` outside an initial replication.
        """
        self._require("initial_replication")
        logs = [w.switch() for w in self.writers]
        sent = sum(len(log.entries) for log in logs)
        wire = [hrl.encode(log, self.hosts[self.source].credential) for log in logs]
        self._tap(wire, logs)
        self.held += ((tuple(wire), sent),)
        return sent

    def _writes_before_open_logs(self) -> int:
        """Writes older than everything in the open and held logs (what the snapshot or the old source holds)."""
        held = sum(count for _, count in self.held)
        return len(self.history) - sum(len(w.open_log.entries) for w in self.writers) - held

    # -- delta replication (REQ-10, 12, 37) -----------------------------------------------------
    def replicate(self) -> int:
        """One cycle: switch every disk's log at once, send, check and merge them. Returns writes sent."""
        self._require("delta")
        self.cycles += 1
        consistent = bool(self.app_consistent_every) and self.cycles % self.app_consistent_every == 0
        logs = [w.switch(app_consistent=consistent) for w in self.writers]
        wire = [hrl.encode(log, self.hosts[self.source].credential) for log in logs]
        self._tap(wire, logs)
        return self.receive(wire, app_consistent=consistent)

    def replicate_corrupted(self) -> hrl.LogRejected:
        """A cycle whose first log has one data byte flipped on the way: it must be refused.

        The refusal is returned; the replica is unchanged and the VM needs a resync (REQ-16).
        """
        self._require("delta")
        logs = [w.switch() for w in self.writers]
        wire = [hrl.encode(log, self.hosts[self.source].credential) for log in logs]
        damaged = next((d for d, log in enumerate(logs) if log.entries), 0)
        wire[damaged] = _flip_first_byte(wire[damaged], logs[damaged])
        try:
            self.receive(wire)
        except hrl.LogRejected as refusal:
            self.require_resync()
            return refusal
        raise DataPathError("the replica applied a corrupted log")

    def receive(self, wire: list[bytes], app_consistent: bool = False) -> int:
        """The replica host: accept (authenticate, authorize, verify, chain) then merge atomically.

        Any refusal raises a :class:`hrl.LogRejected` and leaves the replica unchanged.
        """
        accepted = self.accept_delta(wire)
        writes = {log.header.disk: [(e.block, e.data) for e in log.entries] for log in accepted}
        return self._merge(writes, accepted, app_consistent)

    def accept_delta(self, wire: list[bytes]) -> list[hrl.ReplicationLog]:
        """The replica host's checks of one delta (one log per disk); changes nothing."""
        if len(wire) != self.disks:
            raise DataPathError(f"a delta carries one log per disk: expected {self.disks}, got {len(wire)}")
        return [self.accept_log(d, data) for d, data in enumerate(wire)]

    def accept_log(self, disk: int, data: bytes) -> hrl.ReplicationLog:
        """The replica host's checks of one disk's log (see :func:`hrl.accept`)."""
        return hrl.accept(data, policy=self.hosts[self.target].policy, vm=self.name, disk=disk,
                          block_size=self.block_size, blocks=self.blocks, relationship=self.relationship,
                          generation=self.replica_generation, last_applied_id=self.last_applied[disk])

    def _merge(self, writes, accepted, app_consistent: bool) -> int:
        held, shipped = self.applied_seq(), sum(len(e) for e in writes.values())
        self.replica = self.replica.apply(writes, app_consistent=app_consistent)
        self.images[self.target] = self.replica.disks
        for log in accepted:
            self.last_applied[log.header.disk] = log.header.log_id
        self.point_seq[self.replica.points[-1].point_id] = held + shipped
        return shipped

    def applied_seq(self, point: int = -1) -> int:
        """How many of the source's writes recovery point ``point`` holds (a prefix of the history)."""
        return self.point_seq[self.replica.points[point].point_id]

    # -- faults and resynchronization (REQ-16..20) -----------------------------------------------
    def crash_source_host(self) -> None:
        """The source host dies with its logs open: they can never be closed, a resync is required."""
        self.running = False
        if self.phase in ("delta", "initial_replication"):
            self.require_resync()

    def require_resync(self) -> None:
        """Logs can no longer be trusted (unclosed, too large, invalid): drop them, resync instead."""
        # An interrupted initial copy leaves no recovery point: nothing to fail over to until
        # the resync completes it.
        self.snapshot, self.writers, self.held, self.phase = None, [], (), "resync_required"

    def disable_protection(self) -> None:
        """Remove the replication relationship (REQ-07); the replica's data stays where it is."""
        self.snapshot, self.writers, self.replica, self.copied, self.held = None, [], None, [], ()
        self.point_seq, self.phase = {}, "unprotected"

    def resync(self) -> list[ResyncReport]:
        """Make the replica equal to the source by chunk checksums; recovery points start over."""
        self._require("resync_required")
        reports, disks = [], []
        for source, target in zip(self.source_disks(), self.images[self.target]):
            synced, report = resync_disk(source, target)
            disks.append(synced)
            reports.append(report)
        self.images[self.target] = tuple(disks)
        self.replica = ReplicaVm(tuple(disks), (), self.retention).reset_points()
        self.point_seq = {0: len(self.history)}
        self._start_tracking()
        self.replica_generation = self.generation      # logs of every earlier chain are stale now
        self.phase = "delta"
        return reports
