"""A backtest's stats and report folder (trades.csv, equity.csv, stats.json, equity/drawdown PNGs).

The stats here are the few a run prints; the full set (Sortino, Calmar, drawdown duration, ...)
belongs to the analytics package. Sharpe: mean over standard deviation of per-bar returns, times
the square root of bars per year (365 days), risk-free rate 0.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

from core.strategy.backtest import BacktestResult

YEAR_MS = 365 * 86_400_000
MIN_RETURNS = 2


def max_drawdown(equity: list[float]) -> float:
    """The largest fall from a peak, as a fraction of the peak (0.1 = 10 %)."""
    peak, worst = -math.inf, 0.0
    for value in equity:
        peak = max(peak, value)
        if peak > 0:
            worst = max(worst, (peak - value) / peak)
    return worst


def sharpe(equity: list[float], bars_per_year: float) -> float:
    """Annualised Sharpe ratio of per-bar returns (risk-free 0); 0 when undefined."""
    rets = [b / a - 1.0 for a, b in zip(equity, equity[1:], strict=False) if a]
    if len(rets) < MIN_RETURNS:
        return 0.0
    mean = sum(rets) / len(rets)
    var = sum((r - mean) ** 2 for r in rets) / (len(rets) - 1)
    return mean / math.sqrt(var) * math.sqrt(bars_per_year) if var > 0 else 0.0


def stats(result: BacktestResult, starting: float) -> dict[str, Any]:
    """The headline numbers of one run."""
    curve = [p.equity for p in result.equity]
    final = curve[-1] if curve else starting
    closes = [float(f.closed_pnl) for f in result.fills if f.closed_pnl]
    wins = [c for c in closes if c > 0]
    per_year = YEAR_MS / result.config.interval_ms
    return {
        "strategy": result.strategy,
        "params": {k: str(v) for k, v in result.params.items()},
        "bars": result.bars,
        "fills": len(result.fills),
        "commands": result.commands,
        "rejected": len(result.rejections),
        "starting_equity": starting,
        "final_equity": round(final, 8),
        "return_pct": round((final / starting - 1.0) * 100, 6) if starting else 0.0,
        "max_drawdown_pct": round(max_drawdown([starting, *curve]) * 100, 6),
        "sharpe": round(sharpe([starting, *curve], per_year), 6),
        "fees": str(sum((f.fee for f in result.fills), start=0) if result.fills else 0),
        "closing_fills": len(closes),
        "win_rate_pct": round(len(wins) / len(closes) * 100, 4) if closes else 0.0,
        "funding": "not modelled (the in-process venue pays none)",
    }


def write_report(
    result: BacktestResult, out: Path, summary: dict[str, Any], *, plots: bool = True
) -> list[Path]:
    """Write the report folder; the files written."""
    out.mkdir(parents=True, exist_ok=True)
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

    ts = [p.ts_ms / 1000 for p in result.equity]
    curve = [p.equity for p in result.equity]
    peak, dd = -math.inf, []
    for value in curve:
        peak = max(peak, value)
        dd.append((value / peak - 1.0) * 100 if peak > 0 else 0.0)
    paths = []
    for name, ys, label in (("equity.png", curve, "equity (USDT)"), ("drawdown.png", dd, "drawdown (%)")):
        fig, ax = plt.subplots(figsize=(10, 4))
        ax.plot(ts, ys, linewidth=0.8)
        ax.set_xlabel("time (s since epoch)")
        ax.set_ylabel(label)
        ax.set_title(f"{result.strategy} {label}")
        fig.tight_layout()
        fig.savefig(out / name)
        plt.close(fig)
        paths.append(out / name)
    return paths
