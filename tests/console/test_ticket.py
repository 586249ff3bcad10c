"""The order ticket on the deterministic fake engine: bursts of keys, strict numbers, Enter from every
field, the market followed while it is open, a venue's late refusal as a toast, and 80x24."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from textual.widgets import Input, Static

from console.app import TradeConsoleApp
from console.screens.ticket import OrderTicket
from core.events import OrderUpdated
from core.model import BookView, Order, OrderRequest, OrderStatus, OrderType, Side, TimeInForce
from tests.support.console_fakes import fake, make_app
from tests.support.console_types import SIZE, Burst
from widgets.choice import Choice


def _text(app: TradeConsoleApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def _value(app: TradeConsoleApp, selector: str) -> str:
    return app.screen.query_one(selector, Input).value


def _places(app: TradeConsoleApp) -> list[OrderRequest]:
    return [c[1] for c in fake(app).calls if c[0] == "place"]


# --- defect 2: a burst lands in the fields it was typed for ------------------------------------
async def test_burst_after_the_opening_key_lands_in_the_right_fields(burst: Burst) -> None:
    """Regression: after ``s``, ``0.1<Tab><Tab><C-u>95000`` left qty ``0.195000``."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await burst(pilot, "s", "0", "full_stop", "1", "tab", "tab", "ctrl+u", "9", "5", "0", "0", "0")
        assert isinstance(app.screen, OrderTicket)
        assert _value(app, "#t-qty") == "0.1"
        assert _value(app, "#t-price") == "95000"


async def test_typing_into_a_prefilled_field_replaces_it(burst: Burst) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await burst(pilot, "b", "0", "full_stop", "2", "tab", "tab", "4", "9", "0", "0", "0", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen is app.main, "the burst's Enter sent the order"
        (req,) = _places(app)
        assert req.side is Side.BUY and req.qty == Decimal("0.2") and req.price == Decimal("49000")


async def test_a_burst_into_tp_and_sl_then_enter_sends_what_was_typed(burst: Burst) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        keys = ["b", "1", "tab", "tab", "tab"]  # qty → unit → price → TP (trigger is disabled: skipped)
        keys += ["5", "2", "0", "0", "0", "tab", "4", "8", "0", "0", "0", "enter"]
        await burst(pilot, *keys)
        await app.workers.wait_for_complete()
        (req,) = _places(app)
        assert (req.qty, req.take_profit, req.stop_loss) == (Decimal("1"), Decimal("52000"), Decimal("48000"))


# --- defect 1: a decimal comma is refused in place ---------------------------------------------
async def test_decimal_comma_is_refused_in_place_and_nothing_is_sent(burst: Burst) -> None:
    """Regression: qty ``0,01`` became 1 contract and showed READY."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await burst(pilot, "b", "0", "comma", "0", "1")
        ticket = app.screen
        assert isinstance(ticket, OrderTicket)
        assert ticket.request is None
        assert "use . as the decimal point" in _text(app, "#ticket-error")
        assert "READY" not in _text(app, "#ticket-preview")
        await burst(pilot, "enter")
        assert app.screen is ticket and not _places(app)
        assert "not sent" in _text(app, "#ticket-error")


# --- defect 9: Enter sends from every field; Space toggles a flag ------------------------------
async def test_enter_sends_from_every_field_and_space_toggles_flags(burst: Burst) -> None:
    """Regression: Enter on the post-only box unticked it and sent nothing."""
    for tabs in range(8):  # qty, unit, price, TP, SL, reduce-only, post-only, type
        app = make_app()
        async with app.run_test(size=SIZE) as pilot:
            await burst(pilot, "b", "0", "full_stop", "1", *["tab"] * tabs)
            ticket = app.screen
            assert isinstance(ticket, OrderTicket)
            focused = type(app.focused).__name__
            await burst(pilot, "enter")
            await app.workers.wait_for_complete()
            assert app.screen is app.main, f"Enter on {focused} (after {tabs} tabs) did not send"
            (req,) = _places(app)
            assert req.qty == Decimal("0.1")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await burst(pilot, "b", "0", "full_stop", "1", *["tab"] * 6, "space", "enter")
        await app.workers.wait_for_complete()
        (req,) = _places(app)
        assert req.time_in_force is TimeInForce.POST_ONLY, "Space ticked post-only, Enter kept it"


async def test_enter_on_a_choice_sends(burst: Burst) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await burst(pilot, "b", "0", "full_stop", "1", "tab", "right", "left", "enter")
        await app.workers.wait_for_complete()
        (req,) = _places(app)
        assert req.qty == Decimal("0.1")


# --- defect 7: the ticket follows the market; late venue refusals are toasts -------------------
async def test_open_ticket_follows_the_market_without_touching_fields(burst: Burst) -> None:
    app = make_app()
    eng = fake(app)
    async with app.run_test(size=SIZE) as pilot:
        await burst(pilot, "b", "2")
        ticket = app.screen
        assert isinstance(ticket, OrderTicket)
        assert ticket.ref_price == Decimal("50000.0")
        price_before = _value(app, "#t-price")
        t = eng.store.ticker("BTCUSDT")
        assert t is not None
        eng.store.put_ticker(replace(t, mark_price=Decimal("51000.0"), last_price=Decimal("51000.0")))
        book = eng.store.book("BTCUSDT")
        assert book is not None
        eng.store.put_book(
            BookView("BTCUSDT", book.bids, book.asks, update_id=9, seq=9, ts_ms=book.ts_ms + 1)
        )
        app.refresh_ui(force=True)
        await pilot.pause()
        assert ticket.ref_price == Decimal("51000.0")
        assert "ref 51,000.0" in str(ticket.query_one("#ticket-title").render())
        assert _value(app, "#t-price") == price_before and _value(app, "#t-qty") == "2"


async def test_a_venue_cancel_after_acceptance_is_a_toast() -> None:
    app = make_app()
    eng = fake(app)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        order = Order(
            "BTCUSDT", Side.BUY, OrderType.LIMIT, Decimal("0.01"), Decimal("50010"), "tc-po-1",
            order_id="o-9", status=OrderStatus.CANCELLED, time_in_force=TimeInForce.POST_ONLY,
            reject_reason="EC_PostOnlyWillTakeLiquidity",
        )  # fmt: skip
        eng.store.put_event(OrderUpdated(eng.clock.now_ms(), order), wake=True)
        app.refresh_ui(force=True)
        await pilot.pause()
        notes = [n.message for n in app._notifications]
        assert any("post-only would have taken liquidity" in n and "tc-po-1" in n for n in notes), notes


# --- risk sizing in the ticket ------------------------------------------------------------------
async def test_risk_size_mode_computes_the_quantity_from_the_stop(burst: Burst) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await burst(pilot, "b", "1", "0", "0", "tab", "right", "right", "tab", "tab", "tab")
        ticket = app.screen
        assert isinstance(ticket, OrderTicket)
        assert ticket.query_one("#t-unit", Choice).value == "risk"
        assert "SL: required for risk sizing" in _text(app, "#ticket-error")
        await burst(pilot, "4", "9", "0", "0", "0")
        assert ticket.request is not None
        assert ticket.request.stop_loss == Decimal("49000")
        # 100 USDT over (49999.5 - 49000) + fees on both sides, rounded down to 0.001
        assert ticket.request.qty == Decimal("0.094")
        assert "risk 100.00 USDT at SL 49,000.0 → 0.094" in _text(app, "#ticket-error")
        await burst(pilot, "enter")
        await app.workers.wait_for_complete()
        (req,) = _places(app)
        assert req.qty == Decimal("0.094") and req.stop_loss == Decimal("49000")


# --- 80x24 ------------------------------------------------------------------------------------
async def test_the_ticket_fits_80x24(burst: Burst) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await burst(pilot, "b", "0", "full_stop", "0", "1", "5")
        ticket = app.screen
        assert isinstance(ticket, OrderTicket)
        await pilot.pause()
        app.save_screenshot("ticket_80x24.svg", path="/tmp")
        box = ticket.query_one(".ticket-box")
        assert box.region.bottom <= 24 and box.region.right <= 80
        preview = ticket.query_one("#ticket-preview", Static)
        lines = str(preview.render()).splitlines()
        assert preview.size.height >= len(lines), "the preview is cut"
        assert any(line.startswith(("READY", "BLOCKED")) for line in lines)
        hint = ticket.query_one(".modal-hint")
        assert hint.region.bottom <= box.region.bottom
