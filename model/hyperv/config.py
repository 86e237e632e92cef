"""Model configurations: TOML files, validated into frozen dataclasses.

A configuration names the VMs (and their disks), the replication policy, the
recovery plan, which faults the environment may inject and the bounds that
keep the state space finite. Bad input raises :class:`ConfigError`, which
names the offending key; nothing is half-loaded.

>>> cfg = load_config("default")
>>> [vm.name for vm in cfg.vms], [vm.disks for vm in cfg.vms]
(['sql', 'web'], [1, 2])
>>> parse_config({"name": "x", "vms": [{"name": "a", "disks": 0}]})
Traceback (most recent call last):
...
hvr_model.hyperv.config_fields.ConfigError: vms[0].disks: must be between 1 and 4, got 0
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ..checker.inputs import InputError, excerpt, parse_toml, read_text
from .config_fields import ConfigError, _check_keys, _check_type, _choice, _int_range
from .events import EVENTS

__all__ = ["Config", "VmConfig", "PlanGroup", "Policy", "Bounds", "DataConfig", "ConfigError", "load_config",
           "parse_config", "config_names", "as_config", "as_config", "FAULTS", "POST_ACTIONS"]

#: Environment actions a configuration may enable (REQUIREMENTS, "Faults").
FAULTS = ("site_outage", "vmm_server_outage", "host_crash", "network_partition", "vault_outage",
          "non_recoverable_error", "group_script_fails", "log_corruption", "log_replay", "offline_disk_change")
POST_ACTIONS = ("none", "manual", "script")
COPY_FREQUENCIES = ("30s", "5min", "15min")
INITIAL_REPLICATION = ("online", "scheduled", "offline")
AUTHENTICATION = ("kerberos", "certificate")
RESYNCHRONIZATION = ("automatic", "scheduled", "manual")
MAX_GROUPS = 7


@dataclass(frozen=True)
class VmConfig:
    name: str
    disks: int = 1
    exclude: tuple[str, ...] = ()   # events this VM does not take in this configuration


@dataclass(frozen=True)
class PlanGroup:
    vms: tuple[str, ...]
    post_action: str = "none"


@dataclass(frozen=True)
class Policy:
    """ASR replication policy (REQ-05)."""

    copy_frequency: str = "5min"
    recovery_point_retention_hours: int = 0
    app_consistent_snapshot_hours: int = 0
    initial_replication: str = "online"
    authentication: str = "kerberos"
    port: int = 80
    resynchronization: str = "automatic"   # who starts a required resync (REQ-18): the engine, or an operator


@dataclass(frozen=True)
class Bounds:
    """Abstraction bounds that keep the explored state space finite."""

    log_threshold: int = 1          # unsent log batches that stand for "logs past 50% of VHD size"
    retry_attempts: int = 1         # failed retries distinguished before the count saturates (>= 1)
    max_concurrent_faults: int = 1  # faults active at the same time


@dataclass(frozen=True)
class DataConfig:
    """Real bytes in the explored state: each VM runs the reference block store (small disks)."""

    blocks: int = 1                   # blocks per disk
    values: tuple[str, ...] = ("A", "B")   # what a guest write may put in a block (one byte each)
    max_writes: int = 2               # guest writes a VM's source history may hold


@dataclass(frozen=True)
class Config:
    name: str
    vms: tuple[VmConfig, ...]
    description: str = ""
    initially_protected: bool = False
    policy: Policy = field(default_factory=Policy)
    bounds: Bounds = field(default_factory=Bounds)
    faults: tuple[str, ...] = ()
    plan: tuple[PlanGroup, ...] = ()
    exclude: tuple[str, ...] = ()   # protocol events left out of this configuration (scoping)
    data: DataConfig | None = None  # real bytes in the state (small configurations only)
    symmetry: bool = False          # check with VMs of identical settings interchangeable

    def group_of(self, vm: int) -> int | None:
        """Index of the plan group that holds VM number ``vm``, or None."""
        name = self.vms[vm].name
        return next((i for i, g in enumerate(self.plan) if name in g.vms), None)

    def interchangeable_vms(self) -> tuple[tuple[int, ...], ...]:
        """Classes (2 or more) of VM indices with identical settings, plan group included.

        Such VMs are interchangeable: the model treats them alike, so a check may keep
        one state per renaming of them (symmetry reduction). Data configurations have
        none: each VM's block store carries its name.
        """
        if self.data is not None:
            return ()
        classes: dict = {}
        for i, vm in enumerate(self.vms):
            classes.setdefault((vm.disks, vm.exclude, self.group_of(i)), []).append(i)
        return tuple(tuple(c) for c in classes.values() if len(c) > 1)

    @property
    def older_recovery_points(self) -> bool:
        """True when the policy keeps points besides the latest (REQ-14)."""
        return self.policy.recovery_point_retention_hours > 0


def _parse_vms(raw: Any) -> tuple[VmConfig, ...]:
    _check_type("vms", raw, list)
    if not 1 <= len(raw) <= 4:
        raise ConfigError(f"vms: must list 1 to 4 VMs, got {len(raw)}")
    vms = []
    for i, item in enumerate(raw):
        _check_type(f"vms[{i}]", item, dict)
        _check_keys(f"vms[{i}]", item, {"name", "disks", "exclude"})
        if "name" not in item:
            raise ConfigError(f"vms[{i}].name: missing")
        name = _check_type(f"vms[{i}].name", item["name"], str)
        if not name or name in {v.name for v in vms}:
            raise ConfigError(f"vms[{i}].name: must be a unique, non-empty name, got {excerpt(name)}")
        vms.append(VmConfig(name, _int_range(f"vms[{i}].disks", item.get("disks", 1), 1, 4),
                            _parse_exclude(f"vms[{i}].exclude", item.get("exclude", []), per_vm=True)))
    return tuple(vms)


def _parse_exclude(path: str, raw: Any, per_vm: bool = False) -> tuple[str, ...]:
    """Protocol events to leave out; faults are chosen with ``faults`` instead."""
    _check_type(path, raw, list)
    for i, name in enumerate(raw):
        _check_type(f"{path}[{i}]", name, str)
        spec = EVENTS.get(name)
        if spec is None or spec.kind == "environment":
            raise ConfigError(f"{path}[{i}]: {excerpt(name)} is not a protocol or guest event")
        if per_vm and "vm" not in spec.params:
            raise ConfigError(f"{path}[{i}]: {excerpt(name)} is not an event of a single VM")
    return tuple(raw)


def _parse_policy(raw: Any) -> Policy:
    _check_type("policy", raw, dict)
    _check_keys("policy", raw, set(Policy.__dataclass_fields__))
    d = Policy()
    policy = Policy(
        copy_frequency=_choice("policy.copy_frequency", raw.get("copy_frequency", d.copy_frequency),
                               COPY_FREQUENCIES),
        recovery_point_retention_hours=_int_range(
            "policy.recovery_point_retention_hours",
            raw.get("recovery_point_retention_hours", d.recovery_point_retention_hours), 0, 24),
        app_consistent_snapshot_hours=_int_range(
            "policy.app_consistent_snapshot_hours",
            raw.get("app_consistent_snapshot_hours", d.app_consistent_snapshot_hours), 0, 12),
        initial_replication=_choice("policy.initial_replication",
                                    raw.get("initial_replication", d.initial_replication), INITIAL_REPLICATION),
        authentication=_choice("policy.authentication", raw.get("authentication", d.authentication),
                               AUTHENTICATION),
        port=_int_range("policy.port", raw.get("port", d.port), 1, 65535),
        resynchronization=_choice("policy.resynchronization", raw.get("resynchronization", d.resynchronization),
                                  RESYNCHRONIZATION))
    if policy.app_consistent_snapshot_hours and \
            policy.app_consistent_snapshot_hours >= max(policy.recovery_point_retention_hours, 1):
        raise ConfigError("policy.app_consistent_snapshot_hours: must be less than "
                          "policy.recovery_point_retention_hours (REQ-05)")
    return policy


def _parse_bounds(raw: Any) -> Bounds:
    _check_type("bounds", raw, dict)
    _check_keys("bounds", raw, set(Bounds.__dataclass_fields__))
    d = Bounds()
    return Bounds(
        log_threshold=_int_range("bounds.log_threshold", raw.get("log_threshold", d.log_threshold), 1, 8),
        retry_attempts=_int_range("bounds.retry_attempts", raw.get("retry_attempts", d.retry_attempts), 1, 6),
        max_concurrent_faults=_int_range("bounds.max_concurrent_faults",
                                         raw.get("max_concurrent_faults", d.max_concurrent_faults), 0, 3))


def _parse_faults(raw: Any) -> tuple[str, ...]:
    _check_type("faults", raw, list)
    for i, name in enumerate(raw):
        _choice(f"faults[{i}]", name, FAULTS)
    if len(set(raw)) != len(raw):
        raise ConfigError("faults: lists a fault twice")
    return tuple(raw)


def _parse_plan(raw: Any, vms: tuple[VmConfig, ...]) -> tuple[PlanGroup, ...]:
    _check_type("recovery_plan", raw, dict)
    _check_keys("recovery_plan", raw, {"groups"})
    groups = _check_type("recovery_plan.groups", raw.get("groups", []), list)
    if not 1 <= len(groups) <= MAX_GROUPS:
        raise ConfigError(f"recovery_plan.groups: must hold 1 to {MAX_GROUPS} groups (REQ-32), got {len(groups)}")
    known, seen, parsed = {vm.name for vm in vms}, set(), []
    for i, group in enumerate(groups):
        path = f"recovery_plan.groups[{i}]"
        _check_type(path, group, dict)
        _check_keys(path, group, {"vms", "post_action"})
        names = _check_type(f"{path}.vms", group.get("vms", []), list)
        if not names:
            raise ConfigError(f"{path}.vms: a group needs at least one VM")
        for j, name in enumerate(names):
            _check_type(f"{path}.vms[{j}]", name, str)
            if name not in known:
                raise ConfigError(f"{path}.vms[{j}]: unknown VM {excerpt(name)}")
            if name in seen:
                raise ConfigError(f"{path}.vms[{j}]: VM {excerpt(name)} is already in a group (REQ-32)")
            seen.add(name)
        parsed.append(PlanGroup(tuple(names), _choice(f"{path}.post_action",
                                                      group.get("post_action", "none"), POST_ACTIONS)))
    return tuple(parsed)


_TOP_KEYS = {"name", "description", "initially_protected", "symmetry", "vms", "policy", "bounds", "faults",
             "recovery_plan", "exclude", "data"}


def _parse_data(raw: Any) -> DataConfig:
    _check_type("data", raw, dict)
    _check_keys("data", raw, set(DataConfig.__dataclass_fields__))
    d = DataConfig()
    values = _check_type("data.values", raw.get("values", list(d.values)), list)
    if not 1 <= len(values) <= 4:
        raise ConfigError(f"data.values: must list 1 to 4 values, got {len(values)}")
    for i, value in enumerate(values):
        _check_type(f"data.values[{i}]", value, str)
        if len(value.encode()) != 1 or value == "\0":
            raise ConfigError(f"data.values[{i}]: must be one non-zero byte, got {excerpt(value)}")
    if len(set(values)) != len(values):
        raise ConfigError("data.values: lists a value twice")
    return DataConfig(blocks=_int_range("data.blocks", raw.get("blocks", d.blocks), 1, 4), values=tuple(values),
                      max_writes=_int_range("data.max_writes", raw.get("max_writes", d.max_writes), 1, 6))


def parse_config(raw: dict[str, Any]) -> Config:
    """Validate a configuration given as a dict (the parsed TOML)."""
    _check_type("configuration", raw, dict)
    if "mutant" in raw:
        raise ConfigError("mutant: a configuration names no mutant; choose the variant where the check is "
                          "declared (hvr-model check --mutant NAME, or system_for(config, mutant=NAME))")
    _check_keys("", raw, _TOP_KEYS)
    if "vms" not in raw:
        raise ConfigError("vms: missing (at least one VM is needed)")
    vms = _parse_vms(raw["vms"])
    config = Config(
        name=_check_type("name", raw.get("name", "unnamed"), str),
        description=_check_type("description", raw.get("description", ""), str),
        vms=vms,
        initially_protected=_check_type("initially_protected", raw.get("initially_protected", False), bool),
        symmetry=_check_type("symmetry", raw.get("symmetry", False), bool),
        policy=_parse_policy(raw.get("policy", {})),
        bounds=_parse_bounds(raw.get("bounds", {})),
        faults=_parse_faults(raw.get("faults", [])),
        plan=_parse_plan(raw["recovery_plan"], vms) if "recovery_plan" in raw else (),
        exclude=_parse_exclude("exclude", raw.get("exclude", [])),
        data=_parse_data(raw["data"]) if "data" in raw else None)
    _check_plan_scope(config)
    if config.symmetry and not config.interchangeable_vms():
        raise ConfigError("symmetry: no two VMs are interchangeable (same disks, exclude and plan group, "
                          "no [data]); set symmetry = false")
    if config.data is not None and config.initially_protected:
        raise ConfigError("data: the block store starts unprotected; set initially_protected = false")
    return config


#: The per-VM failover each kind of recovery plan runs.
_PLAN_FAILOVER = {"start_planned_recovery_plan": "planned_failover",
                  "start_unplanned_recovery_plan": "unplanned_failover",
                  "start_test_recovery_plan": "test_failover"}


#: What a running plan needs besides each VM's failover, by the post action that needs it (None: always).
_PLAN_STEPS = {None: ("complete_shutdown_step", "complete_failover_step", "complete_boot_group",
                      "close_recovery_plan"),
               "manual": ("confirm_manual_action",), "script": ("group_script_succeeds",)}


def _check_plan_steps(config: Config) -> None:
    """A plan in scope must be able to end: its steps, and starting each of its VMs, are not excluded."""
    if not config.plan or all(start in config.exclude for start in _PLAN_FAILOVER):
        return
    actions = {None} | {group.post_action for group in config.plan}
    for action, events in _PLAN_STEPS.items():
        for event in events:
            if action in actions and event in config.exclude:
                raise ConfigError(f"exclude: the recovery plan needs {event} to finish"
                                  + (f" (a group has post_action = {action!r})" if action else "")
                                  + "; exclude the plan's start events too, or keep it")
    for i, vm in enumerate(config.vms):
        if config.group_of(i) is not None and ("start_vm" in config.exclude or "start_vm" in vm.exclude):
            raise ConfigError(f"exclude: VM {excerpt(vm.name)} of the recovery plan excludes start_vm, so its boot "
                              "group could never complete; exclude the plan's start events too, or keep it")


def _check_plan_scope(config: Config) -> None:
    """A plan kind stays in scope only if every VM of the plan takes its failover, and the plan can end."""
    _check_plan_steps(config)
    for start, failover in _PLAN_FAILOVER.items():
        if start in config.exclude or not config.plan:
            continue
        for i, vm in enumerate(config.vms):
            if config.group_of(i) is not None and (failover in vm.exclude or failover in config.exclude):
                raise ConfigError(f"exclude: VM {excerpt(vm.name)} of the recovery plan excludes {failover}, "
                                  f"so {start} must be excluded too")


def as_config(config: "Config | str | os.PathLike[str]") -> Config:
    """``config`` itself, or the shipped configuration (by name) or TOML file (by path) it names.

    Every entry point that takes a configuration (``check_config``, ``system_for``,
    ``Oracle``, ``machine_for``, ``fuzz``) goes through here, so each accepts all three.

    Raises
    ------
    ConfigError
        A bad name, file or content (see :func:`load_config`).
    TypeError
        ``config`` is none of a Config, a name or a path.

    >>> as_config("single_vm").name == as_config(as_config("single_vm")).name == "single_vm"
    True
    """
    if isinstance(config, Config):
        return config
    if isinstance(config, (str, os.PathLike)):
        return load_config(os.fspath(config))
    raise TypeError(f"a configuration is a Config, a shipped name or a TOML path, got {type(config).__name__}")


def config_names() -> list[str]:
    """Names of the configurations shipped with the package."""
    folder = resources.files("hvr_model.hyperv") / "configs"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_config(name_or_path: str | Path) -> Config:
    """Load a shipped configuration by name, or a TOML file by path.

    Raises
    ------
    ConfigError
        No such configuration; the file is not a readable regular UTF-8 file of at most
        :data:`~hvr_model.checker.inputs.MAX_CONFIG_BYTES`; not TOML; nested too deeply;
        or not a valid configuration. The message starts with the file.
    """
    text, origin = _read_config_text(str(name_or_path))
    try:
        return parse_config(parse_toml(text, origin))
    except ConfigError as exc:
        raise ConfigError(f"{origin}: {exc}") from None
    except InputError as exc:
        raise ConfigError(str(exc)) from None


def _read_config_text(name_or_path: str) -> tuple[str, str]:
    if name_or_path in config_names():
        return (resources.files("hvr_model.hyperv") / "configs" / f"{name_or_path}.toml").read_text(), name_or_path
    if "\0" in name_or_path or not os.path.lexists(name_or_path):     # lexists: never raises
        raise ConfigError(f"config: no shipped configuration or file named {excerpt(name_or_path)} "
                          f"(shipped: {', '.join(config_names())})")
    try:
        return read_text(name_or_path, what="configuration"), name_or_path
    except InputError as exc:
        raise ConfigError(str(exc)) from None
