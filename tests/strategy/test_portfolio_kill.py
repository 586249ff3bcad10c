"""The kill switch closes exactly the strategy's own part, from its own fills, on the engine and
the in-process venue with the virtual clock: right after its fill (the venue's execution and
position pushes still on their way), with the account net opposite (someone else holds the
other side), and a close the risk chain refuses marks the kill failed with the check's reason.

Before: the kill read the ACCOUNT's position to decide what to close, so in both first cases it
said "no position of its own to close" and left the strategy's exposure open."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from core.engine import Engine
from core.events import LogLine
from core.model import OrderRequest, OrderType, Side, TimeInForce
from core.sim.exchange import SimExchange
from core.strategy.portfolio import Portfolio
from core.strategy.resume import unfinished
from tests.support.portfolio_rig import BAR_S, POLL_S, SYM, TAKER, Rig
from tests.support.venue_under_test import InProcessVenue

HELD = ("execution", "position")


class HeldPushes:
    """The venue's execution and position pushes held back (they arrive late, as separate topics
    of Bybit's private stream may), the order pushes delivered at once; :meth:`release` delivers
    what was held, in order."""

    def __init__(self, exchange: SimExchange) -> None:
        self.held: list[tuple[Callable[..., None], tuple[Any, ...]]] = []
        self.on = True
        listeners = exchange._private_listeners
        listeners[:] = [self._wrap(cb) for cb in listeners]

    def _wrap(self, cb: Callable[..., None]) -> Callable[..., None]:
        def held(api_key: str, topic: str, items: list[dict[str, object]]) -> None:
            if self.on and topic in HELD:
                self.held.append((cb, (api_key, topic, items)))
            else:
                cb(api_key, topic, items)

        return held

    def release(self) -> None:
        self.on = False
        held, self.held = self.held, []
        for cb, args in held:
            cb(*args)


async def trader(engine: Engine, side: Side, qty: Decimal) -> None:
    req = OrderRequest(SYM, side, qty, OrderType.MARKET, time_in_force=TimeInForce.IOC)
    res = await engine.place(req)
    assert res.ok, res.message


async def until(cond: Callable[[], bool], what: str) -> None:
    """Let the loop run (no market time passes) until ``cond``."""
    for _ in range(10_000):
        if cond():
            return
        await asyncio.sleep(0)
    raise AssertionError(f"{what}: never happened")


def intents_of(rig: Rig, link: str) -> list[dict[str, object]]:
    return [r.data for r in rig.engine.journal.query(kinds=("intent",)) if r.order_link_id == link]


async def test_kill_right_after_a_fill_waits_for_it_and_closes_the_strategys_part(rig: Rig) -> None:
    held = HeldPushes(rig.venue.exchange)
    assert (await rig.portfolio.start(TAKER, SYM, params=["qty=0.02"], name="take")).ok
    slot = rig.portfolio.get("take")
    assert slot is not None
    finished = rig.engine.state.closed
    await rig.venue.wait_for(
        lambda: any(
            o.order_link_id in slot.runner.links and o.filled_qty == Decimal("0.02") for o in finished
        ),
        timeout=2 * BAR_S,
        what="the venue says its order filled",
    )
    assert held.held, "its execution and position pushes are still on their way"
    assert slot.own_size() == 0 and rig.account_size() == 0

    kill = asyncio.create_task(rig.portfolio.kill("take"))
    await until(lambda: kill.done() or bool(slot.waiting), "the kill waits for what is still arriving")
    assert not kill.done(), kill.result().message
    assert "fills of its order" in slot.waiting
    # The console dying here must not bring back what the trader killed.
    assert "take" not in {u.name for u in unfinished(rig.engine.journal)}
    held.release()
    killed = await kill
    assert killed.ok, killed.message
    assert "reduce-only" in killed.message and "NOT reduce-only" not in killed.message
    await rig.venue.wait_for(lambda: rig.account_size() == 0, what="the strategy's part closed")
    assert rig.snap("take").position == 0 and rig.snap("take").state == "stopped"
    (intent,) = intents_of(rig, killed.order_link_id)
    assert intent["source"] == "strategy:take:kill" and intent["reduce_only"] is True
    assert Decimal(str(intent["qty"])) == Decimal("0.02")


async def test_kill_with_the_account_net_opposite_closes_its_part_not_reduce_only(rig: Rig) -> None:
    await trader(rig.engine, Side.SELL, Decimal("0.05"))
    assert (await rig.portfolio.start(TAKER, SYM, params=["qty=0.02"], name="take")).ok
    await rig.venue.wait_for(lambda: rig.snap("take").position == Decimal("0.02"), timeout=2 * BAR_S)
    await rig.venue.wait_for(lambda: rig.account_size() == Decimal("-0.03"), what="account net short")

    killed = await rig.portfolio.kill("take")
    assert killed.ok, killed.message
    assert "NOT reduce-only: the account is net short 0.03" in killed.message
    assert "account -0.03 -> -0.05" in killed.message
    await rig.venue.wait_for(lambda: rig.snap("take").position == 0, what="its own part closed")
    await rig.venue.wait_for(lambda: rig.account_size() == Decimal("-0.05"), what="the trader's part left")
    (intent,) = intents_of(rig, killed.order_link_id)
    assert intent["source"] == "strategy:take:kill" and intent["reduce_only"] is False
    (record,) = rig.records("strategy_kill")
    assert record["ok"] is True and record["reduce_only"] is False


async def test_a_close_the_risk_chain_refuses_marks_the_kill_failed(tmp_path: Path) -> None:
    """The trader sells 0.01 at a time under a 1,400 USDT order cap (BTC near 95,000); the
    strategy's 0.02 buy reduces the short and passes; its kill's 0.02 sell adds to the short, so
    the cap refuses it: the kill is failed with the check's reason, its part stays, said loudly."""
    venue = InProcessVenue()
    engine = venue.engine(venue.settings(tmp_path, risk={"max_order_notional": "1400"}))
    await engine.start()
    portfolio = Portfolio(engine, poll_s=POLL_S)
    rig = Rig(venue, engine, portfolio, tmp_path / "journal.db")
    try:
        for _ in range(5):
            await trader(engine, Side.SELL, Decimal("0.01"))
        assert (await portfolio.start(TAKER, SYM, params=["qty=0.02"], name="take")).ok
        await venue.wait_for(lambda: rig.snap("take").position == Decimal("0.02"), timeout=2 * BAR_S)
        await venue.wait_for(lambda: rig.account_size() == Decimal("-0.03"), what="account net short")
        killed = await portfolio.kill("take")
        assert not killed.ok
        assert "REFUSED" in killed.message and "risk.max_order_notional" in killed.message
        snap = rig.snap("take")
        assert snap.state == "failed", snap
        assert snap.reason.startswith("kill failed: close refused by max_order_notional: ")
        assert snap.position == Decimal("0.02") and rig.account_size() == Decimal("-0.03")
        (record,) = rig.records("strategy_kill")
        assert record["ok"] is False
        lines = [e.message for e in engine.store.drain_events(5000) if isinstance(e, LogLine)]
        assert any(line.startswith("strategy take kill FAILED") for line in lines), lines[-5:]
    finally:
        await portfolio.close()
        await engine.stop()
