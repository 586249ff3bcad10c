"""Native position TP/SL on Hyperliquid, through the engine's position commands and the venue port,
on the Hyperliquid sim over loopback: the engine sets a TP and an SL on a position (position stops,
``grouping="positionTpsl"``), the venue holds them for the whole position, the engine shows them on
the position and not as orders, a new SL replaces the old one, 0 removes one, and a mark that
crosses the SL closes the whole position on the venue."""

from __future__ import annotations

from decimal import Decimal

from core.engine import Engine
from core.model import OrderRequest, OrderType, Side, TriggerBy
from core.sim.hyperliquid.records import HlOrder
from tests.support.hl_sim import HlSim
from tests.support.venue_under_test import fresh, wait_real

SYM = "ETHUSDT"
QTY = Decimal("0.5")
WAIT_S = 20.0


def stops_on_venue(hl: HlSim) -> dict[str, HlOrder]:
    return {str(o.tpsl): o for o in hl.open_orders() if o.position_tpsl}


def shown(engine: Engine) -> tuple[Decimal | None, Decimal | None]:
    pos = engine.state.positions.get(SYM)
    return (None, None) if pos is None else (pos.take_profit, pos.stop_loss)


async def test_position_tpsl_is_native_on_hyperliquid(engine: Engine, hl: HlSim) -> None:
    assert engine.venue.capabilities.native_tpsl
    await wait_real(fresh(engine, SYM), WAIT_S, "a fresh book and ticker")
    res = await engine.place(OrderRequest(SYM, Side.BUY, QTY, OrderType.MARKET))
    assert res.ok, res.message
    await wait_real(lambda: SYM in engine.state.positions, WAIT_S, "the position")
    mark = hl.mid("ETH")
    tp, sl = (mark * Decimal("1.1")).quantize(Decimal(1)), (mark * Decimal("0.9")).quantize(Decimal(1))

    res = await engine.set_trading_stop(SYM, take_profit=tp, stop_loss=sl, trigger_by=TriggerBy.MARK)
    assert res.ok, res.message
    on_venue = stops_on_venue(hl)
    assert set(on_venue) == {"tp", "sl"}
    assert on_venue["tp"].trigger_px == tp and on_venue["sl"].trigger_px == sl
    assert all(o.is_market and o.reduce_only and o.orig_sz == QTY and not o.is_buy for o in on_venue.values())
    # the stops' pushes refresh the account: the position shows them
    await wait_real(lambda: shown(engine) == (tp, sl), WAIT_S, "the TP and SL on the position")
    assert not engine.state.orders  # the position's stops are not orders of the engine

    sl2 = (mark * Decimal("0.95")).quantize(Decimal(1))
    res = await engine.set_trading_stop(SYM, take_profit=None, stop_loss=sl2, trigger_by=TriggerBy.MARK)
    assert res.ok, res.message
    on_venue = stops_on_venue(hl)
    assert on_venue["sl"].trigger_px == sl2 and on_venue["tp"].trigger_px == tp and len(on_venue) == 2
    res = await engine.set_trading_stop(
        SYM, take_profit=Decimal(0), stop_loss=None, trigger_by=TriggerBy.MARK
    )
    assert res.ok, res.message
    assert set(stops_on_venue(hl)) == {"sl"}
    await wait_real(lambda: shown(engine) == (None, sl2), WAIT_S, "the new SL alone on the position")

    refused = await engine.set_trading_stop(SYM, take_profit=tp, stop_loss=None, trigger_by=TriggerBy.LAST)
    assert not refused.ok and "mark price" in refused.message

    hl.drive("ETH", float(mark) * 0.9)
    hl.step()
    assert hl.position("ETH") == 0 and stops_on_venue(hl) == {}
    await wait_real(lambda: SYM not in engine.state.positions, WAIT_S, "the engine flat")
