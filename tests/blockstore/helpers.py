"""Shared values and helpers of the block-store claims (tests/blockstore/test_*.py).

Every expected value the claims use is computed independently of the code under
test: by replaying the guest writes (``replay``) on blank disks.
"""
from __future__ import annotations

from hvr_model.blockstore import ReplicatedVm, hrl
from hvr_model.blockstore.disk import DiskImage
from hvr_model.blockstore.hrl import Credential
from hvr_model.blockstore.hrl.security import _mac

B = 16                  # block size (bytes)
N = 16                  # blocks per disk
CHUNK = 4               # blocks per resync chunk in the small-disk resync claims

PRIMARY_NAME = "hv-primary.contoso.com"
RECOVERY_NAME = "hv-recovery.contoso.com"
OUTSIDER_NAME = "hv7.fabrikam.com"


# --------------------------------------------------------------------------- helpers

def blk(tag: str, size: int = B) -> bytes:
    """A recognisable, non-zero block: ``tag`` padded with dashes."""
    return tag.encode().ljust(size, b"-")[:size]


def blank_disks(disks: int = 2, blocks: int = N, block_size: int = B) -> tuple[DiskImage, ...]:
    return (DiskImage.blank(blocks, block_size),) * disks


def replay(blank: tuple[DiskImage, ...], writes) -> tuple[DiskImage, ...]:
    """The disks after applying the guest ``writes`` in order: the independent oracle."""
    disks = list(blank)
    for write in writes:
        disks[write.disk] = disks[write.disk].write(write.block, write.data)
    return tuple(disks)


def history_replay(vm: ReplicatedVm, upto: int | None = None) -> tuple[DiskImage, ...]:
    writes = vm.history if upto is None else vm.history[:upto]
    return replay(blank_disks(vm.disks, vm.blocks, vm.block_size), writes)


def protected(disks: int = 2, **options) -> ReplicatedVm:
    """A VM whose initial replication is complete (phase delta), with no writes yet."""
    vm = ReplicatedVm("web", disks=disks, blocks=N, block_size=B, **options)
    vm.enable_protection()
    while len(vm.copied) < vm.disks:
        vm.copy_next_disk()
    vm.complete_initial_replication()
    return vm


def every_point(vm: ReplicatedVm) -> tuple[tuple[DiskImage, ...], ...]:
    return tuple(vm.replica_disks(i) for i in range(len(vm.replica.points)))


def replica_side(vm: ReplicatedVm) -> tuple:
    """Everything a refused or interrupted delivery must leave exactly as it was."""
    return (vm.replica, every_point(vm), vm.images[vm.target], tuple(vm.last_applied),
            dict(vm.point_seq), vm.phase)


def switch_all(vm: ReplicatedVm) -> list[hrl.ReplicationLog]:
    """Close every disk's open log at the same instant, as a cycle does."""
    return [writer.switch() for writer in vm.writers]


def sign(vm: ReplicatedVm, logs) -> list[bytes]:
    """Wire bytes of ``logs`` signed by the VM's current source host."""
    return [hrl.encode(log, vm.hosts[vm.source].credential) for log in logs]


def flip(data: bytes, offset: int, mask: int = 0xFF) -> bytes:
    changed = bytearray(data)
    changed[offset] ^= mask
    return bytes(changed)


def span(log: hrl.ReplicationLog, part: str, entry: int | None = None) -> hrl.Span:
    return next(s for s in hrl.record_spans(log)
                if s.part == part and (entry is None or s.entry == entry))


def resign(data: bytes, credential: Credential) -> bytes:
    """What a buggy but authentic tracker sends: these bytes with a valid MAC (see test_hrl.py)."""
    unsigned = data[:-32]
    return unsigned + _mac(credential, unsigned)

