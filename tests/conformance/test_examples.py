"""The examples a DR engineer starts from run as the README says, and find what they claim to find;
entry points take a configuration by name, path or value."""
import subprocess
import sys
from pathlib import Path

import pytest

from hvr_model import Oracle, check_config, machine_for, system_for
from hvr_model.hyperv.config import as_config

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run_example(name: str) -> str:
    proc = subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_checking_a_dr_products_log_with_the_oracle():
    out = run_example("check_my_dr_product.py")
    assert "good log: conforms to the model" in out
    assert "bad log: event 2 (commit(vm=web) refused" in out


def test_fuzzing_a_block_store_finds_the_broken_one_only():
    out = run_example("fuzz_my_block_store.py")
    assert "correct store: no failure" in out
    assert "broken store:  AssertionError: implementation disks of web" in out


@pytest.mark.parametrize("entry", [Oracle, system_for, machine_for, check_config])
def test_every_entry_point_takes_a_name_a_path_or_a_config(entry):
    path = Path(__file__).resolve().parents[2] / "model" / "hyperv" / "configs" / "single_vm.toml"
    for config in ("single_vm", path, as_config("single_vm")):
        assert entry(config) is not None


def test_a_config_of_another_type_is_a_type_error():
    with pytest.raises(TypeError, match="a Config, a shipped name or a TOML path"):
        as_config(42)


def test_an_implementation_is_handed_structured_events_that_are_still_labels():
    from hvr_model import Event
    from hvr_model.conformance.fuzz import fuzz
    from hvr_model.conformance.implementation import ReferenceImplementation

    seen = []

    class Recording(ReferenceImplementation):
        def perform(self, event):
            seen.append(event)
            super().perform(event)

    assert fuzz("data_single_vm", examples=3, implementation=Recording()).failure is None
    assert seen and all(isinstance(e, Event) and isinstance(e, str) for e in seen)
    write = next(e for e in seen if e.name == "guest_write")
    assert (write.vm, write.site, write.disk in (0, 1), write.data in ("A", "B")) == ("web", None, True, True)
    assert str(write) == f"guest_write(vm=web, disk={write.disk}, block={write.block}, data={write.data})"
    failover = Oracle("single_vm_faults").event("unplanned_failover(vm=web, shutdown_source=true)")
    assert failover.options == {"shutdown_source": True} and failover.name == "unplanned_failover"


def test_a_partially_observed_log_assumes_the_engine_steps_it_left_out():
    full, partial = Oracle("single_vm"), Oracle("single_vm", observed="partial")
    for oracle in (full, partial):
        oracle.apply("enable_protection", vm="web")
    from hvr_model import Refused
    with pytest.raises(Refused):
        full.apply("complete_initial_replication", vm="web")
    partial.apply("complete_initial_replication", vm="web")
    assert partial.assumed[0][0] == "complete_initial_replication(vm=web)"
    assert "begin_disk_copy(vm=web, disk=0)" in partial.assumed[0][1]
    with pytest.raises(ValueError, match="observed"):
        Oracle("single_vm", observed="some")
