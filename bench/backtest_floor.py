"""The floor under any backtester that sends its orders through the real builder and risk chain.

Used by ``bench/backtest.py --floor``. Two costs are measured on their own, each with the rest of
the run taken away:

* ``floor_preview_us`` — one market order through the real builder and risk chain and nothing
  else (:meth:`~core.engine.Engine.preview` on the backtester's engine: no journal, executor,
  venue, account update or event loop), the median of several rounds;
* ``floor_bar_loop_us`` — one bar through the example strategy, unchanged, with the cheapest
  context there can be: O(1) running sums for the SMAs, orders filled on the spot, no engine, and
  the bar's equity point appended (the report's equity curve needs one a bar).

All in CPU time. From them, with backtesting.py's bars per CPU-second on the same bars (its wall
time on a shared machine swings by 2x from run to run, its CPU time less):

* ``floor_bars_per_s_at_most`` — bars over (fills x ``floor_preview_us``): the speed a backtester
  could reach if the bars, the journal, the executor, the venue, the account and the event loop
  cost nothing at all, the builder and risk chain alone being paid per fill;
* ``floor_ratio_vs_btpy_at_most`` — that speed over backtesting.py's;
* ``floor_bars_per_s_lean`` — bars over (bars x ``floor_bar_loop_us`` + fills x
  ``floor_preview_us``): the same with the cheapest bar loop added back.
"""

from __future__ import annotations

import statistics
import time
from collections import deque
from decimal import Decimal
from typing import Any

ROUNDS = 5
PREVIEWS = 2000
PROBE_BAR = 3
"""The bar at whose close the probe times the previews (the book then 3 minutes old)."""


def preview_us(seed: int) -> float:
    """The median time of one market order's build and risk check on the backtester's engine."""
    from bench.backtest import _bars
    from core.model import OrderRequest, OrderType, Side
    from core.strategy.backtest import BacktestConfig, run_backtest
    from core.strategy.base import Bar, Strategy

    rounds: list[float] = []

    class Probe(Strategy):
        name = "floor_probe"
        params = ()

        def on_bar(self, bar: Bar) -> None:
            if len(self.ctx.bars) != PROBE_BAR:
                return
            engine: Any = self.ctx._engine  # the engine the backtest built
            req = OrderRequest(
                symbol="BTCUSDT",
                side=Side.BUY,
                qty=Decimal("0.01"),
                order_type=OrderType.MARKET,
                source="strategy:floor_probe",
            )
            verdict = engine.preview(req)
            failed = [c.check for c in verdict.checks if not c.passed]
            if failed or verdict.build_error:
                raise RuntimeError(f"probe order refused: {failed or verdict.build_error}")
            for _ in range(ROUNDS):
                t0 = time.process_time()
                for _ in range(PREVIEWS):
                    engine.preview(req)
                rounds.append((time.process_time() - t0) / PREVIEWS * 1e6)

    # A one-minute bar is older than the default stale-book limit at its close; the probe's
    # order is checked against the same chain with that guard's limit raised (it still runs).
    config = BacktestConfig(
        seed=seed,
        starting_balance=Decimal(100_000),
        funding_rate=None,
        settings={"risk": {"book_stale_s": 300}},
    )
    run_backtest(Probe(), _bars(PROBE_BAR + 2, seed), config)
    return statistics.median(rounds)


class _Sum:
    """An O(1) simple moving average."""

    __slots__ = ("n", "window", "total")

    def __init__(self, n: int) -> None:
        self.n = n
        self.window: deque[float] = deque()
        self.total = 0.0

    def push(self, x: float) -> None:
        self.window.append(x)
        self.total += x
        if len(self.window) > self.n:
            self.total -= self.window.popleft()

    def value(self) -> float | None:
        return self.total / self.n if len(self.window) == self.n else None


class _LeanContext:
    """The least a strategy's context can do: running SMAs, a position, spot fills."""

    def __init__(self, lengths: tuple[int, ...]) -> None:
        self.sums = {n: _Sum(n) for n in lengths}
        self.size = Decimal(0)
        self.float_size = 0.0
        """The position as a float, for the equity points (changed only by a fill)."""
        self.orders = 0

    def push(self, close: float) -> None:
        for s in self.sums.values():
            s.push(close)

    def sma(self, n: int) -> float | None:
        return self.sums[n].value()

    def signed_size(self) -> Decimal:
        return self.size

    def market(self, side: Any, qty: Decimal) -> None:
        from core.model import Side

        self.orders += 1
        self.size += qty if side is Side.BUY else -qty
        self.float_size = float(self.size)


def bar_loop_us(bars: list[Any], fast: int, slow: int, qty: Decimal) -> tuple[float, int]:
    """The example strategy's ``on_bar``, unchanged, over ``bars`` with the lean context: the time
    per bar and the orders it gave."""
    from core.strategy.examples.sma_cross import SmaCross

    strategy = SmaCross(fast=fast, slow=slow, qty=qty)
    ctx = _LeanContext((fast, slow))
    strategy._ctx = ctx  # type: ignore[assignment]  # the lean context stands in for the engine's
    equity: list[tuple[int, float]] = []
    t0 = time.process_time()
    for bar in bars:
        ctx.push(bar.close)
        strategy.on_bar(bar)
        equity.append((bar.ts_ms, ctx.float_size * bar.close))
    return (time.process_time() - t0) / len(bars) * 1e6, ctx.orders


def floor(n: int, seed: int, fast: int, slow: int, qty: Decimal) -> dict[str, float]:
    """Both costs (run in a process of their own)."""
    from bench.backtest import _bars

    bars = _bars(n, seed)
    loop_us, orders = bar_loop_us(bars, fast, slow, qty)
    return {"preview_us": preview_us(seed), "bar_loop_us": loop_us, "orders": float(orders)}


def report(n: int, res: dict[str, float], fills: float, btpy_bars_per_s: float | None) -> None:
    """Print the floor's lines (``fills``: the run's; backtesting.py's bars per CPU-second when it
    ran)."""
    preview_s = fills * res["preview_us"] / 1e6
    lean_s = n * res["bar_loop_us"] / 1e6 + preview_s
    print(f"floor_preview_us: {res['preview_us']:.1f} us")
    print(f"floor_bar_loop_us: {res['bar_loop_us']:.2f} us")
    print(f"floor_bar_loop_orders: {res['orders']:.0f} orders")
    print(f"floor_bars_per_s_at_most: {n / preview_s:.0f} bars/s")
    print(f"floor_bars_per_s_lean: {n / lean_s:.0f} bars/s")
    if btpy_bars_per_s:
        print(f"floor_ratio_vs_btpy_at_most: {n / preview_s / btpy_bars_per_s:.2f} x")
        print(f"floor_ratio_vs_btpy_lean: {n / lean_s / btpy_bars_per_s:.2f} x")
