"""Benchmark: the engine's order path.

Run: ``.venv/bin/python bench/engine.py [--orders 2000] [--acks 300]``. Prints ``name: value unit``:

* ``order_path_internal_us_p50/p99`` — everything the engine adds before the network, per order:
  OrderBuilder + full RiskChain + the durable journal write (WAL, synchronous=FULL) + HMAC
  signing of the request body, as the engine does it (no network).
* ``place_ack_ms_p50/p95`` — ``Engine.place`` → venue ack against the sim on loopback, through
  pybit HTTP, the rate limiter, circuit breaker and executor (sim rate limits off).
* ``book_apply_orderbook200_msgs_per_s`` — ``orderbook.200`` delta frames through the product's
  path (from bench/engine_book.py): the Bybit feeds' frame handler, the engine's feed sink and its
  book keeper.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from pybit._http_manager import generate_signature

from core.clock import SystemClock
from core.config import load_settings
from core.engine import Engine
from core.journal.journal import Journal
from core.model import OrderRequest, OrderType, Side
from core.orders.builder import OrderBuilder
from core.orders.ids import new_order_link_id
from core.risk.chain import RiskChain
from core.sim.runner import SimVenueThread
from core.venues.bybit.encode import order_params


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def bench_internal(n: int) -> None:
    """Builder + risk chain + journal (one durable write) + signing, per order."""
    from bench.engine_path import BTC, _context  # the same instrument/context as the path bench

    settings = load_settings(metrics={"enabled": False})
    builder = OrderBuilder()
    chain = RiskChain.from_settings(settings.risk)
    ctx = _context()
    tmp = Path(tempfile.mkdtemp())
    journal = Journal(tmp / "j.db", SystemClock())
    times: list[float] = []
    gc.collect()
    for i in range(n):
        t0 = time.perf_counter_ns()
        req = OrderRequest(
            "BTCUSDT", Side.BUY, Decimal("0.010"), OrderType.LIMIT, Decimal("49990.0") - i % 50
        )
        link = new_order_link_id("tc")
        built = builder.build(req, BTC, ref_price=Decimal("50000"), order_link_id=link)
        failure = chain.first_failure(built, ctx)
        params = order_params(built)
        journal.record(
            "intent", symbol=built.symbol, order_link_id=link, approved=failure is None, params=params
        )
        payload = json.dumps(params)
        generate_signature(False, "secret-secret-secret", f"{time.time_ns() // 1_000_000}key5000{payload}")
        times.append((time.perf_counter_ns() - t0) / 1000)
    journal.close()
    print(f"order_path_internal_us_p50: {statistics.median(times):.1f} us")
    print(f"order_path_internal_us_p99: {_pct(times, 0.99):.1f} us")


async def _acks(n: int) -> None:
    sim = SimVenueThread(load_settings().sim.model_copy(update={"port": 0, "rate_limits": False})).start()
    tmp = Path(tempfile.mkdtemp())
    try:
        settings = load_settings(
            sim={"port": sim.port, "rate_limits": False},
            journal={"path": str(tmp / "j.db")},
            metrics={"enabled": False},
        )
        engine = Engine(settings)
        # Our own limiter would pace at Bybit's 10 orders/s; this measures latency, not pacing.
        engine.limiter._enabled = False
        await engine.start(feeds=False)
        ticker = engine.store.ticker("BTCUSDT")
        assert ticker is not None
        base = (ticker.mark_price * Decimal("0.97")).quantize(Decimal("0.1"))
        lat: list[float] = []
        for i in range(n):
            req = OrderRequest("BTCUSDT", Side.BUY, Decimal("0.001"), OrderType.LIMIT, base - i % 40)
            t0 = time.perf_counter()
            res = await engine.place(req)
            lat.append((time.perf_counter() - t0) * 1000)
            assert res.ok, res.message
            if len(engine.state.orders) > 40:
                await engine.cancel_all("BTCUSDT")
        await engine.cancel_all("BTCUSDT")
        await engine.stop()
        print(f"place_ack_ms_p50: {statistics.median(lat):.2f} ms")
        print(f"place_ack_ms_p95: {_pct(lat, 0.95):.2f} ms")
    finally:
        sim.stop()


def main() -> None:
    """Run every engine benchmark and print its figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=2000)
    ap.add_argument("--acks", type=int, default=300)
    args = ap.parse_args()
    bench_internal(args.orders)
    asyncio.run(_acks(args.acks))
    from bench.engine_book import main as book_main

    book_main()


if __name__ == "__main__":
    main()
