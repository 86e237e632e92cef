"""Every shipped configuration gives the same counts when states are kept only as fingerprints.

A fingerprint is Python's hash() of the state; a model whose states hash alike where they
differ (hash(-1) == hash(-2)) would lose states in safety-only mode. This pins that none does.
"""
import pytest

from hvr_model.hyperv.config import config_names, load_config
from hvr_model.tools.verification import check_config

SMALL = [name for name in config_names() if name != "default"]


def _graph_counts(name):
    """The graph search's counts, as the manifest pins them (tests/tools/test_manifest.py checks the pins)."""
    from hvr_model.tools.manifest import manifest_entries
    entry = next(e for e in manifest_entries() if e.config == name and not e.mutant and e.symmetry is None)
    return entry.states, entry.edges, entry.depth


@pytest.mark.parametrize("name", SMALL + [pytest.param("default", marks=pytest.mark.slow)])
def test_safety_only_counts_equal_the_graph_counts(name):
    safety = check_config(name, safety_only=True)
    assert (safety.exploration.states, safety.exploration.edges, safety.exploration.depth) == _graph_counts(name)
    assert safety.violated == []


def test_data_configurations_are_refused_for_workers():
    from hvr_model.hyperv.config import ConfigError
    with pytest.raises(ConfigError, match="do not travel between processes"):
        check_config(load_config("data_single_vm"), workers=2)


def test_an_unreachable_ray_address_is_bad_input():
    from hvr_model.hyperv.config import ConfigError
    with pytest.raises(ConfigError, match="no Ray cluster answers"):
        check_config("single_vm", workers=2, backend="ray", ray_address="127.0.0.1:1")


def test_one_configurations_data_values_are_never_reused_by_another():
    """Block-store values are interned for the whole process: data_overwrite's VM (same name, same
    bytes, no retention) must not stand in for data_failback's (one-hour retention)."""
    alone = check_config("data_failback").exploration.states
    check_config("data_overwrite")
    assert check_config("data_failback").exploration.states == alone
    from hvr_model.tools.manifest import manifest_entries
    pinned = next(e for e in manifest_entries() if e.config == "data_failback" and not e.mutant)
    assert alone == pinned.states
