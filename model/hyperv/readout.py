"""What a claim read in a state, named as :func:`~hvr_model.hyperv.describe.describe` names it.

:func:`hvr_model.checker.reads.reads` gives the access paths a predicate
followed on a :class:`~hvr_model.hyperv.state.World` (``('vms', 0, 'unsent')``);
here they become the keys of the state's description (``vm[web].unsent``) with
their values, so a counterexample can show the variables its verdict rests on,
changed at the last step or not.

Paths into a VM's block store map to the nearest ``vm[NAME].data.*`` key; a
path with no key in the description (``diverged_replica``, the store's
``refusal``) gets a readable dotted name and its value read from the state.

>>> from hvr_model.hyperv.config import load_config
>>> from hvr_model.hyperv.state import initial_world, update_vm
>>> cfg = load_config("single_vm")
>>> w = update_vm(initial_world(cfg), 0, unsent=1)
>>> read_variables([('vms', 0, 'unsent'), ('sites', 0), ('vms', 0, 'power', 1), ('vault',)], w, cfg)
{'vm[web].unsent': '1', 'site[primary]': 'Online', 'vm[web].power[recovery]': 'Off', 'vault': 'Reachable'}
>>> read_variables([('vms', 0, 'diverged_replica'), ('vms', 0, 'disks', 'count()')], w, cfg)
{'vm[web].diverged_replica': 'False', 'vm[web].disk[0]': 'Pending', 'vm[web].disk[1]': 'Pending'}
"""
from __future__ import annotations

from collections.abc import Iterable

from ..checker.properties import Always, AlwaysStep
from ..checker.reads import Path, reads
from .config import Config
from .describe import describe
from .state import SITE_NAMES, World

__all__ = ["read_variables", "keys_of", "claim_reads"]

_TOP = {"network": "network", "vault": "vault", "plan_status": "plan.status", "plan_kind": "plan.kind",
        "plan_group": "plan.group"}
#: Block-store attributes and methods -> the data key that shows them.
_DATA = {"phase": "phase", "history": "history", "point_seq": "points_hold_writes",
         "replica": "points_hold_writes", "replica_disks()": "points_hold_writes",
         "applied_seq()": "points_hold_writes", "last_failover": "lost_writes", "last_applied": "next_log",
         "recorded": "recorded", "replica_generation": "recorded"}
#: The store's settings (from the configuration): the same in every state, so they explain nothing.
_SETTINGS = {"name", "disks", "blocks", "block_size", "retention", "app_consistent_every", "authentication", "hosts"}
_SHOWN = 120   # characters of a value with no key of its own


def claim_reads(prop, steps, model) -> dict[str, dict[str, str]] | None:
    """What a violated state or step claim read at the end of its counterexample.

    Parameters
    ----------
    prop : Always or AlwaysStep
        The claim (other kinds have no predicate on the last states: None).
    steps : list of Step
        Its counterexample; the states are Worlds of ``model``.
    model : System
        Gives the configuration and the last action's binding (``model.action``).

    Returns
    -------
    dict or None
        ``{"last": {key: value}}`` for a state claim, ``{"before": ..., "after": ...}``
        for a step claim; None when the reads cannot be told (the claim raises,
        holds there, or behaves differently on the recording proxies).
    """
    config = model.config
    if isinstance(prop, Always) and steps:
        found = reads(prop.predicate, steps[-1].state, config)
        return None if found is None or found.holds else {"last": read_variables(found.paths[0],
                                                                                 steps[-1].state, config)}
    if isinstance(prop, AlwaysStep) and len(steps) >= 2:
        before, after = steps[-2].state, steps[-1].state
        found = reads(prop.check, before, after, model.action(steps[-1].action), config, states=(0, 1))
        if found is None or found.holds:
            return None
        return {"before": read_variables(found.paths[0], before, config),
                "after": read_variables(found.paths[1], after, config)}
    return None


def read_variables(paths: Iterable[Path], w: World, config: Config) -> dict[str, str]:
    """``{describe() key: value in w}`` for the paths read, in reading order, each key once."""
    shown = describe(w, config)
    out: dict[str, str] = {}
    for path in paths:
        for key in keys_of(path, w, config, shown):
            out.setdefault(key, shown[key] if key in shown else _raw_value(path, w) if path else "(all of it)")
    return out


def keys_of(path: Path, w: World, config: Config, shown: dict[str, str] | None = None) -> list[str]:
    """The description keys that show what ``path`` read (a dotted name if none does).

    ``shown`` is ``describe(w, config)`` when the caller has it. A path to what the
    configuration fixes (the number of VMs, a block store's size) gives no key.

    >>> from hvr_model.hyperv.config import load_config
    >>> from hvr_model.hyperv.state import initial_world
    >>> cfg = load_config("single_vm")
    >>> keys_of(('vms', 0, 'power'), initial_world(cfg), cfg)
    ['vm[web].power[primary]', 'vm[web].power[recovery]']
    """
    if not path:
        return ["state"]   # read whole (compared with another state): every variable counts
    head, rest = path[0], path[1:]
    if head == "sites":
        return [f"site[{s}]" for i, s in enumerate(SITE_NAMES) if not _index(rest) or rest[0] == i]
    if head in _TOP:
        return [_TOP[head]]
    if head == "vms" and _index(rest):
        return _vm_keys(rest[0], rest[1:], w, config, shown or describe(w, config))
    if head == "vms" and rest == ("len()",):
        return []   # the number of VMs is the configuration's
    return [_dotted(path, config)]


def _index(rest: tuple) -> bool:
    return bool(rest) and isinstance(rest[0], int)


def _vm_keys(i: int, rest: tuple, w: World, config: Config, shown: dict[str, str]) -> list[str]:
    prefix = f"vm[{config.vms[i].name}]."
    if not rest or rest[0].endswith("()"):
        return [k for k in shown if k.startswith(prefix)]   # the record read whole
    field, sub = rest[0], rest[1:]
    if field == "power":
        return [f"{prefix}power[{s}]" for j, s in enumerate(SITE_NAMES) if not _index(sub) or sub[0] == j]
    if field == "disks":
        return [f"{prefix}disk[{d}]" for d in range(len(w.vms[i].disks)) if not _index(sub) or sub[0] == d]
    if field == "data":
        keys = _data_keys(w.vms[i].data, sub, prefix + "data.", shown)
        return [_dotted(("vms", i) + rest, config)] if keys is None else keys
    key = prefix + field
    return [key] if key in shown else [_dotted(("vms", i) + rest, config)]


def _data_keys(data, rest: tuple, prefix: str, shown: dict) -> list[str] | None:
    """The ``vm[NAME].data.*`` keys nearest to a path into a block store (None: no key shows it)."""
    if data is None:
        return None
    if not rest:
        return [k for k in shown if k.startswith(prefix)]
    if rest[0] in _SETTINGS:
        return []
    if rest[0] in ("images", "source_disks()"):
        sites = [data.source] if rest[0] == "source_disks()" else [rest[1]] if _index(rest[1:]) else [0, 1]
        disks = [rest[2]] if rest[0] == "images" and _index(rest[2:]) else range(data.disks)
        return [f"{prefix}disk[{d}][{SITE_NAMES[s]}]" for s in sites for d in disks]
    if rest[0] in _DATA:
        key = prefix + _DATA[rest[0]]
        return [key] if key in shown else None
    # Another method's result depends on the store as a whole; an attribute is shown by itself.
    return [k for k in shown if k.startswith(prefix)] if rest[0].endswith("()") else None


def _dotted(path: Path, config: Config) -> str:
    """A readable name for a path: ``vm[web].diverged_replica``, ``len(vm[web].data.history)``.

    A call other than ``len`` is named after its object and method (its arguments are not kept).
    """
    names = {"vms": lambda i: f"vm[{config.vms[i].name}]", "sites": lambda i: f"site[{SITE_NAMES[i]}]"}
    out = ""
    for k, part in enumerate(path):
        if k == 1 and path[0] in names and isinstance(part, int):
            out = names[path[0]](part)
        elif part == "len()":
            return f"len({out})"
        elif isinstance(part, str):
            out += ("." if out else "") + part
            if part.endswith("()"):
                break
        else:
            out += f"[{part}]"
    return out


def _raw_value(path: Path, w: World) -> str:
    """The value at ``path`` as text (a call's object, as the call's arguments are not kept)."""
    value = w
    try:
        for part in path:
            if part == "len()":
                return str(len(value))
            if isinstance(part, str) and part.endswith("()"):
                break
            value = getattr(value, part) if isinstance(part, str) else value[part]
    except (AttributeError, IndexError, KeyError, TypeError):
        return "?"
    if type(value).__repr__ is object.__repr__ and type(value).__str__ is object.__str__:
        return f"<{type(value).__name__}>"   # not its address: the same state must print the same
    text = str(value)
    return text if len(text) <= _SHOWN else text[:_SHOWN - 1] + "…"
