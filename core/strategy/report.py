"""A backtest's stats and report folder (trades.csv, equity.csv, stats.json, equity/drawdown PNGs).

The stats are the analytics package's (:func:`core.analytics.summary`; formulas in
``docs/analytics.md``): per-bar returns, annualised by the bar interval, risk-free rate 0.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from decimal import Decimal
from pathlib import Path
from typing import Any

from core.analytics import EquityPoint, exposure_time, round_trips, summary
from core.strategy.backtest import THROUGH_BOOK, BacktestResult

DAY_MS = 86_400_000
PLOTS = ("equity.png", "drawdown.png")


def stats(result: BacktestResult, starting: Decimal) -> dict[str, Any]:
    """The run's header (strategy, params, counts) and the analytics package's stats table.

    The equity curve is the engine's: the venue's wallet balance plus the position marked at each
    bar's close; round trips come from the strategy's fills (average cost, liquidations included)
    with the funding settlements attributed to the trade they were paid on."""
    interval = result.config.interval_ms
    # A bar's point is its equity at its close, so it stands at its close's time; the starting
    # balance stands at the first bar's open: start_ms/end_ms are the run's --from/--to.
    curve = [EquityPoint(result.equity[0].ts_ms if result.equity else 0, starting)]
    curve += [
        EquityPoint(p.ts_ms + interval, Decimal(repr(p.equity)), Decimal(repr(abs(p.position) * p.price)))
        for p in result.equity
    ]
    table = summary(
        round_trips(result.fills, result.funding),
        curve,
        period_ms=result.config.interval_ms,
        fills=result.fills,
        funding=result.funding,
    )
    return {
        "strategy": result.strategy,
        "params": {k: str(v) for k, v in result.params.items()},
        "bars": result.bars,
        "fills": len(result.fills),
        "commands": result.commands,
        "rejected": len(result.rejections),
        **table.to_dict(),
        # The share of bars held in the market: the starting balance is not a bar.
        "exposure_time": exposure_time(curve[1:]),
        "funding": _funding_source(result),
        "funding_settlements": len(result.funding),
        "liquidations": len(result.liquidations),
        "fill_model": _fill_model(result),
    }


def _funding_source(result: BacktestResult) -> str:
    rate = result.config.funding_rate
    if rate is None:
        return "off"
    if isinstance(rate, tuple):
        if not rate:
            return "recorded: no funding time"
        low, high = min(r for _, r in rate), max(r for _, r in rate)
        return f"recorded: {len(rate)} funding times, rates {low:f}..{high:f} (size x mark x rate)"
    return f"constant rate {rate:f} at 00:00/08:00/16:00 UTC (size x mark x rate)"


def _fill_model(result: BacktestResult) -> str:
    cfg = result.config
    if cfg.fill_model == THROUGH_BOOK:
        return f"{cfg.fill_model}, latency {cfg.latency_ms} ms"
    return cfg.fill_model


def write_report(
    result: BacktestResult, out: Path, summary: dict[str, Any], *, plots: bool = True
) -> list[Path]:
    """Write the report folder; the files written. Two runs given the same folder write one after
    the other (a lock on the folder), and plots this run does not draw are removed: the folder
    never mixes one run's stats with another's CSVs or plots."""
    out.mkdir(parents=True, exist_ok=True)
    with _locked(out):
        if not plots:
            for name in PLOTS:
                (out / name).unlink(missing_ok=True)
        return _write(result, out, summary, plots=plots)


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on ``folder`` for the time of the block (waits for another holder)."""
    import fcntl

    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _write(result: BacktestResult, out: Path, summary: dict[str, Any], *, plots: bool) -> list[Path]:
    trades, equity, js = out / "trades.csv", out / "equity.csv", out / "stats.json"
    with trades.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["ts_ms", "side", "qty", "price", "fee", "closed_pnl", "maker", "order_link_id"])
        for f in result.fills:
            w.writerow(
                [f.ts_ms, f.side.value, f.qty, f.price, f.fee, f.closed_pnl, f.is_maker, f.order_link_id]
            )
    with equity.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["ts_ms", "equity", "position", "price"])
        for p in result.equity:
            w.writerow([p.ts_ms, f"{p.equity:.8f}", p.position, p.price])
    js.write_text(json.dumps(summary, indent=2) + "\n")
    written = [trades, equity, js]
    if plots:
        written += _plots(result, out)
    return written


def _plots(result: BacktestResult, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ts = [p.ts_ms / DAY_MS for p in result.equity]  # matplotlib's date unit: days since 1970
    curve = [p.equity for p in result.equity]
    peak, dd = -math.inf, []
    for value in curve:
        peak = max(peak, value)
        dd.append((value / peak - 1.0) * 100 if peak > 0 else 0.0)
    paths = []
    for name, ys, label in zip(PLOTS, (curve, dd), ("equity (USDT)", "drawdown (%)"), strict=True):
        fig, ax = plt.subplots(figsize=(10, 4))
        ax.plot(ts, ys, linewidth=0.8)
        ax.xaxis_date(UTC)
        ax.set_xlabel("time (UTC)")
        ax.ticklabel_format(axis="y", useOffset=False, style="plain")
        fig.autofmt_xdate()
        ax.set_ylabel(label)
        ax.set_title(f"{result.strategy} {label}")
        fig.tight_layout()
        fig.savefig(out / name)
        plt.close(fig)
        paths.append(out / name)
    return paths
