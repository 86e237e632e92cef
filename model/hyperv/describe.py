"""Readable views of a state: flat ``{path: value}`` dicts and step-by-step diffs.

>>> from hvr_model.hyperv.config import load_config
>>> from hvr_model.hyperv.state import initial_world
>>> cfg = load_config("single_vm")
>>> flat = describe(initial_world(cfg), cfg)
>>> flat["vm[web].protection"], flat["site[primary]"], flat["vm[web].power[primary]"]
('Unprotected', 'Online', 'Serving')
>>> changes(initial_world(cfg), initial_world(cfg)._replace(vault="Unreachable"), cfg)
{'vault': ('Reachable', 'Unreachable')}
"""
from __future__ import annotations

from ..blockstore.hrl import LogWriter
from .config import Config
from .state import SITE_NAMES, World
from .views import direction, replication_health, replication_mode

__all__ = ["describe", "changes"]


def _vm_view(w: World, i: int, config: Config) -> dict[str, str]:
    vm, name = w.vms[i], config.vms[i].name
    out = {f"vm[{name}].{field}": str(getattr(vm, field))
           for field in ("protection", "phase", "active", "test", "snapshot", "unsent", "unclosed_log",
                         "retries", "older_points", "chosen_point", "source_needs_resync", "held_logs",
                         "missed_cycles")}
    for s, site in enumerate(SITE_NAMES):
        out[f"vm[{name}].power[{site}]"] = str(vm.power[s])
        out[f"vm[{name}].mode[{site}]"] = replication_mode(w, i, s)
    for d, progress in enumerate(vm.disks):
        out[f"vm[{name}].disk[{d}]"] = str(progress)
    out[f"vm[{name}].direction"] = str(direction(w, i))
    out[f"vm[{name}].health"] = str(replication_health(w, i))
    if vm.data is not None:
        out |= _data_view(vm.data, name)
    return out


def _blocks(image) -> str:
    """A disk's blocks as text: ``.`` for unwritten, else the bytes (decoded when printable)."""
    return "|".join("." if b is None else b.decode("latin-1") if b.isascii() and b.isalnum() else b.hex()
                    for b in image.blocks)


def _data_view(data, name: str) -> dict[str, str]:
    """Disk contents on each site, the write history and what the replica holds (data configurations)."""
    out = {f"vm[{name}].data.phase": data.phase,
           f"vm[{name}].data.history": " ".join(f"{w.disk}:{w.block}={w.data.decode('latin-1')}"
                                                for w in data.history) or "-"}
    for s, site in enumerate(SITE_NAMES):
        for d, image in enumerate(data.images[s]):
            out[f"vm[{name}].data.disk[{d}][{site}]"] = _blocks(image)
    if data.replica is not None and data.point_seq:
        out[f"vm[{name}].data.points_hold_writes"] = ",".join(
            str(data.point_seq.get(p.point_id, "?")) for p in data.replica.points)
    if data.last_failover is not None:
        out[f"vm[{name}].data.lost_writes"] = str(len(data.last_failover.lost_writes))
    if data.writers and all(isinstance(w, LogWriter) for w in data.writers):
        # The tracker's next log id relative to the replica's last applied one, per disk: 1 while
        # in step (absolute ids are not part of the state's value, see ReplicatedVm.key).
        out[f"vm[{name}].data.next_log"] = ",".join(
            f"{w.open_log.header.log_id - last:+d}" for w, last in zip(data.writers, data.last_applied))
    if data.recorded:
        out[f"vm[{name}].data.recorded"] = _recorded(data)
    return out


def _recorded(data) -> str:
    """The recorded delta (wiretap) as the replica would see it: its generation, its ids."""
    logs = data.recorded[1]
    current = data.replica is not None and logs[0].header.generation == data.replica_generation
    continues = all(log.header.log_id == last + 1 for log, last in zip(logs, data.last_applied))
    return (f"{'current' if current else 'earlier'} generation, "
            f"{'continues the chain' if continues else 'at or before the last applied'}")


def describe(w: World, config: Config) -> dict[str, str]:
    """Every variable of the state (and the derived mode, direction, health) by path."""
    out = {f"site[{site}]": str(w.sites[s]) for s, site in enumerate(SITE_NAMES)}
    out |= {"network": str(w.network), "vault": str(w.vault), "plan.status": str(w.plan_status),
            "plan.kind": str(w.plan_kind), "plan.group": str(w.plan_group)}
    for i in range(len(w.vms)):
        out |= _vm_view(w, i, config)
    return out


def changes(before: World, after: World, config: Config) -> dict[str, tuple[str, str]]:
    """The paths whose value differs between two states, with (old, new)."""
    a, b = describe(before, config), describe(after, config)
    return {path: (a.get(path, "-"), b[path]) for path in b if a.get(path) != b[path]}
