"""The cross-venue pane and the paired ticket from the keyboard, on the real engine over the
composite venue whose two legs are in-process venues on virtual clocks (``BTCUSDT`` on the
primary, ``BTCUSDT.HL`` on the second): the pane shows both venues' quotes and follows the store;
``7`` shows it, ``P`` opens the ticket, the quantity and Enter send both legs through the risk
chain; an injected venue rejection of one leg is LEG RISK (row, toast, log); ``u`` unwinds and
both venues end flat; ``m`` completes and both legs are filled."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from console.app import TradeConsoleApp
from console.screens.paired import PairedTicket
from core.orders.paired import PairState
from core.resilience.errors import Rejected
from tests.support.console_types import SIZE
from tests.support.crossvenue_rig import (
    REJECT_CODE,
    A,
    B,
    TwoVenues,
    advance_until,
    cell,
    open_pane,
    send_pair,
)

D = Decimal


async def test_pane_shows_both_venues_and_follows_the_store(two: TwoVenues) -> None:
    app = TradeConsoleApp(two.engine, two.settings, clock=two.clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_pane(pilot, app, two)
        store = two.engine.store

        def shows_store() -> bool:
            ba, bb = store.book(A), store.book(B)
            if ba is None or bb is None or ba.best_bid is None or bb.best_bid is None:
                return False
            return cell(app, "bid_a") == f"{ba.best_bid:,.1f}" and cell(app, "bid_b") == f"{bb.best_bid:,.1f}"

        await advance_until(pilot, two, shows_store, "the pane showing the store's bids")
        first = (cell(app, "bid_a"), cell(app, "bid_b"))
        assert cell(app, "fund_a").endswith("%") and "h" in cell(app, "next")
        await advance_until(pilot, two, lambda: (cell(app, "bid_a"), cell(app, "bid_b")) != first, "a change")
        await advance_until(pilot, two, shows_store, "the pane following the store")


async def test_rejected_leg_is_leg_risk_and_unwind_leaves_both_venues_flat(
    two: TwoVenues, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(order: Any) -> Any:
        raise Rejected(REJECT_CODE, "injected: ab not enough for new order", endpoint="place")

    app = TradeConsoleApp(two.engine, two.settings, clock=two.clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_pane(pilot, app, two)
        monkeypatch.setattr(two.b, "place", refuse)
        await send_pair(pilot, app, two, "0.01")
        pair = app.crossvenue.desk.latest(A)
        assert pair is not None
        await advance_until(pilot, two, lambda: pair.state == PairState.LEG_RISK, "leg risk")
        assert cell(app, "pair") == "LEG RISK u/m" and pair.note.startswith(f"LEG RISK {B}")
        assert any("LEG RISK" in str(n.message) for n in app._notifications)
        assert any("LEG RISK" in line for line in app.main.log_pane.history)
        assert two.size(two.a) == D("0.01") and two.size(two.b) == 0

        await pilot.press("u")
        await advance_until(pilot, two, lambda: pair.state == PairState.UNWOUND, "unwound")
        assert two.size(two.a) == 0 and two.size(two.b) == 0
        assert "unwound" in cell(app, "pair")


async def test_unfilled_leg_is_leg_risk_and_complete_fills_both(two: TwoVenues) -> None:
    app = TradeConsoleApp(two.engine, two.settings, clock=two.clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_pane(pilot, app, two)
        await pilot.press("P")
        await pilot.press("ctrl+l")  # limit at the touch: the sell leg's bid, then moved away below
        assert isinstance(app.screen, PairedTicket)
        screen = app.screen
        await pilot.press(*"0.01")
        ticket = screen.ticket()
        assert ticket.sell_price is not None
        # the sell leg rests 2% above its market: it does not fill before the leg timeout
        monkey_ticket = type(ticket)(
            ticket.asset, ticket.buy_symbol, ticket.sell_symbol, ticket.qty, ticket.order_type,
            ticket.buy_price, (ticket.sell_price * D("1.02")).quantize(D("0.1")),
        )  # fmt: skip
        screen.dismiss(monkey_ticket)
        await advance_until(pilot, two, lambda: app.crossvenue.desk.latest(A) is not None, "sent")
        pair = app.crossvenue.desk.latest(A)
        assert pair is not None
        await advance_until(
            pilot, two, lambda: pair.state == PairState.LEG_RISK, "leg risk after the timeout"
        )
        assert cell(app, "pair").startswith("LEG RISK") and "not filled in time" in pair.note
        await pilot.press("m")
        await advance_until(pilot, two, lambda: pair.state == PairState.DONE, "completed")
        assert two.size(two.a) == D("0.01") and two.size(two.b) == D("0.01")
