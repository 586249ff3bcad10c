"""The cross-venue pane and the paired ticket from the keyboard, on the real engine over the
composite venue whose two legs are in-process venues on virtual clocks (``BTCUSDT`` on the
primary, ``BTCUSDT.HL`` on the second): the pane shows both venues' quotes and follows the store;
``7`` shows it, ``P`` opens the ticket, the quantity and Enter send both legs through the risk
chain; an injected venue rejection of one leg is LEG RISK (row, toast, log); ``u`` unwinds and
both venues end flat; ``m`` completes and both legs are filled."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from console.app import TradeConsoleApp
from console.screens.paired import PairedTicket
from core.config import load_settings
from core.engine import Engine
from core.orders.paired import PairState
from core.resilience.errors import Rejected
from core.venues.multi.venue import MultiVenue
from core.venues.simulated import SimulatedVenue
from core.venues.simulated.venue import API_KEY
from tests.support.console_types import SIZE

D = Decimal
A, B = "BTCUSDT", "BTCUSDT.HL"
WALL_GUARD_S = 120.0
TICKS_PER_STEP = 5
REJECT_CODE = 110007
"""The code the injected rejection carries (Bybit's insufficient balance)."""


class TwoVenues:
    """Two in-process venues as the composite's legs, advanced together."""

    def __init__(self, tmp_path: Path) -> None:
        self.a = SimulatedVenue.prepared(seed=7, symbols=(A,))
        self.b = SimulatedVenue.prepared(seed=8, symbols=(A,))
        self.a.name, self.b.name = "bybit", "hyperliquid"  # the legs' names give the symbols' suffixes
        self.settings = load_settings(
            venue={"name": "multi", "legs": ["bybit", "hyperliquid"]},
            risk={"symbols": [A, B]},
            journal={"path": str(tmp_path / "journal.db")},
            metrics={"enabled": False},
            ui={"theme": "trade-dark", "default_symbol": A},
            crossvenue={"leg_timeout_s": 3},
        )
        self.engine = Engine(self.settings, clock=self.a.clock, venue=MultiVenue([self.a, self.b]))
        self.clock = self.a.clock

    def step(self) -> None:
        for _ in range(TICKS_PER_STEP):
            self.a.advance(self.a.tick_ms)
            self.b.advance(self.b.tick_ms)

    def size(self, leg: SimulatedVenue) -> Decimal:
        rows: Any = leg.exchange.position_list(API_KEY, {"category": "linear", "symbol": A})["list"]
        return D(rows[0]["size"])


@pytest.fixture
def two(tmp_path: Path) -> Iterator[TwoVenues]:
    yield TwoVenues(tmp_path)


async def advance_until(pilot: Pilot[int], two: TwoVenues, cond: Callable[[], bool], what: str) -> None:
    """Let market time pass on both venues (the console's loop runs between steps) until ``cond``."""
    wall_end = time.monotonic() + WALL_GUARD_S
    waited = 0
    while not cond():
        if waited > 600 or time.monotonic() > wall_end:
            raise AssertionError(f"{what}: not met")
        two.step()
        waited += 1
        await pilot.pause(0.002)


def cell(app: TradeConsoleApp, column: str) -> str:
    pane = app.main.crossvenue
    keys = pane.column_keys
    return pane.rows_shown[A][keys.index(column)][0]


async def open_pane(pilot: Pilot[int], app: TradeConsoleApp, two: TwoVenues) -> None:
    await advance_until(
        pilot,
        two,
        lambda: app.engine_started and all(two.engine.store.book(s) is not None for s in (A, B)),
        "both venues' books",
    )
    await pilot.press("7")
    assert app.main.crossvenue.display and app.main.crossvenue.has_focus
    await advance_until(pilot, two, lambda: A in app.main.crossvenue.rows_shown, "the BTCUSDT row")


async def send_pair(pilot: Pilot[int], app: TradeConsoleApp, two: TwoVenues, qty: str) -> None:
    await pilot.press("P")
    assert isinstance(app.screen, PairedTicket)
    await pilot.press(*qty)
    preview = str(app.screen.w_preview.render())
    shown = f"{D(qty):.3f}"  # the preview is the order after rounding to the step
    assert f"BUY {shown} {A} market" in preview and f"SELL {shown} {B} market" in preview
    assert preview.count("risk checks OK") == 2
    await pilot.press("enter")
    await advance_until(pilot, two, lambda: app.crossvenue.desk.latest(A) is not None, "the pair sent")


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
