"""A DR engineer's program using the public API, type-checked with mypy --strict in the tests.

It is never run: tests/test_typing.py runs mypy on it, so every public function it calls must
be fully annotated (an unannotated one is an error under --strict: "call to untyped function").
"""
from __future__ import annotations

from hvr_model import (Always, CheckResult, Config, Event, Oracle, ReplicatedVm, Refused, check, check_config,
                       config_names, explore, load_config, machine_for, system_for)
from hvr_model.blockstore import hrl
from hvr_model.conformance import assert_conforms, check_trace
from hvr_model.conformance.implementation import ReferenceImplementation


def verdict_of_default() -> bool:
    result: CheckResult = check_config("single_vm", max_states=1000)
    return result.holds and result.verdict in ("holds", "incomplete")


def replay(log: list[tuple[str, dict[str, str]]]) -> str | None:
    oracle = Oracle("single_vm_faults", observed="partial")
    for event, params in log:
        try:
            oracle.apply(event, **params)
        except Refused as refusal:
            return f"{refusal.label}: {refusal.requirements}"
    allowed: list[str] = oracle.allowed()
    return None if allowed else "stuck"


def structured(oracle: Oracle, label: str) -> tuple[str, str | None, int | None]:
    event: Event = oracle.event(label)
    return event.name, event.vm, event.disk


class MyStore(ReferenceImplementation):
    def perform(self, event: Event) -> None:
        super().perform(event)


def data_path() -> bool:
    vm = ReplicatedVm("web", disks=1, blocks=4, block_size=4)
    vm.enable_protection()
    vm.copy_next_disk()
    vm.complete_initial_replication()
    vm.write(0, 0, b"NEW!")
    sent: int = vm.replicate()
    return sent == 1 and vm.replica_disks() == vm.source_disks()


def log_check(data: bytes, policy: hrl.ReplicaServerPolicy) -> int:
    try:
        log = hrl.accept(data, policy=policy, vm="web", disk=0, block_size=4, last_applied_id=0,
                         relationship=1, generation=1, blocks=4)
    except hrl.LogRejected as refusal:
        return len(refusal.reason)
    return len(log.entries)


def my_model() -> int:
    class Counter:
        def initial_states(self) -> list[int]:
            return [0]

        def successors(self, n: int) -> list[tuple[str, int]]:
            return [("inc", n + 1)] if n < 3 else []

    result = check(Counter(), [Always("small", (), "n stays small", lambda n, c: n <= 3)])
    return explore([0], Counter().successors).states if result.holds else -1


def configs() -> list[Config]:
    return [load_config(name) for name in config_names()]


def fuzzing() -> type:
    machine: type = machine_for("data_single_vm", implementation=MyStore())
    assert system_for("single_vm").config.name == "single_vm"
    assert check_trace("trace.jsonl").conforms
    assert_conforms("trace.jsonl")
    return machine
