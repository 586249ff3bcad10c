"""Stopping a sweep: Ctrl-C, ``kill`` (SIGTERM), a dropped SSH session (SIGHUP), the output's
reader gone (``| tee`` stopped by the same Ctrl-C), or, in a worker, the death of its parent.

A signal only records that the sweep is to stop: nothing is raised from a signal handler, so no
database transaction and no event-loop callback is cut in half (a worker interrupted inside
SQLite's write kept the database locked; a backtest's loop cancelled by asyncio's own SIGINT
handler logged ``InvalidStateError``). The sweep reads the record where stopping is safe: between
trials, and in a trial's backtest between two bars, where :class:`SweepStopped` ends the trial as
failed (a failed trial does not count toward ``--trials``; a resume tries again).

Worker processes start with the stop signals blocked and unblock them once their handlers are
installed, so a Ctrl-C during their start-up is recorded, not a traceback.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from types import FrameType

STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)
"""Signals that stop a sweep (each finished trial is kept)."""
OUTPUT_LOST = int(getattr(signal, "SIGPIPE", 13))
"""Recorded when the sweep's output cannot be written any more (a pipe's reader stopped)."""
PARENT_DIED = int(signal.SIGTERM)
"""Recorded in a worker whose parent process is gone."""
PARENT_POLL_BARS = 256
"""A worker's backtest looks for its parent's death every this many bars (and between trials)."""
PR_SET_PDEATHSIG = 1


class SweepStopped(Exception):
    """The sweep was asked to stop by ``signum`` (its finished trials are kept)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    def __str__(self) -> str:
        return f"stopped by {signal_name(self.signum)}"


def signal_name(signum: int) -> str:
    """``SIGINT``, ``SIGTERM`` ... (the number when it is no signal of this platform)."""
    try:
        return signal.Signals(signum).name
    except ValueError:
        return str(signum)


@dataclass(slots=True)
class _State:
    signum: int | None = None
    parent: int | None = None
    depth: int = 0


_STATE = _State()


def request(signum: int) -> None:
    """Record that the sweep is to stop; a signal outranks a lost output (its exit code wins)."""
    if _STATE.signum is None or _STATE.signum == OUTPUT_LOST:
        _STATE.signum = signum


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    request(signum)


def requested() -> int | None:
    """What asked the sweep to stop (None: nothing has); a worker's dead parent counts."""
    if _STATE.signum is None and _STATE.parent is not None and os.getppid() != _STATE.parent:
        request(PARENT_DIED)
    return _STATE.signum


def check() -> None:
    """Raise :class:`SweepStopped` if the sweep is to stop."""
    signum = requested()
    if signum is not None:
        raise SweepStopped(signum)


def between_bars(n: int) -> None:
    """A backtest's progress hook: :class:`SweepStopped` between two bars once the sweep is to stop."""
    if _STATE.signum is not None:
        raise SweepStopped(_STATE.signum)
    if n % PARENT_POLL_BARS == 0:
        check()


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Record the stop signals (instead of Python's default actions) while the block runs; the
    handlers before it are put back after. A signal ignored when the block starts stays ignored
    (``nohup`` ignores SIGHUP; a shell's background job, SIGINT). Outside the main thread,
    nothing is installed."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if _STATE.depth == 0:
        _STATE.signum = None
    before = {sig: signal.signal(sig, _on_signal) for sig in _heeded()}
    _STATE.depth += 1
    try:
        yield
    finally:
        _STATE.depth -= 1
        for sig, handler in before.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold the stop signals back while worker processes start (they inherit the mask and unblock
    it once their handlers are in place); those that arrived meanwhile are delivered after."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    # multiprocessing's resource tracker, started by the first spawn, unblocks SIGINT and SIGTERM
    # in this process as it starts: started first, it leaves the mask below alone.
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()
    before = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _heeded() -> list[signal.Signals]:
    """The stop signals this process does not ignore (an ignored one is inherited: keep it so)."""
    return [sig for sig in STOP_SIGNALS if signal.getsignal(sig) is not signal.SIG_IGN]


def install_in_worker(parent: int) -> None:
    """In a worker process: record the stop signals, and stop when ``parent`` dies (a signal from
    the kernel on Linux; elsewhere its parent process id changes, looked for between bars).
    Signals the parent ignored (inherited) stay ignored."""
    _STATE.signum, _STATE.parent = None, parent
    for sig in _heeded():
        signal.signal(sig, _on_signal)
    if sys.platform.startswith("linux"):
        _die_with_parent()
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    requested()  # the parent may have died before the kernel was asked to say so


def _die_with_parent() -> None:
    """Ask Linux for SIGTERM when the parent dies (prctl PR_SET_PDEATHSIG)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) != 0:
        err = ctypes.get_errno()  # the parent-id poll between bars still notices the death
        print(f"sweep worker {os.getpid()}: prctl failed ({os.strerror(err)})", file=sys.stderr)
