"""The recording proxy behind "the claim read": which paths a predicate followed, and when it gives up."""
from dataclasses import dataclass
from enum import Enum
from typing import NamedTuple

import pytest

from hvr_model.checker.reads import reads


class Phase(Enum):
    IDLE = "Idle"
    BUSY = "Busy"


class Vm(NamedTuple):
    phase: Phase
    unsent: int
    power: tuple = ("On", "Off")
    disks: tuple = ("Copied", "Copied")


class World(NamedTuple):
    sites: tuple
    vault: str
    vms: tuple


@dataclass(frozen=True)
class Store:
    history: tuple
    points: dict


W = World(sites=("Online", "Online"), vault="Reachable",
          vms=(Vm(Phase.IDLE, 0), Vm(Phase.BUSY, 1, power=("Off", "On"))))


def paths(predicate, *args, **kw):
    found = reads(predicate, *args, **kw)
    assert found is not None
    return found.paths[0]


def test_attribute_and_index_reads_give_deepest_paths_with_field_names():
    assert paths(lambda w, c: w.vms[1].unsent == 0, W, None) == (("vms", 1, "unsent"),)
    # A NamedTuple indexed by position is named by its field; negative indexes are normalised.
    assert paths(lambda w, c: w[2][-1][1] == 0, W, None) == (("vms", 1, "unsent"),)


def test_nested_tuples_and_enum_identity_work_on_raw_leaves():
    r = reads(lambda w, c: w.vms[1].phase is Phase.BUSY and w.vms[1].power[1] == "On", W, None)
    assert r.holds is True
    assert r.paths[0] == (("vms", 1, "phase"), ("vms", 1, "power", 1))


def test_any_stops_at_the_first_true_item_and_records_only_what_it_read():
    found = paths(lambda w, c: any(vm.unsent > 0 for vm in w.vms), W, None)
    assert found == (("vms", 0, "unsent"), ("vms", 1, "unsent"))
    found = paths(lambda w, c: any(vm.phase is Phase.IDLE for vm in w.vms), W, None)
    assert found == (("vms", 0, "phase"),)   # the second VM was never looked at


def test_all_with_a_filter_reads_the_filter_then_the_claim():
    r = reads(lambda w, c: all(vm.unsent == 0 for vm in w.vms if vm.phase is Phase.BUSY), W, None)
    assert r.holds is False
    assert r.paths[0] == (("vms", 0, "phase"), ("vms", 1, "phase"), ("vms", 1, "unsent"))


def test_iterating_to_the_end_reads_the_length_even_of_an_empty_container():
    empty = W._replace(vms=())
    assert paths(lambda w, c: all(vm.unsent == 0 for vm in w.vms), empty, None) == (("vms", "len()"),)
    assert paths(lambda w, c: len(w.sites) == 2, W, None) == (("sites", "len()"),)


def test_whole_container_operations_record_the_container():
    assert paths(lambda w, c: "On" in w.vms[0].power, W, None) == (("vms", 0, "power"),)
    assert paths(lambda w, c: w.sites == ("Online", "Online"), W, None) == (("sites",),)
    assert paths(lambda w, c: ("Online", "Online") == w.sites, W, None) == (("sites",),)
    assert paths(lambda w, c: w.vms[0] == w.vms[1], W, None) == (("vms", 0), ("vms", 1))
    assert paths(lambda w, c: bool(w.vms), W, None) == (("vms",),)


def test_a_record_only_passed_through_is_not_read():
    def claim(w, c):
        vm = w.vms[0]            # fetched, never looked into
        return w.vault == "Reachable" or vm.unsent == 0
    assert paths(claim, W, None) == (("vault",),)


def test_methods_run_on_the_raw_object_and_are_recorded_by_name():
    r = reads(lambda w, c: w.vms[0].disks.count("Copied") == 2 and w.vms[0]._replace(unsent=5).unsent == 5, W, None)
    assert r.holds is True
    assert r.paths[0] == (("vms", 0, "disks", "count()"), ("vms", 0, "_replace()"))


def test_isinstance_sees_the_wrapped_class():
    assert reads(lambda w, c: isinstance(w.vms[0], Vm) and isinstance(w.vms, tuple), W, None).holds is True


def test_dataclasses_dicts_and_slices():
    store = Store(history=("a", "b", "c"), points={7: 2})
    found = paths(lambda s, c: s.history[1:] == ("b", "c") and s.points[7] == 2, store, None)
    assert found == (("history", "len()"), ("history", 1), ("history", 2), ("points", 7))


def test_only_the_state_arguments_are_proxied():
    class Args(NamedTuple):
        vm: int

    def step_claim(before, after, args, config):
        assert type(args) is Args and type(config) is dict   # passed as they are
        return after.vms[args.vm].unsent == before.vms[args.vm].unsent + config["step"]
    after = W._replace(vms=(W.vms[0]._replace(unsent=1), W.vms[1]))
    r = reads(step_claim, W, after, Args(0), {"step": 1}, states=(0, 1))
    assert r.holds is True
    assert r.paths == ((("vms", 0, "unsent"),), (("vms", 0, "unsent"),))


def test_writing_through_the_proxy_is_refused():
    @dataclass
    class Counter:
        n: int

    def bumps(s, c):
        s.n = 1          # works on the raw object, refused on the proxy
        return True
    assert reads(bumps, Counter(0), None) is None


@pytest.mark.parametrize("predicate", [
    lambda w, c: w.vms[5].unsent == 0,             # raises on the raw state too
    lambda w, c: 1 / (w.vms[0].unsent) > 0,        # ZeroDivisionError
])
def test_a_predicate_that_raises_gives_none(predicate):
    assert reads(predicate, W, None) is None


def test_a_predicate_that_tells_the_proxy_apart_gives_none():
    # type() is the proxy's own, so the verdict differs from the raw state's: no explanation.
    assert reads(lambda w, c: type(w.vms) is tuple, W, None) is None


def test_a_leaf_state_is_passed_raw_and_reads_nothing():
    assert reads(lambda n, c: n <= c, 3, 5).paths == ((),)
