"""``:strat kill NAME`` on the real engine and the in-process sim (virtual clock) with the account
net opposite to the strategy (the trader holds the other side): the preview says the close is
NOT reduce-only and why, Enter closes exactly the strategy's own part, and the trader's stays.

Before: the kill read the account's position, found it opposite to the strategy's, said "no
position of its own to close" and left the strategy's exposure open."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from console.app import TradeConsoleApp
from core.model import OrderRequest, OrderType, Side, TimeInForce
from tests.support.console_types import SIZE, SYM
from tests.support.strategy_console import advance_until, plan_of, row
from tests.support.venue_under_test import InProcessVenue

TAKER = "tests.strategy.portfolio_strategies:Taker"


async def test_strat_kill_with_the_account_net_opposite_closes_only_the_strategys_part(
    tmp_path: Path,
) -> None:
    venue = InProcessVenue()
    settings = venue.settings(tmp_path)
    engine = venue.engine(settings)
    app = TradeConsoleApp(engine, settings, clock=venue.clock)

    def account() -> Decimal:
        pos = engine.account().positions.get(SYM)
        return pos.signed_size if pos is not None else Decimal(0)

    async with app.run_test(size=SIZE) as pilot:
        await advance_until(
            pilot, venue, lambda: app.engine_started and engine.store.ticker(SYM) is not None, "engine up"
        )
        sell = OrderRequest(SYM, Side.SELL, Decimal("0.05"), OrderType.MARKET, time_in_force=TimeInForce.IOC)
        assert (await engine.place(sell)).ok  # the trader's short
        await plan_of(pilot, app, f"strat start {TAKER} qty=0.02 as=take")
        await pilot.press("enter")
        await advance_until(
            pilot,
            venue,
            lambda: (r := row(app, "take")) is not None and r.position == Decimal("0.02"),
            "fill",
        )
        await advance_until(pilot, venue, lambda: account() == Decimal("-0.03"), "account net short")

        screen = await plan_of(pilot, app, "strat kill take")
        plan = screen.plan
        assert plan is not None and plan.ready and plan.summary == "KILL strategy take"
        assert "Sell 0.02 BTCUSDT at market NOT reduce-only: the account is net short 0.03" in plan.detail
        assert "account -0.03 -> -0.05" in plan.detail
        await pilot.press("enter")
        await advance_until(
            pilot,
            venue,
            lambda: (r := row(app, "take")) is not None and r.state == "stopped" and r.position == 0,
            "killed, its own part closed",
        )
        await advance_until(pilot, venue, lambda: account() == Decimal("-0.05"), "the trader's short left")
        lines = "\n".join(app.main.log_pane.history)
        assert "strategy take killed" in lines and "NOT reduce-only" in lines
        (kill,) = engine.journal.query(kinds=("strategy_kill",))
        assert kill.data["ok"] is True and kill.data["reduce_only"] is False
