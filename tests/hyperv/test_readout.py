"""Read paths on a World named by the state's description keys (hvr_model.hyperv.readout)."""
import pytest

from hvr_model.hyperv.config import load_config
from hvr_model.hyperv.readout import keys_of, read_variables
from hvr_model.hyperv.state import initial_world, update_vm


@pytest.fixture(scope="module")
def plain():
    cfg = load_config("single_vm")
    return update_vm(initial_world(cfg), 0, unsent=1), cfg


@pytest.fixture(scope="module")
def data():
    cfg = load_config("data_single_vm")
    return initial_world(cfg), cfg


@pytest.mark.parametrize("path, keys", [
    (("sites", 0), ["site[primary]"]),
    (("sites", "len()"), ["site[primary]", "site[recovery]"]),
    (("plan_status",), ["plan.status"]),
    (("vms", 0, "unsent"), ["vm[web].unsent"]),
    (("vms", 0, "power", 1), ["vm[web].power[recovery]"]),
    (("vms", 0, "disks", 1), ["vm[web].disk[1]"]),
    (("vms", "len()"), []),                              # the configuration fixes it
    (("vms", 0, "diverged_replica"), ["vm[web].diverged_replica"]),   # not described: dotted name
    ((), ["state"]),
])
def test_plain_paths(plain, path, keys):
    w, cfg = plain
    assert keys_of(path, w, cfg) == keys


def test_a_record_read_whole_gives_every_key_of_the_vm(plain):
    w, cfg = plain
    keys = keys_of(("vms", 0), w, cfg)
    assert "vm[web].unsent" in keys and "vm[web].health" in keys and all(k.startswith("vm[web].") for k in keys)


def test_values_come_from_the_description_or_the_state(plain):
    w, cfg = plain
    assert read_variables([("vms", 0, "unsent"), ("vms", 0, "diverged_replica"), ("vms", 0, "unsent"), ()],
                          w, cfg) == {"vm[web].unsent": "1", "vm[web].diverged_replica": "False",
                                      "state": "(all of it)"}


@pytest.mark.parametrize("path, keys", [
    (("vms", 0, "data", "phase"), ["vm[web].data.phase"]),
    (("vms", 0, "data", "history", 0, "data"), ["vm[web].data.history"]),
    (("vms", 0, "data", "images", 1, 0), ["vm[web].data.disk[0][recovery]"]),
    (("vms", 0, "data", "source_disks()"), ["vm[web].data.disk[0][primary]", "vm[web].data.disk[1][primary]"]),
    (("vms", 0, "data", "blocks"), []),                  # a store setting: the same in every state
    (("vms", 0, "data", "refusal"), ["vm[web].data.refusal"]),
    (("vms", 0, "data", "last_failover"), ["vm[web].data.last_failover"]),   # no failover yet: no key
])
def test_data_paths_go_to_the_nearest_data_key(data, path, keys):
    w, cfg = data
    assert keys_of(path, w, cfg) == keys


def test_objects_without_a_text_form_are_named_by_class_not_address(data):
    w, cfg = data
    w = update_vm(w, 0, data=w.vms[0].data.copy())
    w.vms[0].data.writers = [object()]
    assert read_variables([("vms", 0, "data", "writers", 0)], w, cfg) == {"vm[web].data.writers[0]": "<object>"}
