"""The block store: the replication data path on real bytes, for one VM at a time.

This layer is what the state machines' data configurations run underneath:

- :mod:`.disk`: virtual disks as immutable images of fixed-size blocks
  (:class:`DiskImage`);
- :mod:`.hrl`: the replication log (.hrl) format, its writer on the primary
  host and the replica host's checks (authentication, authorization,
  checksums, chain; REQ-10, 35-37);
- :mod:`.replica`: the replica side, latest data plus undo logs for older
  recovery points (:class:`ReplicaVm`; REQ-14, 15);
- :mod:`.resync`: resynchronization by chunk checksums (:func:`resync_disk`,
  :class:`ResyncReport`; REQ-18);
- :mod:`.sessions`: the replication relationship and generation every log is
  bound to, so a recorded log of an earlier chain is never applied again, and
  the replay of a recorded delta (REQ-16, 18, 28, 35-37);
- :mod:`.replicated_vm`, :mod:`.failover` and :mod:`.values`: the replicated-VM
  data path, :class:`ReplicatedVm`, which runs initial replication, delta
  cycles, resync, failover, commit, reverse replication and failback.

It depends on the standard library and xxhash only: nothing here imports from
another ``hvr_model`` layer.

>>> from hvr_model.blockstore import DiskImage, ReplicatedVm
>>> vm = ReplicatedVm("web", disks=1, blocks=2, block_size=4)
>>> vm.enable_protection(); vm.copy_next_disk(); vm.complete_initial_replication()
0
>>> _ = vm.write(0, 1, b"abcd"); vm.replicate()
1
>>> vm.replica_disks() == (DiskImage.blank(2, 4).write(1, b"abcd"),)
True
"""
from __future__ import annotations

from .disk import DiskImage
from .replica import ReplicaVm
from .replicated_vm import DataPathError, FailoverReport, GuestWrite, Host, ReplicatedVm
from .resync import ResyncReport, resync_disk

__all__ = [
    "GuestWrite", "FailoverReport", "ReplicatedVm", "DataPathError", "Host",
    "DiskImage", "ReplicaVm", "resync_disk", "ResyncReport",
]
