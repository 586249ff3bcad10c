"""Micro-benchmarks of the sim exchange core. Prints ``name: value unit`` lines.

Run: ``.venv/bin/python bench/sim_core.py``
"""

from __future__ import annotations

import time
from decimal import Decimal

from core.clock import FrozenClock
from core.sim.exchange import SimExchange

KEY = "bench"


def _exchange(seed: int = 42) -> tuple[SimExchange, FrozenClock]:
    clock = FrozenClock()
    ex = SimExchange(seed=seed, clock=clock, starting_balance=Decimal("1000000000"))
    ex.ensure_account(KEY)
    return ex, clock


def _steps_per_s(ex: SimExchange, clock: FrozenClock, n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        clock.advance(1)
        ex.step()
    return n / (time.perf_counter() - t0)


def bench_idle(n: int = 20_000) -> None:
    """step() with no subscribers (3 symbols)."""
    ex, clock = _exchange()
    rate = _steps_per_s(ex, clock, n)
    print(f"sim_step_idle_3_symbols: {rate:,.0f} steps/s")
    print(f"sim_step_idle_per_symbol: {1e6 / rate / 3:.1f} us")


def bench_one_symbol_all_topics(n: int = 10_000) -> None:
    """step() with every public topic of BTCUSDT subscribed; counts the messages produced."""
    ex, clock = _exchange()
    count = [0]
    ex.add_public_listener(lambda _t, _m: count.__setitem__(0, count[0] + 1))
    topics = [f"orderbook.{d}.BTCUSDT" for d in (1, 50, 200, 1000)]
    topics += ["publicTrade.BTCUSDT", "tickers.BTCUSDT", "kline.1.BTCUSDT"]
    for t in topics:
        ex.set_topic_interest(t, True)
        ex.public_snapshot(t)
    t0 = time.perf_counter()
    for _ in range(n):
        clock.advance(1)
        ex.step()
    dt = time.perf_counter() - t0
    print(f"sim_step_btc_all_topics: {n / dt:,.0f} steps/s")
    print(f"sim_public_messages: {count[0] / dt:,.0f} msg/s")


def bench_orders(n: int = 5_000) -> None:
    """Market orders matched through the facade (taker fills against the book, with pushes)."""
    ex, clock = _exchange()
    ex.add_private_listener(lambda _k, _t, _d: None)
    base = {"category": "linear", "symbol": "BTCUSDT", "orderType": "Market", "qty": "0.001"}
    t0 = time.perf_counter()
    for i in range(n):
        ex.order_create(KEY, {**base, "side": "Buy" if i % 2 == 0 else "Sell"})
        if i % 20 == 0:
            clock.advance(1)
            ex.step()
    dt = time.perf_counter() - t0
    print(f"sim_market_orders_matched: {n / dt:,.0f} orders/s")


def bench_limit_create_cancel(n: int = 5_000) -> None:
    """Resting limit order create + cancel pairs through the facade."""
    ex, clock = _exchange()
    for _ in range(5):
        clock.advance(1)
        ex.step()
    sm = ex.gen.symbols["BTCUSDT"]
    best = sm.book.bids.best()
    assert best is not None
    px = f"{sm.spec.px(best) - 200:.1f}"
    base = {"category": "linear", "symbol": "BTCUSDT"}
    t0 = time.perf_counter()
    for _ in range(n):
        r = ex.order_create(KEY, {**base, "side": "Buy", "orderType": "Limit", "qty": "0.001", "price": px})
        ex.order_cancel(KEY, {**base, "orderId": r["orderId"]})
    dt = time.perf_counter() - t0
    print(f"sim_limit_create_cancel: {n / dt:,.0f} pairs/s")


if __name__ == "__main__":
    bench_idle()
    bench_one_symbol_all_topics()
    bench_orders()
    bench_limit_create_cancel()
