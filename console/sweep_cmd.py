"""`trade-console backtest ... --sweep SPACE`: an Optuna study of backtests, its best and its top trials."""

from __future__ import annotations

import argparse
import os
from decimal import Decimal
from pathlib import Path

from core.config import ConfigError

TOP_ROWS = 10
DEFAULT_TRIALS = 20


def add_arguments(bt: argparse.ArgumentParser) -> None:
    """The sweep options of the ``backtest`` sub-command."""
    group = bt.add_argument_group("sweeps (Optuna)")
    group.add_argument(
        "--sweep",
        default=None,
        metavar="SPACE",
        help="e.g. 'fast=5..30 slow=20..100 mode=a|b ratio=0.5..2.0'",
    )
    group.add_argument("--trials", type=int, default=DEFAULT_TRIALS, help="total trials in the study")
    group.add_argument("--metric", default="sharpe", help="stat to optimise (default sharpe)")
    group.add_argument(
        "--storage", default=None, help="Optuna storage URL (default sqlite:///<out>/sweep.db)"
    )
    group.add_argument(
        "--study", default=None, help="study name; reuse it to resume (default: strategy name)"
    )
    group.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="worker processes (default: all cores)"
    )


EXIT_FAILED, EXIT_INTERRUPTED = 1, 130
"""A sweep a trial's strategy code stopped; a sweep stopped by Ctrl-C (128 + SIGINT)."""


def _stopped(storage: str, exc: BaseException) -> int:
    """Say why the sweep stopped and that its finished trials are kept for a resume."""
    import sys

    interrupted = isinstance(exc, KeyboardInterrupt)
    why, then = ("interrupted", "run") if interrupted else (str(exc), "fix the strategy, then run")
    kept = storage if storage.startswith("sqlite") else "the --storage"
    print(
        f"trade-console: sweep stopped: {why}\n  the finished trials are kept in {kept}; "
        f"{then} the same command again to continue",
        file=sys.stderr,
    )
    return EXIT_INTERRUPTED if isinstance(exc, KeyboardInterrupt) else EXIT_FAILED


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
    from rich.console import Console
    from rich.table import Table

    from core.strategy import params
    from core.strategy.loader import StrategyFailed, StrategyNotFound
    from core.strategy.sweep import BarSource, SweepError, SweepSpec, check, planned, run_sweep, write_csv
    from core.strategy.sweep_space import SpaceError

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
    console = Console()
    try:
        check(spec)  # a bad space or count is refused before the header says it will run
        total = planned(spec)
        whole = (
            f" (every combination of the space; --trials asked for {spec.trials})"
            if total < spec.trials
            else ""
        )
        console.print(f"sweep {spec.study}: {total} trials{whole}, {spec.workers} workers, {spec.storage}")
        result = run_sweep(spec, progress=lambda n: console.print(f"  {n}/{total} trials", end="\r"))
    except (SpaceError, SweepError, params.ParamError, StrategyNotFound, OSError) as exc:
        raise ConfigError([("--sweep", str(exc))]) from None
    except (StrategyFailed, KeyboardInterrupt) as exc:
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
    console.print(table)
    best = result.best
    if best is None:
        console.print("no trial completed with a defined metric")
    else:
        pairs = " ".join(f"{k}={v}" for k, v in best.params.items())
        console.print(f"best: trial {best.number} {spec.metric}={best.value:.6g} --params {pairs}")
    console.print(f"wrote {write_csv(result, out / 'sweep.csv')}")
    return 0
