"""The daily-loss breaker counts both venues: a loss on Hyperliquid alone (marked, then realised)
trips it, and the next risk-increasing order on Bybit is refused, while a closing one still passes
(the real engine with ``venue.name = "multi"`` on both sims over loopback)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from core.engine import Engine
from core.model import OrderRequest, OrderType, Side
from core.risk.breakers import DAILY_LOSS, BreakerState
from tests.support.venue_under_test import fresh, wait_real
from tests.venue_multi.conftest import BothSims, multi_settings

LIMIT = Decimal("5")
HL_ETH = Decimal("0.5")
DROP = Decimal("0.97")
"""The Hyperliquid ETH market falls 3 % while the position is held: a loss of about 50 USDT."""
WAIT_S = 20.0


async def test_a_loss_on_hyperliquid_trips_daily_loss_for_bybit(sims: BothSims, tmp_path: Path) -> None:
    engine = Engine(multi_settings(sims, tmp_path, breakers={"daily_loss_limit": LIMIT}))
    await engine.start()
    try:
        for sym in ("BTCUSDT", "ETHUSDT.HL"):
            await wait_real(fresh(engine, sym), WAIT_S, f"a fresh book and ticker for {sym}")
        assert (await engine.place(OrderRequest("BTCUSDT", Side.BUY, Decimal("0.002"), OrderType.MARKET))).ok
        assert (await engine.place(OrderRequest("ETHUSDT.HL", Side.BUY, HL_ETH, OrderType.MARKET))).ok
        await wait_real(lambda: "ETHUSDT.HL" in engine.state.positions, WAIT_S, "the position in the engine")
        sims.hl.drive("ETH", float(sims.hl.mid("ETH") * DROP))
        close = OrderRequest("ETHUSDT.HL", Side.SELL, HL_ETH, OrderType.MARKET, reduce_only=True)
        await wait_real(fresh(engine, "ETHUSDT.HL"), WAIT_S, "the fallen market in the engine")
        assert (await engine.place(close)).ok
        assert sims.hl.position("ETH") == 0
        board = engine.breaker_board
        await wait_real(lambda: board.state(DAILY_LOSS) is BreakerState.OPEN, WAIT_S, "daily loss tripped")

        res = await engine.place(OrderRequest("BTCUSDT", Side.BUY, Decimal("0.002"), OrderType.MARKET))
        assert not res.ok and res.check == "breakers" and f"{DAILY_LOSS}: daily loss" in res.message, (
            res.message
        )
        assert sims.bybit_position("BTCUSDT") > 0
        out = OrderRequest("BTCUSDT", Side.SELL, Decimal("0.002"), OrderType.MARKET, reduce_only=True)
        assert (await engine.place(out)).ok  # closing still passes a tripped breaker
        assert sims.bybit_position("BTCUSDT") == 0
    finally:
        await engine.stop()
