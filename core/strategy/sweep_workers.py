"""A sweep's worker processes: started, watched, stopped, never left behind.

Each worker is a spawned process running ``work(spec, index)`` with the stop signals recorded
(:mod:`core.strategy.sweep_stop`); it sends back how many trials it ran, or the error that
stopped it, through a pipe of its own. The process that started them watches the pipes and the
processes; when it stops (a signal, an error, a worker's error), it sends every live worker
SIGTERM (each fails the trial it is running at the next bar and starts no other), waits a bounded
time, kills what is left, and has the trials the killed ones left running failed, so a resume
neither waits for them nor counts them.
"""

from __future__ import annotations

import os
import pickle
import socket
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing import get_context
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any

from core.strategy import sweep_stop
from core.strategy.sweep_stop import SweepStopped

if TYPE_CHECKING:
    from multiprocessing.context import SpawnProcess

    from core.strategy.sweep import SweepSpec

POLL_S = 0.5
STOP_GRACE_S = 30.0
"""How long stopped workers get to fail their running trial and exit before they are killed."""

Work = Callable[["SweepSpec", int], int]


class WorkerLost(RuntimeError):
    """A worker process ended without saying how (killed from outside, out of memory)."""


class RemoteTraceback(Exception):
    """The traceback of an error raised in a worker process (chained to it in this one)."""


def worker_tag(pid: int | None = None) -> str:
    """Who runs a trial: ``host:pid`` (kept with the trial; its trial is failed if it is killed)."""
    return f"{socket.gethostname()}:{os.getpid() if pid is None else pid}"


@dataclass(slots=True)
class _Worker:
    index: int
    process: SpawnProcess
    results: Connection


def run_workers(
    spec: SweepSpec, work: Work, watch: Callable[[], None], orphans: Callable[[list[str]], None]
) -> int:
    """Run ``work`` in ``spec.workers`` processes until each returns; the trials they ran.

    ``watch`` is called about every half second while they run; ``orphans`` is given the tags
    (:func:`worker_tag`) of workers that had to be killed. A worker's error is raised here."""
    ctx = get_context("spawn")
    workers: list[_Worker] = []
    try:
        with sweep_stop.signals_held():
            for index in range(spec.workers):
                results, sender = ctx.Pipe(duplex=False)
                process = ctx.Process(
                    target=_worker_main,
                    args=(work, spec, index, os.getpid(), sender),
                    name=f"sweep-worker-{index}",
                    daemon=True,
                )
                process.start()
                sender.close()
                workers.append(_Worker(index, process, results))
        return _watch(workers, watch)
    finally:
        killed = _stop(workers)
        if killed:
            orphans([worker_tag(pid) for pid in killed])


def _watch(workers: list[_Worker], watch: Callable[[], None]) -> int:
    total = 0
    pending = list(workers)
    while pending:
        sweep_stop.check()
        watch()
        ready = set(wait([w.results for w in pending] + [w.process.sentinel for w in pending], POLL_S))
        for worker in [w for w in pending if w.results in ready or w.process.sentinel in ready]:
            total += _outcome(worker)
            pending.remove(worker)
    return total


def _outcome(worker: _Worker) -> int:
    """The trials ``worker`` ran; its error, or :class:`SweepStopped` if a signal stopped it."""
    message: tuple[str, Any] | None = None
    if worker.results.poll():
        try:
            message = worker.results.recv()
        except EOFError:  # it ended without a word: reported below with its exit code
            message = None
    worker.process.join()
    if message is None:
        raise WorkerLost(f"sweep worker {worker.index} ended with exit code {worker.process.exitcode}")
    kind, value = message
    if kind == "done":
        return int(value)
    if kind == "stopped":
        raise SweepStopped(int(value))
    error, text = value
    raise error from RemoteTraceback(text)


def _stop(workers: list[_Worker]) -> list[int]:
    """Stop the live workers (SIGTERM, then a kill after :data:`STOP_GRACE_S`); the pids killed."""
    alive = [w for w in workers if w.process.is_alive()]
    for worker in alive:
        worker.process.terminate()
    deadline = time.monotonic() + STOP_GRACE_S
    for worker in alive:
        worker.process.join(max(0.0, deadline - time.monotonic()))
    killed = []
    for worker in alive:
        if worker.process.is_alive():
            killed.append(worker.process.pid or 0)
            worker.process.kill()
            worker.process.join()
    for worker in workers:
        worker.results.close()
    return killed


def _worker_main(work: Work, spec: SweepSpec, index: int, parent: int, results: Connection) -> None:
    """A worker process: run ``work`` and send its outcome to ``parent``."""
    sweep_stop.install_in_worker(parent)
    outcome: tuple[str, Any]
    try:
        outcome = ("done", work(spec, index))
    except SweepStopped as exc:
        outcome = ("stopped", exc.signum)
    except BaseException as exc:  # noqa: BLE001 - sent to the parent, which raises it
        outcome = ("error", _portable(exc, spec.storage))
    try:
        results.send(outcome)
    except OSError:  # the parent is gone: nobody to tell; the study holds what was done
        return
    finally:
        results.close()


def _portable(exc: BaseException, storage: str) -> tuple[BaseException, str]:
    """``exc`` as it can cross to the parent, with its traceback's text (no storage password)."""
    from core.strategy.sweep_storage import scrub

    text = scrub("".join(traceback.format_exception(exc)), storage)
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 - an error that does not pickle crosses as its text
        return RuntimeError(scrub(f"{type(exc).__name__}: {exc}", storage)), text
    return exc, text
