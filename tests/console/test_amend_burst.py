"""The amend box under key bursts (defect 2) and for stop orders (defect 5), on the fake engine.

``burst`` hands every key to the driver at once, with no pause between them (as a paste, a key
macro or a laggy SSH link delivers them), the key that opens the box included."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from textual.widgets import Input

from console.screens.amend import AmendScreen
from core.events import OrderUpdated
from core.model import FALLING, OrderStatus, OrderType
from tests.support.console_fakes import amends, fake, make_app
from tests.support.console_types import SIZE, Burst, SelectOrder

D = Decimal


async def test_burst_ctrl_u_then_digits_replaces_the_price(burst: Burst, select_order: SelectOrder) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await select_order(pilot, app, "tc-0001")  # Buy 0.100 BTCUSDT @ 49995.5
        await burst(pilot, "a", "ctrl+u", "4", "9", "9", "0", "0", "enter")
        assert amends(app) == [("tc-0001", None, D("49900"))]
        assert not isinstance(app.screen, AmendScreen)


async def test_burst_typing_replaces_the_selected_prefill(burst: Burst, select_order: SelectOrder) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await select_order(pilot, app, "tc-0001")
        await burst(pilot, "a", "4", "9", "9", "8", "0", ".", "5", "enter")
        assert amends(app) == [("tc-0001", None, D("49980.5"))]


async def test_burst_tab_reaches_the_qty_field(burst: Burst, select_order: SelectOrder) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await select_order(pilot, app, "tc-0001")
        await burst(pilot, "a", "tab", "0", ".", "2", "enter")
        assert amends(app) == [("tc-0001", D("0.2"), None)]


async def test_decimal_comma_is_refused_in_place(burst: Burst, select_order: SelectOrder) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await select_order(pilot, app, "tc-0001")
        await burst(pilot, "a", "tab", "0", ",", "2", "enter")
        screen = app.screen
        assert isinstance(screen, AmendScreen)
        assert "use . as the decimal point" in screen.error
        assert screen.query_one("#amend-qty", Input).value == "0,2"
        assert amends(app) == []


async def test_stop_market_offers_trigger_and_qty_never_the_protection_price(
    burst: Burst, select_order: SelectOrder
) -> None:
    app = make_app()
    eng = fake(app)
    async with app.run_test(size=SIZE) as pilot:
        stop = replace(
            eng.orders["tc-0002"],
            order_type=OrderType.MARKET,
            price=D("47502.5"),  # the venue's hidden slippage-protection price
            trigger_price=D("49000.0"),
            trigger_direction=FALLING,
            status=OrderStatus.UNTRIGGERED,
        )
        eng.orders["tc-0002"] = stop
        eng.store.put_event(OrderUpdated(eng.clock.now_ms(), stop))
        app.refresh_ui(force=True)
        await select_order(pilot, app, "tc-0002")
        await burst(pilot, "a")
        screen = app.screen
        assert isinstance(screen, AmendScreen)
        assert not screen.query("#amend-price")
        assert screen.query_one("#amend-trigger", Input).value == "49000.0"
        assert "47502.5" not in str(screen.query_one("#amend-title").render())
        assert "when <= 49000.0" in str(screen.query_one("#amend-title").render())
        await burst(pilot, "ctrl+u", "4", "8", "9", "0", "0", "enter")
        assert amends(app) == [("tc-0002", None, None, D("48900"))]


async def test_unchanged_fields_are_not_sent(burst: Burst, select_order: SelectOrder) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await select_order(pilot, app, "tc-0001")
        await burst(pilot, "a", "enter")
        screen = app.screen
        assert isinstance(screen, AmendScreen) and "nothing changed" in screen.error
        await burst(pilot, "escape")
        assert amends(app) == []
