"""A sweep stopped by a signal, run as a trader runs it: the real command, its real worker
processes, in a session of its own (so a signal to its process group is a terminal's Ctrl-C).

Before: piped into ``tee`` (which the same Ctrl-C stops), it exited 0 with no word, and at times
hung with a worker holding SQLite's lock and trials left running; a Ctrl-C during a trial's
backtest printed asyncio's ``InvalidStateError`` traceback; ``kill`` (SIGTERM) left the workers
running to the end of the study and then for good; ``kill -9`` left them running too."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

BINARY = Path(sys.executable).parent / "trade-console"
SWEEP = ["--from", "2026-01-01", "--to", "2026-01-01T06:00", "--workers", "2", "--trials", "400"]
SWEEP += ["--sweep", "fast=2..20 slow=21..60", "--no-plots"]
DEADLINE_S = 60.0

CTRL_C = """
import asyncio
import os
import signal
from decimal import Decimal

from core.model import Side
from core.strategy.base import Strategy
from core.strategy.params import Param

MARK = {mark!r}
HOPS = 3  # loop turns after this bar: the backtest then waits on a future a callback will set


class CtrlC(Strategy):
    name = "ctrl_c"
    params = (Param("x", int, 1),)

    def on_bar(self, bar):
        n = len(self.ctx.bars)
        if n % 2 == 0:
            self.ctx.market(Side.BUY if n % 4 else Side.SELL, Decimal("0.01"))
        if n == 7:
            try:
                os.close(os.open(MARK, os.O_CREAT | os.O_EXCL))
            except FileExistsError:
                return
            loop = asyncio.get_running_loop()

            def hop(left):
                if left:
                    loop.call_soon(hop, left - 1)
                else:  # Ctrl-C: the command and its workers
                    os.killpg(os.getpgrp(), signal.SIGINT)

            hop(HOPS)
"""


def _default_signals() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


def _start(argv: list[str], stdout: int | IO[Any], stderr: int | IO[Any]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(BINARY), *argv],
        stdout=stdout,
        stderr=stderr,
        start_new_session=True,
        preexec_fn=_default_signals,  # as from a terminal, whatever the test runner ignores
    )


@contextlib.contextmanager
def _reaped(proc: subprocess.Popen[bytes]) -> Iterator[subprocess.Popen[bytes]]:
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):  # already gone: nothing to clean up
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _alive(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def _workers(pid: int) -> list[int]:
    """The sweep's worker processes (not multiprocessing's resource tracker)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    kids = [int(p) for p in path.read_text().split()] if path.exists() else []
    out = []
    for kid in kids:
        with contextlib.suppress(FileNotFoundError):
            if b"spawn_main" in Path(f"/proc/{kid}/cmdline").read_bytes():
                out.append(kid)
    return out


def _states(database: Path) -> dict[str, int]:
    """Trials by state, read without writing (the sweep may be creating the tables)."""
    if not database.exists():
        return {}
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)) as db:
        try:
            return dict(db.execute("SELECT state, COUNT(*) FROM trials GROUP BY state").fetchall())
        except sqlite3.OperationalError:  # its tables are not made yet
            return {}


def _running_trials(proc: subprocess.Popen[bytes], database: Path) -> list[int]:
    """Wait until both workers run and two trials are done; the workers' pids."""
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        done = sum(n for s, n in _states(database).items() if s in ("COMPLETE", "PRUNED"))
        workers = [p for p in _workers(proc.pid) if _alive(p)]
        if done >= 2 and len(workers) == 2:
            return workers
        assert proc.poll() is None, "the sweep ended before it was stopped"
        time.sleep(0.1)
    raise AssertionError("the sweep did not run two trials")


def _all_gone(pids: list[int]) -> bool:
    deadline = time.monotonic() + DEADLINE_S
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not any(_alive(p) for p in pids)


def _released(database: Path) -> None:
    """No trial is left running and nobody holds the database's lock."""
    assert "RUNNING" not in _states(database)
    with contextlib.closing(sqlite3.connect(database, timeout=0)) as db:
        db.execute("BEGIN IMMEDIATE")  # "database is locked" if a process still held it
        db.rollback()


@pytest.mark.parametrize("merged", [False, True], ids=["stderr-apart", "2>&1"])
def test_ctrl_c_on_a_sweep_piped_into_tee(tmp_path: Path, merged: bool) -> None:
    """``... | tee log`` and Ctrl-C: the group gets SIGINT and tee, gone, closes the pipe. The
    command stops promptly with 130, says so on stderr (when stderr is not that pipe), and
    leaves no worker, no running trial and no lock behind."""
    out = tmp_path / "out"
    proc = _start(
        ["backtest", "sma_cross", *SWEEP, "--out", str(out)],
        subprocess.PIPE,
        subprocess.STDOUT if merged else subprocess.PIPE,
    )
    with _reaped(proc):
        workers = _running_trials(proc, out / "sweep.db")
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.stdout is not None
        proc.stdout.close()  # tee stopped by the same Ctrl-C
        err = b"" if merged or proc.stderr is None else proc.stderr.read()
        code = proc.wait(timeout=DEADLINE_S)
    assert code == 130, err
    if not merged:
        assert b"sweep stopped: interrupted" in err and b"Traceback" not in err
    assert _all_gone(workers)
    _released(out / "sweep.db")


@pytest.mark.parametrize(
    "sig,code,why", [(signal.SIGTERM, 143, b"terminated"), (signal.SIGHUP, 129, b"hung up")]
)
def test_kill_or_hang_up_stops_the_workers_too(tmp_path: Path, sig: int, code: int, why: bytes) -> None:
    """``kill PID`` (SIGTERM) to the command alone, or SIGHUP (an SSH session dropping) to its
    group: it says the finished trials are kept and exits 128 + the signal; no worker stays."""
    out = tmp_path / "out"
    proc = _start(["backtest", "sma_cross", *SWEEP, "--out", str(out)], subprocess.DEVNULL, subprocess.PIPE)
    with _reaped(proc):
        workers = _running_trials(proc, out / "sweep.db")
        if sig == signal.SIGTERM:
            os.kill(proc.pid, sig)
        else:
            os.killpg(proc.pid, sig)
        _, err = proc.communicate(timeout=DEADLINE_S)
    assert proc.returncode == code, err
    assert b"sweep stopped: " + why in err and b"the finished trials are kept" in err
    assert _all_gone(workers)
    _released(out / "sweep.db")


def test_workers_stop_when_the_command_is_killed(tmp_path: Path) -> None:
    """``kill -9`` of the command: its workers see their parent die, fail the trial each is
    running and exit (they ran the study to its end and stayed for good)."""
    out = tmp_path / "out"
    proc = _start(
        ["backtest", "sma_cross", *SWEEP, "--out", str(out)], subprocess.DEVNULL, subprocess.DEVNULL
    )
    with _reaped(proc):
        workers = _running_trials(proc, out / "sweep.db")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=DEADLINE_S)
        assert _all_gone(workers)
    _released(out / "sweep.db")
    assert sum(_states(out / "sweep.db").values()) < 400  # they stopped, not ran to the end


def test_ctrl_c_during_a_trials_backtest_prints_no_traceback(tmp_path: Path) -> None:
    """A Ctrl-C that lands while a worker's backtest waits on its event loop (an order just
    sent): asyncio's own SIGINT handler cancelled the loop's task and then logged
    ``Exception in callback Future.set_result(None) ... InvalidStateError``."""
    path = tmp_path / "ctrl_c.py"
    path.write_text(CTRL_C.format(mark=str(tmp_path / "pressed")))
    out = tmp_path / "out"
    argv = ["backtest", str(path), "--from", "2026-01-01", "--to", "2026-01-01T01:00", "--no-plots"]
    argv += ["--workers", "2", "--trials", "6", "--sweep", "x=1..6", "--out", str(out)]
    proc = _start(argv, subprocess.DEVNULL, subprocess.PIPE)
    with _reaped(proc):
        _, err = proc.communicate(timeout=DEADLINE_S)
    assert (tmp_path / "pressed").exists()
    assert proc.returncode == 130, err
    assert b"sweep stopped: interrupted" in err
    for word in (b"Traceback", b"InvalidStateError", b"Exception in callback"):
        assert word not in err, err
    _released(out / "sweep.db")


def test_the_signals_stay_held_while_the_workers_start() -> None:
    """Before: the resource tracker, started by the first worker's start, unblocked SIGINT and
    SIGTERM again, so a Ctrl-C while later workers unpickled their code printed their tracebacks."""
    from multiprocessing import get_context

    from core.strategy import sweep_stop

    with sweep_stop.signals_held():
        ctx = get_context("spawn")
        proc = ctx.Process(target=print, args=())
        proc.start()  # the tracker starts with the first spawn
        held = signal.pthread_sigmask(signal.SIG_BLOCK, set())
        proc.join()
    assert set(sweep_stop.STOP_SIGNALS) <= held
