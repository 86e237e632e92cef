"""Benchmark: the generic explorer against a minimal hand-written BFS on two-phase commit.

Usage::

    python benchmarks/bench_explorer.py [--rms 7] [--repeat 3] [--no-memory]

Both searches run over the same successor function (Lamport's TwoPhase, from
``examples/two_phase_commit.py``; 296,448 states for 7 RMs). The hand-written BFS is the
least a search can do: a deque, a set of seen states and an edge counter. The
explorer also records parent pointers, the labelled state graph (a
``networkx.DiGraph``), invariants (TCConsistent is checked) and deadlocks.

Printed: best-of-``repeat`` wall time and states/s of each, the ratio
explorer / hand (goal: below 2.0), the hand BFS with the garbage collector
paused as the explorer does (so both effects can be told apart), the time of
one full ``gc.collect()`` with the explorer's result alive (a cost the
process pays later, not inside ``explore``), and, unless ``--no-memory``, the
peak resident memory of each search, each measured in a fresh subprocess.
"""
from __future__ import annotations

import argparse
import gc
import importlib
import json
import resource
import subprocess
import sys
import time
from collections import deque
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parents[1] / "examples"


def load_twophase():
    """Import ``examples/two_phase_commit.py`` (the examples folder is not a package)."""
    if str(TESTS_DIR) not in sys.path:
        sys.path.insert(0, str(TESTS_DIR))
    return importlib.import_module("two_phase_commit")


def hand_bfs(initial_states, successors) -> tuple[int, int]:
    """The minimal BFS: return (distinct states, transitions)."""
    seen = set(initial_states)
    queue = deque(seen)
    edges = 0
    while queue:
        state = queue.popleft()
        for _label, nxt in successors(state):
            edges += 1
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return len(seen), edges


def hand_bfs_gc_paused(initial_states, successors) -> tuple[int, int]:
    """:func:`hand_bfs` with the cyclic garbage collector paused, as the explorer does."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return hand_bfs(initial_states, successors)
    finally:
        if enabled:
            gc.enable()


def run_explorer(initial_states, successors, tp):
    """Explore with the TCConsistent invariant; return the Exploration."""
    from hvr_model.checker.explorer import explore

    return explore(initial_states, successors, invariants={"TCConsistent": tp.tc_consistent})


def timed(fn, *args) -> tuple[float, object]:
    """Wall time of one call and its result."""
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def best_times(rms: int, repeat: int) -> dict:
    """Best-of-``repeat`` seconds of each search, runs interleaved, counts cross-checked."""
    tp = load_twophase()
    init, succ = tp.initial_states(rms), tp.successors(rms)
    best = {"explorer": float("inf"), "hand": float("inf"), "hand_gc_paused": float("inf")}
    counts = {}
    for _ in range(repeat):
        seconds, result = timed(run_explorer, init, succ, tp)
        best["explorer"] = min(best["explorer"], seconds)
        counts["explorer"] = (result.states, result.edges)
        assert result.complete and not result.violations and not result.deadlocks, result
        best["gc_collect_after"], _ = timed(gc.collect)
        del result
        for name, fn in (("hand", hand_bfs), ("hand_gc_paused", hand_bfs_gc_paused)):
            seconds, counts[name] = timed(fn, init, succ)
            best[name] = min(best[name], seconds)
    assert len(set(counts.values())) == 1, f"searches disagree: {counts}"
    return {"seconds": best, "states": counts["hand"][0], "edges": counts["hand"][1]}


def peak_memory_mb(mode: str, rms: int) -> float:
    """Peak RSS growth (MB) of one search, measured in a fresh interpreter."""
    out = subprocess.run([sys.executable, __file__, "--child", mode, "--rms", str(rms)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["peak_mb"]


def peak_rss_kib() -> int:
    """Peak resident set size of this process in KiB.

    Linux's ``VmHWM`` is used when available: ``ru_maxrss`` of a child started
    by fork+exec inherits the parent's peak, which would hide the child's own.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def child(mode: str, rms: int) -> None:
    """Run one search and print the growth of the peak RSS in MB."""
    tp = load_twophase()
    init, succ = tp.initial_states(rms), tp.successors(rms)
    import hvr_model.checker.explorer  # noqa: F401  (imported before the baseline)

    before = peak_rss_kib()
    result = run_explorer(init, succ, tp) if mode == "explorer" else hand_bfs(init, succ)
    after = peak_rss_kib()
    print(json.dumps({"peak_mb": (after - before) / 1024, "ok": bool(result)}))


def report(rms: int, repeat: int, memory: bool) -> None:
    """Run the benchmark and print the table."""
    figures = best_times(rms, repeat)
    states, seconds = figures["states"], figures["seconds"]
    print(f"two-phase commit, {rms} RMs: {states:,} states, {figures['edges']:,} transitions"
          f" (best of {repeat})")
    for name in ("explorer", "hand", "hand_gc_paused"):
        print(f"  {name:<15} {seconds[name]:7.3f} s  {states / seconds[name]:>10,.0f} states/s")
    print(f"  ratio explorer / hand            = {seconds['explorer'] / seconds['hand']:.2f}"
          "  (goal < 2.0)")
    print(f"  ratio explorer / hand_gc_paused  = {seconds['explorer'] / seconds['hand_gc_paused']:.2f}")
    print(f"  one gc.collect() with the result alive: {seconds['gc_collect_after']:.3f} s")
    if memory:
        for mode in ("explorer", "hand"):
            print(f"  peak RSS growth, {mode:<8}: {peak_memory_mb(mode, rms):7.0f} MB")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rms", type=int, default=7, help="number of resource managers")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each search; best is kept")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory subprocesses")
    parser.add_argument("--child", choices=["explorer", "hand"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.rms)
    else:
        report(args.rms, args.repeat, not args.no_memory)


if __name__ == "__main__":
    main()
