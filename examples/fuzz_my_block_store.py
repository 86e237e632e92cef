"""Fuzz your own block store against the model with :func:`hvr_model.machine_for`.

Your data path implements three methods (:class:`hvr_model.conformance.implementation.Implementation`):
``reset(config)``, ``perform(event)`` for each event the model takes (``guest_write(vm=web,
disk=0, block=0, data=A)``, ``replicate_delta(vm=web)``, ...), and ``disks(vm, site)``, the bytes
on each disk. Hypothesis drives the model; after every step the disks must match the model's
reference block store byte for byte, and every property must hold.

Here "your" store is the reference one with a bug switch: ``forget_last_write`` drops every
guest write, as a store that acknowledges writes it never stores (the source disk then differs).
Run it: ``python examples/fuzz_my_block_store.py`` fuzzes the correct store (no failure), then
the broken one (the disks differ, found in seconds).
"""
from __future__ import annotations

import os
import unittest

from hvr_model import machine_for
from hvr_model.conformance.implementation import ReferenceImplementation


class MyBlockStore(ReferenceImplementation):
    """Stands for a DR product's data path (here: the reference store, optionally broken)."""

    def __init__(self, forget_last_write: bool = False):
        super().__init__()
        self.forget_last_write = forget_last_write

    def perform(self, event) -> None:
        # event is the model's label (a str) with its parts: event.name, .vm, .disk, .block, .data
        if self.forget_last_write and event.name == "guest_write":
            return                       # the bug: a write acknowledged but never stored
        super().perform(event)


def fuzz(store: MyBlockStore, config: str = "data_single_vm") -> str:
    """``"no failure"`` or the first line of the failure Hypothesis reports."""
    machine = machine_for(config, implementation=store)
    with open(os.devnull, "w") as quiet:
        result = unittest.TextTestRunner(stream=quiet, verbosity=0).run(
            unittest.defaultTestLoader.loadTestsFromTestCase(machine.TestCase))
    problems = result.failures + result.errors
    if not problems:
        return "no failure"
    lines = [line for line in problems[0][1].splitlines() if "Error" in line or "assert" in line.lower()]
    return lines[-1] if lines else problems[0][1].splitlines()[-1]


def main() -> None:
    print("correct store:", fuzz(MyBlockStore()))
    print("broken store: ", fuzz(MyBlockStore(forget_last_write=True)))


if __name__ == "__main__":
    main()
