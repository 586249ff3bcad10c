"""Several strategies at once on the engine (in-process venue, virtual clock): each one's own PnL
from its own fills, its allocation, its kill switch, a failing one, and panic stopping them."""

from __future__ import annotations

import math
from decimal import Decimal

from core.engine import Engine
from core.events import LogLine, RiskRejected
from core.model import OrderRequest, OrderType, Side, TimeInForce
from core.strategy.slot import ALLOCATION_CHECK
from tests.support.portfolio_rig import BAR_S, SYM, TAKER, Rig


async def trader_buys(engine: Engine, qty: Decimal) -> None:
    req = OrderRequest(SYM, Side.BUY, qty, OrderType.MARKET, time_in_force=TimeInForce.IOC)
    assert (await engine.place(req)).ok


async def test_two_strategies_each_count_only_their_own_fills(rig: Rig) -> None:
    await trader_buys(rig.engine, Decimal("0.01"))
    a = await rig.portfolio.start(TAKER, SYM, params=["qty=0.02", "hold=1"], name="a")
    b = await rig.portfolio.start(TAKER, SYM, params=["side=Sell", "qty=0.005"], name="b")
    assert a.ok and b.ok, (a.message, b.message)
    await rig.venue.wait_for(
        lambda: rig.snap("a").trades == 1 and rig.snap("b").position == Decimal("-0.005"),
        timeout=3 * BAR_S,
        what="a round trip of a, b short",
    )
    sa, sb = rig.snap("a"), rig.snap("b")
    assert sa.position == 0 and sa.state == "running"
    assert rig.account_size() == Decimal("0.005")  # trader 0.01, a flat again, b short 0.005
    fills = {f.exec_id: f for f in rig.engine.store.fills()}
    own_a = [f for f in fills.values() if f.order_link_id in rig.links("a")]
    assert len(own_a) >= 2
    buys = sum(f.qty * f.price for f in own_a if f.side is Side.BUY)
    sells = sum(f.qty * f.price for f in own_a if f.side is Side.SELL)
    fees = sum(f.fee for f in own_a)
    assert sa.realised == sells - buys - fees
    assert sa.fees == fees and sa.unrealised == 0
    mark = rig.engine.pretrade.ref_price(SYM)
    assert mark is not None
    assert sb.unrealised == Decimal("-0.005") * (mark - sb.entry_price)
    assert sb.trades == 0 and math.isnan(sb.win_rate)
    starts = [r["name"] for r in rig.records("strategy_start")]
    assert starts == ["a", "b"]


async def test_an_allocation_below_one_order_is_refused_at_the_start(rig: Rig) -> None:
    """Before: accepted, then every bar's order refused with the row showing ``running`` and an
    empty note."""
    res = await rig.portfolio.start(TAKER, SYM, params=["qty=0.02"], name="small", allocation=Decimal(100))
    assert not res.ok
    assert "alloc=100 is less than one order: qty 0.02 x" in res.message
    assert rig.portfolio.get("small") is None


async def test_an_order_beyond_the_allocation_is_refused_by_name(rig: Rig) -> None:
    res = await rig.portfolio.start(TAKER, SYM, params=["qty=0.02"], name="small", allocation=Decimal(10_000))
    assert res.ok
    slot = rig.portfolio.get("small")
    assert slot is not None
    slot.allocation = Decimal(100)  # as if the market had risen 100x since the start
    await rig.venue.wait_for(lambda: bool(slot.runner.results), timeout=2 * BAR_S, what="the first order")
    (result,) = slot.runner.results
    assert not result.ok and result.check == ALLOCATION_CHECK
    assert "> allocation 100" in result.message
    assert rig.snap("small").reason == f"order refused: {ALLOCATION_CHECK}"  # the pane's note
    assert rig.snap("small").position == 0 and rig.account_size() == 0
    decisions = [r for r in rig.records("risk_decision") if r.get("check") == ALLOCATION_CHECK]
    assert decisions and "allocation 100" in str(decisions[0]["reason"])
    events = rig.engine.store.drain_events(5000)
    assert any(isinstance(e, RiskRejected) and e.check == ALLOCATION_CHECK for e in events)


async def test_kill_closes_only_the_strategys_own_part(rig: Rig) -> None:
    await trader_buys(rig.engine, Decimal("0.01"))
    rest = await rig.portfolio.start(
        "tests.strategy.portfolio_strategies:Rester", SYM, params=["price=1000"], name="rest"
    )
    take = await rig.portfolio.start(TAKER, SYM, params=["qty=0.02"], name="take")
    assert rest.ok and take.ok
    await rig.venue.wait_for(lambda: rig.snap("take").position == Decimal("0.02"), timeout=2 * BAR_S)
    assert rig.account_size() == Decimal("0.03")
    assert rig.snap("rest").open_orders == 1
    killed = await rig.portfolio.kill("take")
    assert killed.ok, killed.message
    await rig.venue.wait_for(lambda: rig.account_size() == Decimal("0.01"), what="only the trader's part")
    assert rig.snap("take").state == "stopped" and rig.snap("take").position == 0
    assert rig.snap("rest").open_orders == 1  # another strategy's order is not touched
    killed_rest = await rig.portfolio.kill("rest")
    assert killed_rest.ok and "1 orders cancelled" in killed_rest.message
    assert not [o for o in rig.venue.open_orders() if o["orderLinkId"] in rig.links("rest")]
    kills = rig.records("strategy_kill")
    assert [k["name"] for k in kills] == ["take", "rest"]


async def test_a_strategy_that_raises_is_failed_with_its_error(rig: Rig) -> None:
    res = await rig.portfolio.start("tests.strategy.portfolio_strategies:Breaks", SYM)
    assert res.ok
    await rig.venue.wait_for(lambda: rig.snap("breaks").state == "failed", timeout=2 * BAR_S)
    snap = rig.snap("breaks")
    assert "on_bar raised RuntimeError: bad bar" in snap.reason
    (fail,) = rig.records("strategy_fail")
    assert fail["name"] == "breaks" and "bad bar" in str(fail["reason"])
    lines = [e.message for e in rig.engine.store.drain_events(5000) if isinstance(e, LogLine)]
    assert any("breaks FAILED" in line for line in lines)


async def test_a_bad_parameter_or_start_is_refused_and_said(rig: Rig) -> None:
    bad = await rig.portfolio.start("sma_cross", SYM, params=["fast=x"])
    assert not bad.ok and "param fast" in bad.message
    start_fail = await rig.portfolio.start("sma_cross", SYM, params=["fast=40", "slow=20"])
    assert not start_fail.ok and "param fast: must be positive and below slow" in start_fail.message
    assert rig.portfolio.get("sma_cross") is None  # refused before it started: no failed row
    assert [r["reason"] for r in rig.records("strategy_refused")] == [bad.message, start_fail.message]
    assert rig.records("strategy_start") == []


async def test_panic_stops_the_strategies_before_it_flattens(rig: Rig) -> None:
    assert (await rig.portfolio.start(TAKER, SYM, params=["qty=0.01"])).ok
    await rig.venue.wait_for(lambda: rig.snap("taker").position == Decimal("0.01"), timeout=2 * BAR_S)
    report = await rig.engine.panic()
    assert report.flat
    assert "strategies: 1 strategies stopped" in report.steps
    assert rig.snap("taker").state == "stopped" and rig.snap("taker").reason == "panic"
