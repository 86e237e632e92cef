"""Check the Hyper-V model: a configuration (or a broken variant of it) against the specs' claims.

This is what ``hvr-model check`` runs: the Hyper-V system of
:mod:`hvr_model.hyperv`, the claims of :mod:`hvr_model.specs`, and the generic
engine :func:`hvr_model.checker.checking.check`.

>>> result = check_config("single_vm")
>>> result.holds, result.exploration.states
(True, 254)
>>> check_config("single_vm", mutant="disks_copied_in_parallel").violated
['one_disk_copied_at_a_time']
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
import os
from typing import Any

from ..checker.checking import CheckResult, check
from ..checker.exploration import Progress
from ..checker.parallel import require_reachable
from ..hyperv.config import Config, ConfigError, as_config
from ..hyperv.mutants import system_for
from ..specs.catalogue import ALL_PROPERTIES

__all__ = ["check_config", "as_config"]


def check_config(config: Config | str | os.PathLike[str], mutant: str | None = None,
                 properties: Sequence[Any] | None = None,
                 *, max_states: int | None = None, progress: Callable[[Progress], None] | None = None,
                 symmetry: bool | None = None, safety_only: bool = False,
                 max_memory: int | None = None, workers: int | None = None, backend: str = "processes",
                 ray_address: str | None = None) -> CheckResult:
    """Explore ``config`` (or its variant ``mutant``) exhaustively and decide every property.

    Parameters
    ----------
    config : Config, str or Path
        A configuration, or the name of a shipped one, or a TOML file.
    mutant : str, optional
        A name from :data:`hvr_model.hyperv.mutants.MUTANTS`.
    properties : sequence, optional
        Default: every claim of :data:`hvr_model.specs.catalogue.ALL_PROPERTIES`.
    max_states, progress
        As for :func:`hvr_model.checker.checking.check`.
    symmetry : bool, optional
        Treat VMs of identical settings as interchangeable (default: the configuration's
        ``symmetry`` key).
    safety_only, max_memory
        Fingerprints instead of the graph; a memory budget in bytes (see
        :func:`hvr_model.checker.checking.check`).
    workers, backend, ray_address
        Partitioned exploration over processes or Ray actors (safety claims only; each
        worker builds the system from the configuration).

    Raises
    ------
    ConfigError
        A bad configuration, an unknown mutant, or symmetry without interchangeable VMs.
    """
    config = as_config(config)
    if workers and config.data is not None:
        raise ConfigError("--workers/--ray: a [data] configuration's states hold block-store objects that do "
                          "not travel between processes; check it in one process (--safety-only for less memory)")
    if backend == "ray":
        try:
            import ray  # noqa: F401 -- an extra: refused as bad input before any work when it is missing
        except ImportError:
            raise ConfigError("--ray: the ray backend needs Ray: pip install 'hvr-model[cluster]'") from None
    if backend == "ray" and ray_address:
        try:
            require_reachable(ray_address)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    symmetry = config.symmetry if symmetry is None else symmetry
    if symmetry and not config.interchangeable_vms():
        raise ConfigError(f"--symmetry: configuration {config.name!r} has no interchangeable VMs "
                          f"(same disks, exclude and plan group, no [data])")
    claims = ALL_PROPERTIES if properties is None else properties
    return check(system_for(config, mutant), claims, max_states=max_states, progress=progress, symmetry=symmetry, safety_only=safety_only, max_memory=max_memory, workers=workers,
                 backend=backend, ray_address=ray_address, make_model=partial(system_for, config, mutant))
