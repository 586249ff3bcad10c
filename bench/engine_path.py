"""Benchmark: the pure part of the order path (OrderBuilder + full RiskChain), no I/O.

Run: ``.venv/bin/python bench/engine_path.py [--orders 20000]``. Prints ``name: value unit`` lines:
per-order latency of build + ``first_failure`` (p50/p99), and of each half, plus ``evaluate`` (the
ticket preview, all checks). Target: p99 well under 1 ms.
"""

from __future__ import annotations

import argparse
import gc
import random
import time
from decimal import Decimal

from core.config import BreakerSettings, RiskSettings
from core.model import Balance, Instrument, Mode, OrderRequest, OrderType, Position, Side, TimeInForce
from core.orders.builder import OrderBuilder
from core.orders.ids import new_order_link_id
from core.risk.breakers import BreakerBoard
from core.risk.chain import RiskChain
from core.risk.context import OpenOrderSummary, RiskContext

D = Decimal
BTC = Instrument(
    "BTCUSDT", "BTC", "USDT", D("0.10"), D("0.001"), D("0.001"), D("1190"), D("500"), D("5"),
    D("1"), D("100"), D("0.01"), D("0.10"), D("1999999.80"),
)  # fmt: skip


def _requests(n: int, seed: int) -> list[OrderRequest]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        side = rng.choice((Side.BUY, Side.SELL))
        market = rng.random() < 0.3
        price = None if market else D(str(round(50000 * (1 + rng.uniform(-0.02, 0.02)), 2)))
        reduce_only = rng.random() < 0.1
        sl = None
        if price is not None and not reduce_only and rng.random() < 0.5:
            sl = price * (D("0.98") if side is Side.BUY else D("1.02"))
        out.append(
            OrderRequest(
                "BTCUSDT",
                side,
                D(str(round(rng.uniform(0.001, 6.0), 4))),
                OrderType.MARKET if market else OrderType.LIMIT,
                price,
                TimeInForce.IOC if market else rng.choice((TimeInForce.GTC, TimeInForce.POST_ONLY)),
                reduce_only=reduce_only,
                stop_loss=sl,
            )
        )
    return out


def _context() -> RiskContext:
    board = BreakerBoard(BreakerSettings.model_validate({}), exposure_cap=D("1000000"))
    positions = {
        "BTCUSDT": Position(
            "BTCUSDT", Side.BUY, D("1.5"), D("49500"), D("50000"), D("750"), leverage=D("10")
        ),
        "ETHUSDT": Position("ETHUSDT", Side.SELL, D("20"), D("3000"), D("2990"), D("200"), leverage=D("10")),
    }
    return RiskContext(
        mode=Mode.SIM,
        rest_url="http://127.0.0.1:8765",
        instrument=BTC,
        mark_price=D("50000"),
        best_bid=D("49999.9"),
        best_ask=D("50000.0"),
        book_age_s=0.05,
        positions=positions,
        open_orders={"BTCUSDT": OpenOrderSummary(4, D("0.5"), D("0.3"), D("24900"), D("15030"))},
        balance=Balance("USDT", D("100000"), D("100750"), D("80000")),
        breakers=board.snapshot(),
    )


def _pct(sorted_ns: list[int], q: float) -> float:
    return sorted_ns[min(len(sorted_ns) - 1, int(q * len(sorted_ns)))] / 1000


def main() -> None:
    """Run the benchmark and print its figures."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--orders", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    requests = _requests(args.orders, args.seed)
    ctx = _context()
    builder = OrderBuilder()
    chain = RiskChain.from_settings(RiskSettings.model_validate({}))
    ref = ctx.mark_price
    ids = [new_order_link_id("bench") for _ in requests]
    for r, i in zip(requests[:500], ids[:500], strict=True):  # warm up
        b = builder.try_build(r, BTC, ref_price=ref, order_link_id=i)
        if not isinstance(b, Exception):
            chain.first_failure(b, ctx)
    total: list[int] = []
    build: list[int] = []
    risk: list[int] = []
    preview: list[int] = []
    blocked = refused = 0
    perf = time.perf_counter_ns
    gc.collect()
    for r, i in zip(requests, ids, strict=True):
        t0 = perf()
        b = builder.try_build(r, BTC, ref_price=ref, order_link_id=i)
        t1 = perf()
        if isinstance(b, Exception):
            refused += 1
            total.append(t1 - t0)
            build.append(t1 - t0)
            continue
        verdict = chain.first_failure(b, ctx)
        t2 = perf()
        chain.evaluate(b, ctx)
        t3 = perf()
        blocked += verdict is not None
        total.append(t2 - t0)
        build.append(t1 - t0)
        risk.append(t2 - t1)
        preview.append(t3 - t2)
    for name, xs in (
        ("order_path_build_risk_us", total),
        ("order_path_build_us", build),
        ("order_path_risk_first_failure_us", risk),
        ("order_path_risk_evaluate_us", preview),
    ):
        xs.sort()
        print(f"{name}_p50: {_pct(xs, 0.50):.1f} us")
        print(f"{name}_p99: {_pct(xs, 0.99):.1f} us")
    print(f"order_path_orders: {len(requests)} orders")
    print(f"order_path_refused_by_builder: {refused} orders")
    print(f"order_path_blocked_by_risk: {blocked} orders")


if __name__ == "__main__":
    main()
