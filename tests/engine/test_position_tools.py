"""Position tools on the real engine and sim venue: partial close by fraction, the position's
TP/SL (set, change, remove), the breakeven stop and leverage, each checked on the venue."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.engine import Engine
from core.model import OrderRequest, OrderType, Side, TriggerBy
from tests.support.engine_types import SYM, Ready, WaitFor
from tests.support.venue_under_test import VenueUnderTest

D = Decimal


async def open_position(engine: Engine, wait_for: WaitFor, side: Side, qty: str) -> None:
    res = await engine.place(OrderRequest(SYM, side, D(qty), OrderType.MARKET))
    assert res.ok, res.message
    await wait_for(lambda: SYM in engine.state.positions and engine.state.positions[SYM].size == D(qty))


async def size_becomes(engine: Engine, wait_for: WaitFor, size: str) -> None:
    if D(size) == 0:
        await wait_for(lambda: SYM not in engine.state.positions or engine.state.positions[SYM].is_flat)
    else:
        await wait_for(lambda: SYM in engine.state.positions and engine.state.positions[SYM].size == D(size))


async def test_partial_close_rounds_down_to_the_step_and_100_closes_exactly(
    engine: Engine, venue: VenueUnderTest, ready: Ready, wait_for: WaitFor
) -> None:
    await ready(engine)
    await open_position(engine, wait_for, Side.BUY, "0.011")
    res = await engine.close_position(SYM, D("0.25"))  # 0.00275 -> 0.002
    assert res.ok, res.message
    assert "25%" in res.message and "0.002" in res.message
    await size_becomes(engine, wait_for, "0.009")
    assert D(venue.position()["size"]) == D("0.009")
    res = await engine.close_position(SYM, D("0.5"))  # 0.0045 -> 0.004
    assert res.ok, res.message
    await size_becomes(engine, wait_for, "0.005")
    res = await engine.close_position(SYM, D(1))
    assert res.ok, res.message
    await size_becomes(engine, wait_for, "0")
    assert venue.positions() == []
    closes = [r for r in engine.journal.query(symbol=SYM) if r.kind == "intent"]
    assert [(c.data["qty"], c.data["reduce_only"]) for c in closes[1:]] == [
        ("0.002", True),
        ("0.004", True),
        ("0.005", True),
    ]


async def test_fraction_below_one_step_is_refused_with_numbers(
    engine: Engine, venue: VenueUnderTest, ready: Ready, wait_for: WaitFor
) -> None:
    await ready(engine)
    await open_position(engine, wait_for, Side.SELL, "0.001")
    res = await engine.close_position(SYM, D("0.25"))
    assert not res.ok and res.check == "close_fraction"
    assert "25%" in res.message and "0.001" in res.message
    assert D(venue.position()["size"]) == D("0.001")
    bad = await engine.close_position(SYM, D("1.5"))
    assert not bad.ok and bad.check == "close_fraction"


async def test_trading_stop_set_change_and_remove(
    engine: Engine, venue: VenueUnderTest, ready: Ready, wait_for: WaitFor
) -> None:
    mark = await ready(engine)
    await open_position(engine, wait_for, Side.BUY, "0.01")
    tp, sl = (mark * D("1.05")).quantize(D("0.1")), (mark * D("0.95")).quantize(D("0.1"))
    res = await engine.set_trading_stop(SYM, take_profit=tp, stop_loss=sl + D("0.04"))
    assert res.ok, res.message
    row = venue.position()
    # The stop never sits further from the market than typed: a long's SL rounds up.
    assert (D(row["takeProfit"]), D(row["stopLoss"])) == (tp, sl + D("0.1"))
    await wait_for(lambda: engine.state.positions[SYM].stop_loss == sl + D("0.1"))
    assert "whole long 0.01" in res.message

    res = await engine.set_trading_stop(SYM, stop_loss=sl, trigger_by=TriggerBy.LAST)
    assert res.ok, res.message
    row = venue.position()
    assert (D(row["takeProfit"]), D(row["stopLoss"])) == (tp, sl)  # TP unchanged (None = leave it)

    res = await engine.set_trading_stop(SYM, take_profit=D(0))
    assert res.ok, res.message
    row = venue.position()
    assert (row["takeProfit"], D(row["stopLoss"])) == ("", sl)
    kinds = [r.kind for r in engine.journal.query(symbol=SYM) if r.kind == "trading_stop"]
    assert len(kinds) == 3


async def test_stop_on_the_wrong_side_is_refused_locally(
    engine: Engine, venue: VenueUnderTest, ready: Ready, wait_for: WaitFor
) -> None:
    mark = await ready(engine)
    await open_position(engine, wait_for, Side.SELL, "0.01")
    res = await engine.set_trading_stop(SYM, stop_loss=(mark * D("0.97")).quantize(D("0.1")))
    assert not res.ok and res.check == "stop_loss"
    assert "must be above the MarkPrice" in res.message and "short" in res.message
    assert venue.position()["stopLoss"] == ""
    nothing = await engine.set_trading_stop(SYM)
    assert not nothing.ok and nothing.check == "trading_stop"


async def test_no_position_to_protect(engine: Engine, ready: Ready) -> None:
    await ready(engine)
    res = await engine.set_trading_stop(SYM, stop_loss=D("1000"))
    assert not res.ok and res.check == "position"
    res = await engine.breakeven(SYM)
    assert not res.ok and res.check == "position"


async def test_breakeven_refused_until_in_profit_then_set_at_entry(
    engine: Engine, venue: VenueUnderTest, ready: Ready, wait_for: WaitFor
) -> None:
    await ready(engine)
    await open_position(engine, wait_for, Side.BUY, "0.01")
    entry = engine.state.positions[SYM].entry_price
    be = entry.quantize(D("0.1"), rounding="ROUND_CEILING")
    venue.push_market(0.98)
    await wait_for(lambda: engine.store.ticker(SYM).mark_price < be, timeout=10)  # type: ignore[union-attr]
    res = await engine.breakeven(SYM)
    assert not res.ok and res.check == "breakeven"
    assert "not in profit" in res.message and str(be) in res.message
    assert venue.position()["stopLoss"] == ""

    venue.push_market(1.04)
    await wait_for(lambda: engine.store.ticker(SYM).mark_price > be + 5, timeout=10)  # type: ignore[union-attr]
    res = await engine.breakeven(SYM)
    assert res.ok, res.message
    assert D(venue.position()["stopLoss"]) == be


@pytest.mark.parametrize(
    ("lev", "check"),
    [("0", "leverage"), ("150", "leverage_range"), ("5.005", "leverage_step"), ("30", "leverage_cap")],
)
async def test_leverage_checks_before_the_venue(
    engine: Engine, venue: VenueUnderTest, ready: Ready, lev: str, check: str
) -> None:
    await ready(engine)
    assert engine.settings.risk.max_leverage < D(30)
    before = venue.position()["leverage"]
    res = await engine.set_leverage(SYM, D(lev))
    assert not res.ok and res.check == check, res.message
    assert lev in res.message
    assert venue.position()["leverage"] == before


async def test_leverage_set_on_the_venue(
    engine: Engine, venue: VenueUnderTest, ready: Ready, wait_for: WaitFor
) -> None:
    await ready(engine)
    assert await engine.margin_mode() == "cross"  # the sim's unified account: REGULAR_MARGIN
    res = await engine.set_leverage(SYM, D("3"))
    assert res.ok, res.message
    assert D(venue.position()["leverage"]) == D(3)
    again = await engine.set_leverage(SYM, D("3"))
    assert again.ok and "already" in again.message
