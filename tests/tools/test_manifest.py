"""Every named configuration and every mutant gives the result the manifest pins.

The manifest (specs/manifest.toml) is the regression record: the verdict, the
properties a mutant violates and the exact state, transition and depth counts.
"""
import pytest

from hvr_model.hyperv.mutants import MUTANTS
from hvr_model.checker.manifest import Entry
from hvr_model.tools import manifest
from hvr_model.specs.catalogue import ALL_PROPERTIES

ENTRIES = manifest.manifest_entries()


#: Entries over this many states belong to the slow tier (``pytest -m "not slow"`` skips them).
SLOW_STATES = 100_000


@pytest.mark.parametrize("entry", [pytest.param(e, marks=pytest.mark.slow) if (e.states or 0) > SLOW_STATES else e
                                   for e in ENTRIES], ids=[e.name for e in ENTRIES])
def test_manifest_entry_gives_its_pinned_result(entry):
    result = manifest.run_entry(entry)
    assert manifest.entry_differences(entry, result) == []


def test_every_mutant_is_in_the_manifest_and_expected_to_be_caught():
    pinned = {e.mutant: e for e in ENTRIES if e.mutant}
    assert set(pinned) == set(MUTANTS)
    for name, entry in pinned.items():
        assert entry.expect == "violated" and MUTANTS[name].kills in entry.violates


def test_every_safety_property_graph_and_liveness_claim_is_killed_by_some_mutant():
    killed = {m.kills for m in MUTANTS.values()}
    claims = {p.name for p in ALL_PROPERTIES if p.kind in ("always", "always-step", "graph", "leads-to", "eventually")}
    assert claims - killed == set()


def test_default_checks_at_least_four_liveness_claims_none_vacuous():
    default = next(e for e in ENTRIES if e.config == "default" and not e.mutant)
    liveness = [p.name for p in ALL_PROPERTIES if p.kind in ("leads-to", "eventually")]
    assert len(liveness) >= 4 and default.vacuous is not None
    assert set(liveness).isdisjoint(default.vacuous)     # the pinned run decides each: holds, not vacuous
    assert all(any(m.kills == name for m in MUTANTS.values()) for name in liveness)


def test_every_named_configuration_holds_unmutated():
    from hvr_model.hyperv.config import config_names
    assert {e.config for e in ENTRIES if not e.mutant and e.expect == "holds"} == set(config_names())


def test_differences_reports_a_wrong_pin():
    entry = next(e for e in ENTRIES if e.config == "single_vm" and not e.mutant)
    wrong = Entry(entry.config, "holds", states=entry.states + 1, edges=entry.edges, depth=entry.depth)
    assert manifest.entry_differences(wrong, manifest.run_entry(entry)) == [
        f"states: pinned {entry.states + 1}, explored {entry.states}"]
