"""Benchmark: exploring and checking a shipped configuration (default: ``default``).

Usage::

    python benchmarks/bench_check.py [--config default] [--repeat 2]

In one run, over the same composed model (a fresh ``System`` each time, so the
per-VM successor cache starts empty for every search), it times:

* ``hand``: the minimal BFS of ``bench_explorer.py`` (deque, set, edge counter);
* ``explorer``: ``hvr_model.checker.explorer.explore`` with every invariant of specs/;
* ``check``: the whole ``hvr-model check`` job (exploration plus every step,
  reachability and whole-graph claim).

and prints states/s of each and the ratios explorer/hand and check/hand.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_explorer import hand_bfs_gc_paused  # noqa: E402

from hvr_model.hyperv.system import System  # noqa: E402
from hvr_model.hyperv.config import load_config  # noqa: E402
from hvr_model.checker.explorer import explore  # noqa: E402
from hvr_model.specs.catalogue import ALL_PROPERTIES  # noqa: E402
from hvr_model.tools.verification import check_config as check  # noqa: E402
from hvr_model.checker.properties import Always  # noqa: E402


def _hand(config):
    system = System(config)
    return hand_bfs_gc_paused(system.initial_states(), system.successors)


def _explorer(config):
    system = System(config)
    invariants = {p.name: (lambda f: lambda w: f(w, config))(p.predicate)
                  for p in ALL_PROPERTIES if isinstance(p, Always)}
    result = explore(system.initial_states(), system.successors, invariants=invariants)
    return result.states, result.edges


def _check(config):
    result = check(config)
    assert result.holds, result.violated
    return result.exploration.states, result.exploration.edges


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="default")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    config = load_config(args.config)
    best, counts = {}, {}
    for _ in range(args.repeat):
        for name, fn in (("hand", _hand), ("explorer", _explorer), ("check", _check)):
            start = time.perf_counter()
            counts[name] = fn(config)
            best[name] = min(best.get(name, float("inf")), time.perf_counter() - start)
    assert len(set(counts.values())) == 1, f"searches disagree: {counts}"
    states, edges = counts["hand"]
    print(f"configuration {args.config}: {states:,} states, {edges:,} transitions (best of {args.repeat})")
    for name in ("hand", "explorer", "check"):
        print(f"  {name:<9} {best[name]:7.2f} s  {states / best[name]:>9,.0f} states/s")
    print(f"  ratio explorer / hand = {best['explorer'] / best['hand']:.2f}")
    print(f"  ratio check / hand    = {best['check'] / best['hand']:.2f}")


if __name__ == "__main__":
    main()
