"""Benchmark: checking a long, fully observed event trace (``hvr_model.conformance.traces.check_trace``).

Usage::

    python benchmarks/bench_traces.py [--config default] [--steps 50000] [--seed 1] [--repeat 3]

It generates a seeded random walk of ``--steps`` events over the configuration's state graph
(``System.successors``, one enabled event chosen uniformly at each state), writes it to a
temporary file as a JSON Lines trace (specs/traces.md, ``"observed": "full"``), and times:

* ``check``: ``check_trace`` on the file (reading, validating every line, replaying);
* ``apply``: ``System.apply`` on the same labels from the initial state, with a fresh
  ``System`` (the bare cost of the model's steps, no parsing, no validation);

and prints events/s of each (goal for ``check``: >= 10,000 events/s) and the ratio
check/apply of their times. Best of ``--repeat`` runs each. Importing this module does nothing.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import tempfile
import time
from pathlib import Path

from hvr_model.hyperv.system import System
from hvr_model.hyperv.config import load_config
from hvr_model.conformance.traces import check_trace

GOAL_EVENTS_PER_SECOND = 10_000
_LABEL = re.compile(r"(\w+)\((.*)\)")


def random_walk(config_name: str, steps: int, seed: int) -> list[str]:
    """``steps`` action labels of a seeded random walk from the initial state."""
    system = System(load_config(config_name))
    rng = random.Random(seed)
    world = system.initial_states()[0]
    labels = []
    for _ in range(steps):
        successors = system.successors(world)
        if not successors:                       # a deadlock: the model's no_deadlock forbids it
            raise RuntimeError(f"deadlock after {len(labels)} steps")
        label, world = rng.choice(successors)
        labels.append(label)
    return labels


def label_to_event(label: str) -> dict:
    """``begin_disk_copy(vm=web, disk=0)`` -> ``{"event": "begin_disk_copy", "vm": "web", "disk": 0}``."""
    name, args = _LABEL.fullmatch(label).groups()
    event: dict = {"event": name}
    for part in filter(None, (p.strip() for p in args.split(","))):
        key, value = part.split("=", 1)
        event[key] = int(value) if key in ("disk", "block") else value
    return event


def write_trace(path: Path, config_name: str, labels: list[str]) -> None:
    header = {"format": "hvr-model-trace", "version": 1, "config": config_name, "observed": "full"}
    with path.open("w", encoding="utf-8") as out:
        out.write(json.dumps(header) + "\n")
        for label in labels:
            out.write(json.dumps(label_to_event(label)) + "\n")


def time_check(path: Path, events: int) -> float:
    start = time.perf_counter()
    result = check_trace(path)
    seconds = time.perf_counter() - start
    assert result.conforms and result.events == events, result.failure
    return seconds


def time_apply(config_name: str, labels: list[str]) -> float:
    system = System(load_config(config_name))
    start = time.perf_counter()
    world = system.initial_states()[0]
    for label in labels:
        world = system.apply(world, label)
    return time.perf_counter() - start


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="default")
    parser.add_argument("--steps", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    labels = random_walk(args.config, args.steps, args.seed)
    walk_seconds = time.perf_counter() - start
    kinds = len({label.split("(")[0] for label in labels})
    print(f"random walk on {args.config}: {len(labels):,} steps, {kinds} distinct events, "
          f"seed {args.seed} ({walk_seconds:.2f} s to generate)")

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "walk.jsonl"
        write_trace(path, args.config, labels)
        print(f"trace file: {path.stat().st_size / 1e6:.1f} MB")
        check_s = min(time_check(path, len(labels)) for _ in range(args.repeat))
    apply_s = min(time_apply(args.config, labels) for _ in range(args.repeat))

    n = len(labels)
    check_rate, apply_rate = n / check_s, n / apply_s
    verdict = "met" if check_rate >= GOAL_EVENTS_PER_SECOND else "NOT met"
    print(f"check_trace : {check_s:7.3f} s  {check_rate:10,.0f} events/s  "
          f"(goal >= {GOAL_EVENTS_PER_SECOND:,}: {verdict})")
    print(f"System.apply: {apply_s:7.3f} s  {apply_rate:10,.0f} events/s  (the bare model)")
    print(f"ratio check/apply (time): {check_s / apply_s:.2f}")


if __name__ == "__main__":
    main()
