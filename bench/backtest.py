"""Benchmark: the backtester against backtesting.py on the same one-minute bars.

Run: ``.venv/bin/python bench/backtest.py [--bars 100000] [--fast 10] [--slow 30] [--seed 7]
[--floor]``.
The strategy is SMA(fast)/SMA(slow), always in, flipping long/short 0.01 BTC on each cross,
0.055 % taker fees, market orders filled at the next bar's open. Each side runs in its own
process (spawned, so neither inherits the other's memory) over bars generated from the same
seed. Prints ``name: value unit`` lines per engine (``ours_*``, ``btpy_*``):

* ``*_bars_per_s`` — bars over the wall time of the run alone (bar generation excluded);
  ``*_cpu_s`` — the process's CPU time over the run (on a shared machine wall time also counts
  other work); ``ours_drives`` — bars' prices the venue's market was moved to (quiet bars, where
  nothing can happen at the venue, move none);
* ``*_peak_rss_mib`` — the process's peak resident memory (bars, library and run);
* ``*_entries`` — fills that opened or reversed a position (backtesting.py: its trades,
  closed and open; ours: the strategy's orders that filled);
* ``*_final_equity`` — cash plus the open position marked at the last close;
* ``speed_ratio`` (ours / backtesting.py), ``equity_diff_pct``;
* with ``--floor``, ``floor_*``: the most any backtester could do with its orders through the
  real builder and risk chain (``bench/backtest_floor.py``).

backtesting.py trades whole units, so it is given prices scaled by the position size (one unit
= 0.01 BTC); its PnL and fees in USDT are then the same as ours. pandas and backtesting.py are
dev-only bench dependencies.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import resource
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

START_MS = 1_767_225_600_000  # 2026-01-01 UTC
MINUTE_MS = 60_000
QTY = Decimal("0.01")
CASH = 100_000.0
TAKER_FEE = 0.00055
MIB = 1024.0


def _bars(n: int, seed: int) -> list[Any]:
    from core.strategy.data import generated_bars

    return list(generated_bars(seed, START_MS, START_MS + n * MINUTE_MS))


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / MIB


def run_ours(n: int, seed: int, fast: int, slow: int) -> dict[str, float]:
    """The backtester: the real engine and order path on the in-process venue."""
    from core.strategy.backtest import BacktestConfig, run_backtest
    from core.strategy.examples.sma_cross import SmaCross

    bars = _bars(n, seed)
    strategy = SmaCross(fast=fast, slow=slow, qty=QTY)
    t0, c0 = time.perf_counter(), time.process_time()
    # No funding: backtesting.py settles none, and the comparison is like for like.
    config = BacktestConfig(seed=seed, starting_balance=Decimal(int(CASH)), funding_rate=None)
    result = run_backtest(strategy, bars, config)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    orders = {f.order_id for f in result.fills}
    return {
        "bars_per_s": n / wall,
        "wall_s": wall,
        "cpu_s": cpu,
        "drives": float(result.drives),
        "peak_rss_mib": _peak_mib(),
        "entries": float(len(orders)),
        "fills": float(len(result.fills)),
        "final_equity": result.equity[-1].equity,
        "fees": float(sum(f.fee for f in result.fills)),
    }


def run_btpy(n: int, seed: int, fast: int, slow: int) -> dict[str, float]:
    """backtesting.py on the same bars (prices scaled so one unit is ``QTY`` BTC)."""
    import warnings

    import pandas as pd
    from backtesting import Backtest, Strategy

    bars = _bars(n, seed)
    k = float(QTY)
    frame = pd.DataFrame(
        {
            "Open": [b.open * k for b in bars],
            "High": [b.high * k for b in bars],
            "Low": [b.low * k for b in bars],
            "Close": [b.close * k for b in bars],
            "Volume": [b.volume for b in bars],
        },
        index=pd.to_datetime([b.ts_ms for b in bars], unit="ms"),
    )
    del bars

    def sma(values: Any, length: int) -> Any:
        return pd.Series(values).rolling(length).mean().to_numpy()

    class SmaFlip(Strategy):  # type: ignore[misc]
        def init(self) -> None:
            self.f = self.I(sma, self.data.Close, fast)
            self.s = self.I(sma, self.data.Close, slow)

        def next(self) -> None:
            f, s = self.f[-1], self.s[-1]
            if math.isnan(f) or math.isnan(s) or f == s:  # warm-up, or no side
                return
            want = 1 if f > s else -1
            have = self.position.size
            if have == want:
                return
            if have:
                self.position.close()
            if want > 0:
                self.buy(size=1)
            else:
                self.sell(size=1)

    bt = Backtest(frame, SmaFlip, cash=CASH, commission=TAKER_FEE, trade_on_close=False, hedging=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0, c0 = time.perf_counter(), time.process_time()
        stats = bt.run()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    trades = stats["_trades"]  # closed ones
    strat = stats["_strategy"]  # its .trades: the one still open at the end
    return {
        "bars_per_s": n / wall,
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss_mib": _peak_mib(),
        "entries": float(len(trades) + len(strat.trades)),
        "fills": float(len(trades) + len(strat.trades)),
        "final_equity": float(stats["Equity Final [$]"]),
        "fees": float(stats.get("Commissions [$]", float("nan"))),
    }


def _child(fn: Any, args: tuple[Any, ...], out: Any) -> None:
    out.send(fn(*args))
    out.close()


def _spawned(fn: Any, *args: Any) -> dict[str, float]:
    ctx = mp.get_context("spawn")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(fn, args, send))
    proc.start()
    send.close()
    result: dict[str, float] = recv.recv()
    proc.join()
    return result


def _series(n: int, seed: int, pairs: str) -> None:
    """One run of ours per FAST/SLOW pair on the same bars; the CPU time per fill between runs."""
    points: list[tuple[float, float]] = []
    for pair in pairs.split(","):
        fast, slow = (int(x) for x in pair.split("/"))
        res = _spawned(run_ours, n, seed, fast, slow)
        points.append((res["fills"], res["cpu_s"]))
        tag = f"series_{fast}_{slow}"
        print(f"{tag}_fills: {res['fills']:.0f} fills")
        print(f"{tag}_cpu_s: {res['cpu_s']:.2f} s")
        print(f"{tag}_wall_s: {res['wall_s']:.2f} s")
        print(f"{tag}_drives: {res['drives']:.0f} drives")
    points.sort()
    for (f0, c0), (f1, c1) in zip(points, points[1:], strict=False):
        if f1 > f0:
            print(f"series_ms_per_fill_{f0:.0f}_to_{f1:.0f}: {(c1 - c0) / (f1 - f0) * 1000:.3f} ms")


def main() -> None:
    """Run both and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bars", type=int, default=100_000)
    ap.add_argument("--fast", type=int, default=10)
    ap.add_argument("--slow", type=int, default=30)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--only", choices=("ours", "btpy"), default=None)
    ap.add_argument(
        "--series",
        default="",
        help="cost per fill: ours only, one run per FAST/SLOW pair on the same bars (e.g. 50/200,10/30,2/3)",
    )
    ap.add_argument(
        "--floor",
        action="store_true",
        help="also time the builder and risk chain alone, and the strategy with the leanest context "
        "(see bench/backtest_floor.py)",
    )
    args = ap.parse_args()
    if args.series:
        _series(args.bars, args.seed, args.series)
        return
    runs = {"btpy": run_btpy, "ours": run_ours}
    out: dict[str, dict[str, float]] = {}
    print(f"bars: {args.bars} bars")
    print(f"sma: {args.fast}/{args.slow} bars")
    for name, fn in runs.items():
        if args.only not in (None, name):
            continue
        out[name] = res = _spawned(fn, args.bars, args.seed, args.fast, args.slow)
        print(f"{name}_bars_per_s: {res['bars_per_s']:.0f} bars/s")
        print(f"{name}_wall_s: {res['wall_s']:.2f} s")
        print(f"{name}_cpu_s: {res['cpu_s']:.2f} s")
        print(f"{name}_bars_per_cpu_s: {args.bars / res['cpu_s']:.0f} bars/s")
        if "drives" in res:
            print(f"{name}_drives: {res['drives']:.0f} drives")
        print(f"{name}_peak_rss_mib: {res['peak_rss_mib']:.0f} MiB")
        print(f"{name}_entries: {res['entries']:.0f} trades")
        print(f"{name}_fills: {res['fills']:.0f} fills")
        print(f"{name}_fees: {res['fees']:.2f} USDT")
        print(f"{name}_final_equity: {res['final_equity']:.2f} USDT")
    if len(out) == len(runs):
        ours, btpy = out["ours"], out["btpy"]
        print(f"speed_ratio: {ours['bars_per_s'] / btpy['bars_per_s']:.4f} x")
        diff = (ours["final_equity"] - btpy["final_equity"]) / btpy["final_equity"] * 100
        print(f"equity_diff_pct: {diff:.5f} %")
    if args.floor:
        from bench.backtest_floor import floor, report

        res = _spawned(floor, args.bars, args.seed, args.fast, args.slow, QTY)
        fills = out["ours"]["fills"] if "ours" in out else res["orders"]
        btpy_rate = args.bars / out["btpy"]["cpu_s"] if "btpy" in out else None
        report(args.bars, res, fills, btpy_rate)


if __name__ == "__main__":
    main()
