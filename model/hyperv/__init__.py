"""The Hyper-V Replica / ASR model: configurations, machine tables, guards, effects, the composed system.

* :mod:`.config` (and the shipped ``configs/*.toml``): what is checked, validated on load.
* :mod:`.events`: every event, classified (orchestration, engine, operator, guest, environment).
* :mod:`.protocol`: one table per protocol machine; :mod:`.environment`: sites, link and vault.
* :mod:`.state` and :mod:`.views`: the composed state and what is derived from it.
* :mod:`.guards` (each with its requirement) and :mod:`.effects`: the names the rows use.
* :mod:`.system`: the tables composed for one configuration.
* :mod:`.mutants`: broken variants, chosen where the check is declared (:func:`system_for`).

It builds on :mod:`hvr_model.checker` and :mod:`hvr_model.blockstore` only.
"""
from .config import Config, ConfigError, config_names, load_config, parse_config
from .events import EVENTS, EventSpec
from .mutants import MUTANTS, Mutant, system_for
from .state import World, initial_world
from .system import MACHINES, System

__all__ = ["Config", "ConfigError", "load_config", "parse_config", "config_names", "EVENTS", "EventSpec",
           "MACHINES", "System", "World", "initial_world", "MUTANTS", "Mutant", "system_for"]
