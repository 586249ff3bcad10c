"""`trade-console backtest ... --sweep SPACE`: an Optuna study of backtests, its best and its top trials."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from core.config import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.console import Console

    from core.strategy.sweep import SweepSpec

TOP_ROWS = 10
DEFAULT_TRIALS = 20
DEFAULT_METRIC = "sharpe"


def add_arguments(bt: argparse.ArgumentParser) -> None:
    """The sweep options of the ``backtest`` sub-command."""
    group = bt.add_argument_group("sweeps (Optuna)")
    group.add_argument(
        "--sweep",
        default=None,
        metavar="SPACE",
        help="e.g. 'fast=5..30 slow=20..100 mode=a|b ratio=0.5..2.0'",
    )
    group.add_argument(
        "--trials", type=int, default=None, help=f"total trials in the study (default {DEFAULT_TRIALS})"
    )
    group.add_argument("--metric", default=None, help=f"stat to optimise (default {DEFAULT_METRIC})")
    group.add_argument(
        "--storage", default=None, help="Optuna storage URL (default sqlite:///<out>/sweep.db)"
    )
    group.add_argument(
        "--study", default=None, help="study name; reuse it to resume (default: strategy name)"
    )
    group.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")


SWEEP_ONLY = ("trials", "metric", "storage", "study", "workers")
"""The options that only a sweep reads."""


def settle_sweep_options(args: argparse.Namespace) -> None:
    """A sweep's options left out take their defaults; given without ``--sweep`` they are refused
    (a single backtest would ignore them)."""
    if args.sweep is None:
        given = [f"--{name}" for name in SWEEP_ONLY if getattr(args, name) is not None]
        if given:
            raise ConfigError(
                [(given[0], "applies only to a sweep: add --sweep 'name=a..b ...' or leave it out")]
            )
        return
    args.trials = DEFAULT_TRIALS if args.trials is None else args.trials
    args.metric = DEFAULT_METRIC if args.metric is None else args.metric
    args.workers = (os.cpu_count() or 1) if args.workers is None else args.workers
    for flag, value in (("--trials", args.trials), ("--workers", args.workers)):
        if value < 1:
            raise ConfigError([(flag, f"must be at least 1, got {value}")])


EXIT_FAILED, EXIT_CONFIG, EXIT_INTERRUPTED = 1, 2, 130
"""A sweep a trial's strategy code stopped; a storage that cannot be opened; Ctrl-C (128 + SIGINT).
A sweep stopped by another signal exits 128 + its number (SIGTERM 143, SIGHUP 129)."""
WHY = {"SIGINT": "interrupted", "SIGTERM": "terminated", "SIGHUP": "hung up"}


def _lost(stream: TextIO) -> None:
    """Send ``stream`` to the null device: its reader is gone (a pipe's reader stopped, the
    terminal hung up), and a write, or the flush at exit, would fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, stream.fileno())
    finally:
        os.close(devnull)


def _say(text: str, storage: str) -> None:
    """One message on stderr, the storage's password masked; a stderr whose reader is gone is
    sent to the null device (the exit code still says what happened)."""
    from core.strategy.sweep_storage import scrub

    try:
        print(scrub(text, storage), file=sys.stderr, flush=True)
    except OSError:  # stderr piped into a reader the same Ctrl-C stopped (`2>&1 | tee`)
        _lost(sys.stderr)


def _gone() -> None:
    """stdout's reader is gone: what is left to print goes to the null device; the sweep stops."""
    from core.strategy import sweep_stop

    _lost(sys.stdout)
    sweep_stop.request(sweep_stop.OUTPUT_LOST)


def _console() -> Console:
    """A rich console that, when stdout's reader is gone, stops the sweep (rich's own exits 1)."""
    from rich.console import Console

    class SweepConsole(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            _gone()

    # soft_wrap: a line into a file or pipe is not broken at 80 columns mid-sentence (tables still fit)
    return SweepConsole(soft_wrap=True)


class _Out:
    """The sweep's stdout: once a write fails (``| tee`` stopped by the same Ctrl-C, ``| head``
    done reading, an SSH session dropped), stdout goes to the null device and the sweep stops."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def progress(self, total: int) -> Callable[[int], None]:
        """Trials done of ``total``: redrawn on one line on a terminal; on a file or a pipe a line
        for each new count (a log has no carriage returns run into the results table)."""
        said = [-1]

        def show(n: int) -> None:
            n = min(n, total)
            if self.console.is_terminal:
                self.print(f"  {n}/{total} trials", end="\r")
            elif n != said[0]:
                said[0] = n
                self.print(f"  {n}/{total} trials")

        return show

    def print(self, *objects: Any, end: str = "\n") -> None:
        """Print, or stop the sweep if stdout's reader is gone."""
        try:
            self.console.print(*objects, end=end)
            self.console.file.flush()
        except OSError:  # a terminal hung up (EIO); a broken pipe is rich's on_broken_pipe
            self.console.quiet = True
            _gone()


def _stopped(storage: str, exc: BaseException) -> int:
    """Say why the sweep stopped and that its finished trials are kept for a resume; the exit code."""
    from core.strategy import sweep_stop

    signum = sweep_stop.requested()  # a signal that came with a lost output outranks it
    if isinstance(exc, KeyboardInterrupt):
        signum = int(signal.SIGINT)
    if signum == sweep_stop.OUTPUT_LOST:
        return 0  # stdout's reader stopped reading (`| head`), as for any other command
    interrupted = signum is not None
    name = sweep_stop.signal_name(signum) if signum is not None else ""
    why = WHY.get(name, f"stopped by {name}") if interrupted else str(exc)
    then = "run" if interrupted else "fix the strategy, then run"
    kept = storage if storage.startswith("sqlite") else "the --storage"
    _say(
        f"trade-console: sweep stopped: {why}\n  the finished trials are kept in {kept}; "
        f"{then} the same command again to continue",
        storage,
    )
    return 128 + signum if signum is not None else EXIT_FAILED


def _capped(spec: SweepSpec, total: int, out: _Out) -> None:
    """Say so when ``--workers`` asked for more processes than are worth starting."""
    from core.strategy.sweep import WORKERS_PER_CPU, usable_workers

    usable = usable_workers(spec.workers, total)
    if usable < spec.workers:
        cores = os.cpu_count() or 1
        out.print(
            f"--workers {spec.workers}: running {usable} (no more than the {total} trials, "
            f"nor {WORKERS_PER_CPU} per core of this machine's {cores})"
        )


def run_sweep_command(
    args: argparse.Namespace,
    start_ms: int,
    end_ms: int,
    name: str,
    out: Path,
    funding: Decimal | tuple[tuple[int, Decimal], ...] | None,
) -> int:
    """Run the sweep the arguments describe (every trial with the single backtest's ``--fill``,
    ``--latency-ms`` and ``funding``), print the best and the top trials, write sweep.csv."""
    from rich.table import Table

    from core.strategy import params
    from core.strategy.loader import StrategyFailed, StrategyNotFound
    from core.strategy.sweep import (
        BarSource,
        StudyMismatch,
        SweepError,
        SweepSpec,
        check,
        planned,
        run_sweep,
        write_csv,
    )
    from core.strategy.sweep_space import SpaceError
    from core.strategy.sweep_stop import SweepStopped
    from core.strategy.sweep_storage import StorageError, masked
    from core.strategy.sweep_workers import WorkerLost

    out.mkdir(parents=True, exist_ok=True)
    spec = SweepSpec(
        strategy=args.strategy,
        space=args.sweep,
        bars=BarSource(start_ms, end_ms, seed=args.seed, path=args.data),
        storage=args.storage or f"sqlite:///{(out / 'sweep.db').resolve()}",
        study=args.study or name,
        fixed=tuple(args.params),
        symbol=args.symbol,
        fill_model=args.fill,
        latency_ms=args.latency_ms,
        funding_rate=funding,
        metric=args.metric,
        trials=args.trials,
        workers=args.workers,
        seed=args.seed,
    )
    out_ = _Out(_console())
    try:
        check(spec)  # a bad space or count is refused before the header says it will run
        total = planned(spec)
        whole = (
            f" (every combination of the space; --trials asked for {spec.trials})"
            if total < spec.trials
            else ""
        )
        _capped(spec, total, out_)

        def opened(run: SweepSpec) -> None:  # the header once the storage is open
            out_.print(
                f"sweep {run.study}: {total} trials{whole}, {run.workers} workers, {masked(run.storage)}"
            )

        result = run_sweep(spec, out_.progress(total), opened)
    except StorageError as exc:  # one line: the storage (password masked) and the fix
        _say(f"trade-console: {exc}", spec.storage)
        return EXIT_CONFIG
    except StudyMismatch as exc:
        raise ConfigError([("--study", str(exc))]) from None
    except (SpaceError, SweepError, params.ParamError, StrategyNotFound, OSError) as exc:
        raise ConfigError([("--sweep", str(exc))]) from None
    except (StrategyFailed, KeyboardInterrupt, SweepStopped, WorkerLost) as exc:
        return _stopped(spec.storage, exc)
    from console.stats_view import show

    names = list(result.rows[0].params) if result.rows else []
    table = Table(title=f"top trials by {spec.metric} ({spec.direction})")
    for col in ("#", spec.metric, *names, "trades", "net_pnl", "note"):
        table.add_column(col, justify="right")
    for row in result.rows[:TOP_ROWS]:
        value = "" if row.value is None else show(spec.metric, row.value)
        cells = [str(row.params.get(n, "")) for n in names]
        note = str(row.attrs.get("refused", ""))
        table.add_row(
            str(row.number),
            value,
            *cells,
            str(row.attrs.get("trades", "")),
            show("net_pnl", row.attrs["net_pnl"]) if "net_pnl" in row.attrs else "",
            note,
        )
    out_.print(table)
    best = result.best
    if best is None:
        out_.print("no trial completed with a defined metric")
    else:
        pairs = " ".join(f"{k}={v}" for k, v in best.params.items())
        out_.print(f"best: trial {best.number} {spec.metric}={best.value:.6g} --params {pairs}")
    out_.print(f"wrote {write_csv(result, out / 'sweep.csv')}")
    return _late_stop(spec.storage)


def _late_stop(storage: str) -> int:
    """0, or the exit code of a stop signal that came as the last trial finished: the sweep is
    complete, but a script that sent it is told it came (its output may have gone with a pipe)."""
    from core.strategy import sweep_stop

    signum = sweep_stop.requested()
    if signum is None or signum == sweep_stop.OUTPUT_LOST:
        return 0
    name = sweep_stop.signal_name(signum)
    _say(f"trade-console: {name} came as the sweep finished; it is complete (sweep.csv written)", storage)
    return 128 + signum
