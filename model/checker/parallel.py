"""Multi-core and cluster exploration: the partitioned search over processes or Ray actors.

:func:`explore_parallel` drives ``n`` :class:`~hvr_model.checker.partition.PartitionWorker`\\ s
level by level: expand, offer fingerprints to their owners, ship the new states,
accept them. Two transports carry the same protocol:

* ``"processes"``: forked processes on this machine (``multiprocessing``, one pipe each);
* ``"ray"``: Ray actors (``pip install hvr-model[cluster]``), a local Ray by default
  or the cluster at ``ray_address``; ``PYTHONHASHSEED`` is pinned on every worker
  so that all of them fingerprint a state alike.

Like the safety-only search it keeps fingerprints, not a graph: invariants, step
claims and witnesses are decided, with the same counts and shortest
counterexamples as one process; whole-graph claims are not.

>>> def counter(n):
...     return [("inc", n + 1)] if n < 50 else [("reset", 0)]
>>> run = explore_parallel(lambda: _Counter(counter), _no_checks, workers=2)
>>> run.states, run.edges, run.depth, run.complete
(51, 51, 50, True)
"""
from __future__ import annotations

import gc
import multiprocessing
import socket
import time
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np

from .errors import SpecError
from .exploration import Progress
from .partition import PartitionWorker, owner_of
from .runtime import as_worker_process, resident_bytes
from .safety import SafetyExploration

__all__ = ["explore_parallel", "BACKENDS", "WorkerError", "require_reachable"]

BACKENDS = ("processes", "ray")


class WorkerError(RuntimeError):
    """A worker failed; the message holds its traceback."""


def explore_parallel(make_model: Callable[[], Any], make_checks: Callable[[Any], dict], *, workers: int = 2,
                     backend: str = "processes", ray_address: str | None = None, max_states: int | None = None,
                     max_memory: int | None = None,
                     progress: Callable[[Progress], None] | None = None) -> SafetyExploration:
    """Explore with ``workers`` partitions; see the module docstring.

    Parameters
    ----------
    make_model : callable
        Builds the model (``initial_states()``, ``successors(state)``) in each worker.
    make_checks : callable
        ``model -> dict`` of the claims to check (see :class:`PartitionWorker`).
    workers : int
        Partitions (processes or actors), at least 1.
    backend : {"processes", "ray"}
    ray_address : str, optional
        A Ray cluster to join (default: start a local one).
    max_states, max_memory, progress
        As for :func:`hvr_model.checker.safety.explore_fingerprints`; memory is that of
        the coordinating process plus the workers' tables.

    Raises
    ------
    ValueError
        An unknown backend or fewer than one worker.
    WorkerError
        A worker failed (its traceback in the message).
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r} (known: {', '.join(BACKENDS)})")
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    pool = (_RayPool if backend == "ray" else _ProcessPool)(workers, make_model, make_checks, ray_address)
    try:
        return _Coordinator(pool, workers, make_model().initial_states()).run(max_states, max_memory, progress)
    finally:
        pool.close()


class _Coordinator:
    """Drives the levels and gathers what the workers found."""

    def __init__(self, pool, workers: int, initial: list):
        self.pool, self.n, self.initial = pool, workers, initial

    def run(self, max_states, max_memory, progress) -> SafetyExploration:
        start = time.perf_counter()
        pending = sum(self.pool.all("admit", self.initial))
        depth, stopped = 0, ""
        while pending and not stopped:
            pending = self._level()
            depth += bool(pending)
            reports = self.pool.all("report")
            states = sum(r["states"] for r in reports)
            if progress is not None:
                progress(Progress(states, sum(r["edges"] for r in reports), depth, time.perf_counter() - start))
            if max_states is not None and states > max_states:
                stopped = f"max_states ({max_states:,}) reached"
            if max_memory is not None and resident_bytes() + sum(r["table_bytes"] for r in reports) > max_memory:
                stopped = f"memory budget ({max_memory / 2**20:,.0f} MiB) reached at {states:,} states"
        return self._result(self.pool.all("report"), depth, time.perf_counter() - start, stopped)

    def _level(self) -> int:
        n = self.n
        outgoing = self.pool.all("expand")
        fresh = self.pool.each("offer", [([outgoing[s][o] for s in range(n)],) for o in range(n)])
        shipped = self.pool.each("ship", [([fresh[o][s] for o in range(n)],) for s in range(n)])
        accepted = self.pool.each("accept", [([shipped[s][o] for s in range(n)],) for o in range(n)])
        return sum(accepted)

    # -- results, with counterexamples rebuilt from the owners' parent fingerprints ------------
    def _chain(self, key: int) -> list[int]:
        chain = [key]
        while True:
            owner = int(owner_of(np.array([chain[-1]], dtype=np.uint64), self.n)[0])
            parent = self.pool.one(owner, "parent_of", chain[-1])
            if not parent:
                return chain[::-1]
            chain.append(parent)

    def _path(self, key: int, last=None):
        return self.pool.one(0, "replay", self._chain(key), last)

    def _result(self, reports: list[dict], depth: int, seconds: float, stopped: str) -> SafetyExploration:
        found: dict[str, tuple] = {}
        for report in reports:
            for name, (kind, key, step) in report["found"].items():
                chain = self._chain(key)
                if name not in found or len(chain) < len(found[name][1]):
                    found[name] = (kind, chain, step)
        paths = {name: self.pool.one(0, "replay", chain, step) for name, (_, chain, step) in found.items()}
        kinds = {name: kind for name, (kind, _, _) in found.items()}
        deadlock = next((r["deadlock"] for r in reports if r["deadlock"] is not None), None)
        states = sum(r["states"] for r in reports)
        run = SafetyExploration(
            states, sum(r["edges"] for r in reports), depth, seconds, not stopped, stopped,
            {n: p for n, p in paths.items() if kinds[n] == "invariant"},
            {n: p for n, p in paths.items() if kinds[n] == "step"},
            {n: p for n, p in paths.items() if kinds[n] in ("reach", "reach-step")},
            [self._path(deadlock)] if deadlock is not None else [],
            sum(r["table_bytes"] for r in reports), min(1.0, states * states / 2.0 ** 65))
        run.workers = self.n
        return run


# -- transports ---------------------------------------------------------------------------------

class _ProcessPool:
    """Forked worker processes (they inherit the model and the hash seed), one pipe each."""

    def __init__(self, workers: int, make_model, make_checks, _address=None):
        context = multiprocessing.get_context("fork")
        self.conns, self.procs = [], []
        for i in range(workers):
            ours, theirs = context.Pipe()
            proc = context.Process(target=_serve, args=(theirs, i, workers, make_model, make_checks), daemon=True)
            proc.start()
            theirs.close()
            self.conns.append(ours)
            self.procs.append(proc)

    def each(self, method: str, args: list[tuple]) -> list:
        for conn, a in zip(self.conns, args):
            conn.send((method, a))
        return [_unwrap(conn.recv()) for conn in self.conns]

    def all(self, method: str, *args) -> list:
        return self.each(method, [args] * len(self.conns))

    def one(self, index: int, method: str, *args):
        self.conns[index].send((method, args))
        return _unwrap(self.conns[index].recv())

    def close(self) -> None:
        for conn in self.conns:
            try:
                conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        for proc in self.procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()


def _serve(conn, index: int, workers: int, make_model, make_checks) -> None:
    # A worker only ever holds two levels of acyclic states: the cyclic collector would
    # rescan them all the time for nothing (as the one-process search, it stays paused).
    gc.disable()
    as_worker_process()
    try:
        worker = PartitionWorker(index, workers, make_model, make_checks)
    except BaseException:  # noqa: BLE001 -- reported to the coordinator at its first call
        worker, failure = None, traceback.format_exc()
    while (message := conn.recv()) is not None:
        if worker is None:
            conn.send(("error", failure))
            continue
        method, args = message
        try:
            conn.send(("ok", getattr(worker, method)(*args)))
        except SpecError as exc:  # the spec's bug, not the worker's: raised as itself by the coordinator
            conn.send(("spec-error", exc))
        except BaseException:  # noqa: BLE001 -- the coordinator raises it as a WorkerError
            conn.send(("error", traceback.format_exc()))


def _unwrap(reply):
    status, value = reply
    if status == "spec-error":
        raise value
    if status == "error":
        raise WorkerError(value)
    return value


class _RayPool:
    """Ray actors, one per partition; a local Ray unless an address is given."""

    HASH_SEED = "20261129"

    def __init__(self, workers: int, make_model, make_checks, address: str | None = None):
        try:
            import ray
        except ImportError:
            raise ValueError("the ray backend needs Ray: pip install 'hvr-model[cluster]'") from None
        self.ray, self.started = ray, not ray.is_initialized()
        if self.started and address is not None:
            require_reachable(address)
        if self.started:
            ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False,
                     runtime_env={"env_vars": {"PYTHONHASHSEED": self.HASH_SEED}})
        actor = ray.remote(num_cpus=0)(_RayWorker)
        self.actors = [actor.remote(i, workers, make_model, make_checks) for i in range(workers)]

    def each(self, method: str, args: list[tuple]) -> list:
        try:
            return self.ray.get([getattr(a, method).remote(*x) for a, x in zip(self.actors, args)])
        except self.ray.exceptions.RayError as error:
            if isinstance(getattr(error, "cause", None), SpecError):
                raise error.cause from None
            raise WorkerError(str(error)) from None

    def all(self, method: str, *args) -> list:
        return self.each(method, [args] * len(self.actors))

    def one(self, index: int, method: str, *args):
        return self.each(method, [args])[0] if index == 0 else self.ray.get(
            getattr(self.actors[index], method).remote(*args))

    def close(self) -> None:
        for a in self.actors:
            self.ray.kill(a)
        if self.started:
            self.ray.shutdown()


def require_reachable(address: str) -> None:
    """Refuse an address nothing answers at (Ray itself would retry for minutes)."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=5).close()
    except (OSError, ValueError) as exc:
        raise ValueError(f"--ray: no Ray cluster answers at {address!r} ({exc})") from None


class _RayWorker(PartitionWorker):
    """A partition in a Ray actor's own process: stable fingerprints, the cyclic collector paused."""

    def __init__(self, *args):
        gc.disable()
        super().__init__(*args, stable=True)


class _Counter:
    """A tiny model for the examples: a counter with the given successor function."""

    def __init__(self, successors):
        self.successors = successors

    def initial_states(self):
        return [0]


def _no_checks(model) -> dict:
    return {"invariants": {}, "step_checks": {}, "reach": {}, "reach_steps": {},
            "event_of": lambda label: label.split("(", 1)[0]}
