"""``trade-console engine-demo``: the engine's command API end to end against an embedded sim.

It starts the sim venue on a free loopback port, starts the engine against it (real pybit HTTP
and WebSockets), places a limit order, amends it, cancels it, opens a small position with a
market order, places a resting order, panics, and prints every step and then the journal.
"""

from __future__ import annotations

import asyncio
import tempfile
from decimal import Decimal
from pathlib import Path

from core.config import Settings
from core.engine import Engine
from core.journal.reader import format_table
from core.model import OrderRequest, OrderType, Side
from core.observability.logging import setup_logging
from core.sim.runner import SimVenueThread


def _say(msg: str) -> None:
    print(f"  {msg}", flush=True)


async def _demo(settings: Settings) -> int:
    engine = Engine(settings)
    await engine.start()
    try:
        sym = settings.ui.default_symbol
        for _ in range(50):
            if engine.store.ticker(sym) is not None and not engine.books.is_stale(sym):  # type: ignore[union-attr]
                break
            await asyncio.sleep(0.1)
        ticker = engine.store.ticker(sym)
        assert ticker is not None, "no ticker from the sim"
        mark = ticker.mark_price
        print(f"{sym} mark {mark}")
        away = (mark * Decimal("0.97")).quantize(Decimal("0.1"))
        res = await engine.place(OrderRequest(sym, Side.BUY, Decimal("0.01"), OrderType.LIMIT, away))
        _say(f"place limit buy 0.01 @ {away}: {res.message}")
        link = res.order_link_id
        await asyncio.sleep(0.3)
        res = await engine.amend(link, price=away - Decimal("10"))
        _say(f"amend price -> {away - Decimal('10')}: {res.message}")
        res = await engine.cancel(link)
        _say(f"cancel: {res.message}")
        res = await engine.place(OrderRequest(sym, Side.BUY, Decimal("0.02"), OrderType.MARKET))
        _say(f"market buy 0.02: {res.message}")
        res = await engine.place(OrderRequest(sym, Side.BUY, Decimal("0.01"), OrderType.LIMIT, mark * 2))
        _say(f"fat-finger buy @ {mark * 2}: {res.message}")
        res = await engine.place(
            OrderRequest(sym, Side.SELL, Decimal("0.01"), OrderType.LIMIT, away * Decimal("1.06"))
        )
        _say(f"resting sell: {res.message}")
        await asyncio.sleep(0.5)
        acct = engine.account()
        _say(f"before panic: {len(acct.orders)} open orders, {len(acct.positions)} positions")
        report = await engine.panic()
        for step in report.steps:
            _say(f"panic {step}")
        print(f"panic result: {'FLAT' if report.flat else 'NOT FLAT'} in {report.duration_s:.2f}s")
        records = engine.journal.query()
        print(f"\njournal ({len(records)} records, {settings.journal.path}):")
        print(format_table(records))
        return 0 if report.flat else 1
    finally:
        await engine.stop()


def run_engine_demo(settings: Settings) -> int:
    """Run the demo on an embedded sim with a fresh journal; returns the exit code."""
    tmp = Path(tempfile.mkdtemp(prefix="trade-console-demo-"))
    sim_settings = settings.sim.model_copy(update={"port": 0})
    sim = SimVenueThread(sim_settings).start()
    try:
        live_sim = settings.sim.model_copy(update={"port": sim.port})
        demo_settings = settings.model_copy(
            update={
                "sim": live_sim,
                "journal": settings.journal.model_copy(update={"path": str(tmp / "journal.db")}),
            }
        )
        print(f"sim venue at {sim.rest_url}; journal at {tmp / 'journal.db'}; logs in {tmp}")
        setup_logging(tmp, mode="sim", venue="bybit-sim", secrets=demo_settings.credentials())
        return asyncio.run(_demo(demo_settings))
    finally:
        sim.stop()
