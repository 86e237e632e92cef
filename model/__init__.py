"""hvr_model: a formal model of Hyper-V Replica to a secondary VMM site under Azure Site Recovery.

The package is layered; each layer imports only from the layers before it:

1. :mod:`hvr_model.checker`: the generic, domain-free checker (anyone's model).
2. :mod:`hvr_model.blockstore`: the reference data path on real bytes (.hrl logs, replica, resync).
3. :mod:`hvr_model.hyperv`: the Hyper-V Replica / ASR model (configurations, tables, system, mutants).
4. :mod:`hvr_model.specs`: the named claims about it.
5. :mod:`hvr_model.conformance`: oracle, trace checking and fuzzing for DR implementations.
6. :mod:`hvr_model.tools`: the command line, manifest runner, report, diagrams and exports.

The public names below are re-exported lazily, so ``import hvr_model.checker`` loads
nothing of the Hyper-V layers.

>>> import hvr_model
>>> hvr_model.check_config("single_vm").holds
True
"""
from importlib import import_module
from typing import TYPE_CHECKING, Any

from .tools.version import __version__

if TYPE_CHECKING:     # what a type checker sees of the lazy re-exports below (mypy, pyright)
    from .checker import (Always, AlwaysStep, CheckResult, Exploration, GraphClaim, MachineSpec, Sometimes,
                          SometimesStep, SynchronousProduct, check, explore, transition)
    from .blockstore import DataPathError, DiskImage, ReplicatedVm
    from .hyperv import Config, ConfigError, EVENTS, MUTANTS, System, config_names, load_config, system_for
    from .specs.catalogue import ALL_PROPERTIES
    from .conformance import Oracle, Refused, assert_conforms, check_trace
    from .conformance.events import Event
    from .conformance.fuzz import Implementation, machine_for
    from .tools.verification import check_config

#: Public name -> the module that defines it.
_EXPORTS = {
    "explore": "checker", "check": "checker", "MachineSpec": "checker", "transition": "checker",
    "SynchronousProduct": "checker", "Always": "checker", "Sometimes": "checker", "AlwaysStep": "checker",
    "SometimesStep": "checker", "GraphClaim": "checker", "CheckResult": "checker", "Exploration": "checker",
    "ReplicatedVm": "blockstore", "DiskImage": "blockstore", "DataPathError": "blockstore",
    "Config": "hyperv", "ConfigError": "hyperv", "load_config": "hyperv", "config_names": "hyperv",
    "System": "hyperv", "system_for": "hyperv", "MUTANTS": "hyperv", "EVENTS": "hyperv",
    "ALL_PROPERTIES": "specs.catalogue",
    "Oracle": "conformance", "Refused": "conformance", "check_trace": "conformance",
    "assert_conforms": "conformance", "Event": "conformance.events",
    "machine_for": "conformance.fuzz", "Implementation": "conformance.fuzz",
    "check_config": "tools.verification",
}

# A literal list, so that type checkers read it.
__all__ = [
    "ALL_PROPERTIES", "Always", "AlwaysStep", "CheckResult", "Config", "ConfigError", "DataPathError",
    "DiskImage", "EVENTS", "Event", "Exploration", "GraphClaim", "Implementation", "MUTANTS", "MachineSpec",
    "Oracle", "Refused", "ReplicatedVm", "Sometimes", "SometimesStep", "SynchronousProduct", "System",
    "assert_conforms", "check", "check_config", "check_trace", "config_names", "explore", "load_config",
    "machine_for", "system_for", "transition", "__version__",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'hvr_model' has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
