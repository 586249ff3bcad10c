"""The order ticket against the real engine on a running sim venue (pybit over loopback): what the
preview shows is what the venue gets — rounding, what a stop closes, closing orders, post-only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from console.app import TradeConsoleApp
from console.screens.ticket import OrderTicket
from core.model import OrderRequest, Side, TimeInForce
from core.sim.runner import SimVenueThread
from tests.support.console_types import SIZE, SYM, AppReady, Burst, OnSim, RealApp, WaitUntil
from tests.support.engine_types import VenueRows
from tests.support.sim_console import off_mark


def _preview_text(ticket: OrderTicket) -> str:
    """The preview column and the full-width notes under it."""
    parts = (ticket.query_one(sel, Static).render() for sel in ("#ticket-preview", "#ticket-notes"))
    return "\n".join(str(p) for p in parts)


OpenLong = Callable[[Pilot[int], TradeConsoleApp, SimVenueThread, str], Awaitable[None]]


@pytest.fixture
def open_long(burst: Burst, wait_until: WaitUntil, venue_positions: VenueRows) -> OpenLong:
    """A market buy through the ticket; waits for the position on the venue and in the engine."""

    async def buy(pilot: Pilot[int], app: TradeConsoleApp, sim: SimVenueThread, qty: str) -> None:
        await burst(pilot, "b", *qty, "shift+tab", "right", "enter")  # qty, type Limit → Market, send
        await wait_until(pilot, lambda: venue_positions(sim) != [], "the long on the venue")
        await wait_until(pilot, lambda: SYM in app.engine.account().positions, "the long in the engine")

    return buy


async def test_rounded_qty_is_said_and_exactly_that_is_sent(
    sim_venue: SimVenueThread,
    wait_until: WaitUntil,
    console_on_sim: OnSim,
    burst: Burst,
    venue_open_orders: VenueRows,
) -> None:
    """Regression: qty 0.0015 showed READY and 0.001 was sent without a word."""
    async with console_on_sim() as (app, engine, pilot):
        price = str(off_mark(engine, "0.97"))
        await burst(pilot, "b", *"0.0015", "tab", "tab", *price, "5")  # one digit past the tick
        ticket = app.screen
        assert isinstance(ticket, OrderTicket)
        assert ticket.preview is not None and ticket.preview.allowed
        text = _preview_text(ticket)
        assert "qty 0.0015 → 0.001 (step 0.001, rounded down)" in text
        assert f"price {price}5 → {price} (tick 0.1, rounded down for a buy)" in text
        assert f"sends      0.001 @ {Decimal(price):,}" in text
        await burst(pilot, "enter")
        await wait_until(pilot, lambda: len(venue_open_orders(sim_venue)) == 1, "the order on the venue")
        (on_venue,) = venue_open_orders(sim_venue)
        assert Decimal(on_venue["qty"]) == ticket.preview.qty == Decimal("0.001")
        assert Decimal(on_venue["price"]) == ticket.preview.price == Decimal(price)


async def test_a_stop_added_to_a_position_is_previewed_for_the_whole_position(
    sim_venue: SimVenueThread,
    wait_until: WaitUntil,
    console_on_sim: OnSim,
    burst: Burst,
    venue_positions: VenueRows,
    open_long: OpenLong,
) -> None:
    """Regression: the preview showed the loss for the new quantity while the venue applies the
    order's SL to the whole position (preview 1.22, real about 10 USDT)."""
    async with console_on_sim() as (app, engine, pilot):
        await open_long(pilot, app, sim_venue, "0.02")
        pos = engine.state.positions[SYM]
        sl = str((pos.entry_price * Decimal("0.98")).quantize(Decimal("0.1")))
        await burst(pilot, "b", *"0.01", "tab", "tab", "tab", "tab", *sl, "shift+tab", "shift+tab")
        await burst(pilot, "shift+tab", "shift+tab", "shift+tab", "right")  # type → Market
        ticket = app.screen
        assert isinstance(ticket, OrderTicket)
        assert ticket.request is not None and ticket.request.stop_loss == Decimal(sl)
        p = ticket.preview
        assert p is not None and p.allowed, _preview_text(ticket)
        assert p.stop_qty == Decimal("0.030")
        text = _preview_text(ticket)
        assert "the whole position 0.030 (0.020 held + this 0.010)" in text
        assert f"loss@stop  {p.loss_at_stop:,.2f} USDT on 0.030" in text
        held_loss = Decimal("0.02") * (pos.entry_price - Decimal(sl))
        assert p.loss_at_stop is not None and p.loss_at_stop > held_loss
        await burst(pilot, "enter")
        # What the venue did: one position of 0.03 whose stop-loss is the order's.
        await wait_until(
            pilot,
            lambda: (
                [(Decimal(v["size"]), Decimal(v["stopLoss"] or 0)) for v in venue_positions(sim_venue)]
                == [(p.stop_qty, Decimal(sl))]
            ),
            "the venue's position with the order's SL",
        )


async def test_reduce_only_previews_margin_released_and_realised_pnl(
    sim_venue: SimVenueThread,
    console_on_sim: OnSim,
    burst: Burst,
    open_long: OpenLong,
) -> None:
    """Regression: a reduce-only order showed a new position's margin and liquidation price."""
    async with console_on_sim() as (app, engine, pilot):
        await open_long(pilot, app, sim_venue, "0.02")
        # sell 0.01 reduce-only at market: qty, then type → Market, then tick reduce-only
        await burst(pilot, "s", *"0.01", "shift+tab", "right", "shift+tab", "shift+tab", "space")
        ticket = app.screen
        assert isinstance(ticket, OrderTicket)
        assert ticket.request is not None and ticket.request.reduce_only
        p = ticket.preview
        assert p is not None and p.allowed, _preview_text(ticket)
        assert p.closing_qty == Decimal("0.010") and p.liq_price is None and p.initial_margin == 0
        assert p.margin_released is not None and p.margin_released > 0
        text = _preview_text(ticket)
        assert "margin ↓" in text and "est. rPnL" in text
        assert "liq price" not in text and "init marg" not in text


async def test_post_only_that_would_cross_is_refused_and_a_late_venue_cancel_is_a_toast(
    sim_venue: SimVenueThread,
    tmp_path: Path,
    wait_until: WaitUntil,
    app_ready: AppReady,
    make_real_app: RealApp,
    burst: Burst,
    venue_open_orders: VenueRows,
) -> None:
    app, engine = make_real_app(sim_venue, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await app_ready(pilot, app, engine)
        book = engine.store.book(SYM)
        assert book is not None and book.best_ask is not None
        through = (book.best_ask * Decimal("1.005")).quantize(Decimal("0.1"))  # well through the ask
        await burst(pilot, "b", *"0.01", "tab", "tab", "ctrl+u", *str(through))
        ticket = app.screen
        assert isinstance(ticket, OrderTicket)
        assert "crosses the spread: takes liquidity at taker fee" in _preview_text(ticket)
        await burst(pilot, "tab", "tab", "tab", "tab", "space")  # TP, SL, reduce-only, post-only
        assert ticket.request is not None and ticket.request.time_in_force is TimeInForce.POST_ONLY
        assert ticket.preview is not None and not ticket.preview.allowed, _preview_text(ticket)
        assert "EC_PostOnlyWillTakeLiquidity" in _preview_text(ticket)
        await burst(pilot, "enter")
        assert app.screen is ticket and venue_open_orders(sim_venue) == []
        await burst(pilot, "escape")
        # Sent anyway (the market moved after the preview): the venue accepts, then cancels it.
        app._ticket_done(
            OrderRequest(SYM, Side.BUY, Decimal("0.01"), price=through, time_in_force=TimeInForce.POST_ONLY)
        )
        await wait_until(
            pilot,
            lambda: any("post-only would have taken liquidity" in n.message for n in app._notifications),
            "the late refusal toast",
        )
