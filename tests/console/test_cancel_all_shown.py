"""Cancel-all cancels what the screen counted: an order placed between the preview (the command
line's ``:cancel all`` or the ``C`` confirmation) and Enter / ``y`` refuses it unsent and says the
new count, and the engine itself refuses a cancel-all whose shown set is no longer the open set."""

from __future__ import annotations

from decimal import Decimal

from textual.pilot import Pilot
from textual.widgets import Static

from console.screens.cmdline import CommandLine
from console.screens.modals import ConfirmScreen
from core.model import OrderRequest, Side
from core.sim.runner import SimVenueThread
from tests.support.console_fakes import fake, make_app
from tests.support.console_types import SIZE, SYM, Keys, OnSim, WaitUntil
from tests.support.engine_types import VenueRows
from tests.support.sim_console import off_mark
from widgets.log_pane import EventLog


def summary(app: object) -> str:
    return str(app.screen.query_one("#cmd-summary", Static).render())  # type: ignore[attr-defined]


async def settle(pilot: Pilot[int]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def cancels(app: object) -> list[tuple[str, object]]:
    return [c for c in fake(app).calls if c[0].startswith("cancel_all")]  # type: ignore[arg-type]


ANOTHER = OrderRequest("BTCUSDT", Side.BUY, Decimal("0.01"), price=Decimal("45000"))


async def test_command_line_refuses_when_an_order_appeared_since_the_preview(keys: Keys) -> None:
    app = make_app()
    eng = fake(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*keys(":cancel all"))
        screen = app.screen
        assert isinstance(screen, CommandLine) and screen._timer is not None
        screen._timer.pause()  # the preview stays as shown until Enter (no re-plan tick in between)
        shown = summary(app)
        n = len([o for o in eng.account().orders.values() if o.is_open])
        assert shown == f"Enter: CANCEL ALL {n} working order(s) on every symbol"
        await eng.place(ANOTHER)  # e.g. a strategy's order, placed while the preview is up
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen, "Enter refuses: the set is not what the screen showed"
        assert cancels(app) == []
        assert "not sent — orders changed since shown (1 new)" in summary(app)
        assert f"{n + 1} open now, not {n}" in summary(app)
        assert isinstance(screen, CommandLine) and screen.plan is not None
        assert f"CANCEL ALL {n + 1} " in screen.plan.summary
        await pilot.press("enter")  # the new count is on screen now: Enter cancels those
        await settle(pilot)
        assert cancels(app) == [("cancel_all", None)]


async def test_cancel_all_key_refuses_at_y_when_an_order_appeared(keys: Keys) -> None:
    app = make_app()
    eng = fake(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("C")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await eng.place(ANOTHER)
        await pilot.press("y")
        await settle(pilot)
        assert cancels(app) == []
        log = app.main.query_one(EventLog).history
        said = "cancel all not sent: orders changed since shown (1 new)"
        assert any(said in line for line in log), log[-3:]
        await pilot.press("C")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert cancels(app) == [("cancel_all", None)]


async def test_the_engine_refuses_a_cancel_all_whose_shown_set_changed(
    sim_venue: SimVenueThread,
    wait_until: WaitUntil,
    console_on_sim: OnSim,
    venue_open_orders: VenueRows,
) -> None:
    async with console_on_sim() as (app, engine, pilot):
        price = off_mark(engine, "0.97")
        placed = await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.01"), price=price))
        assert placed.ok, placed.message
        refused = await engine.cancel_all(expect=frozenset())  # shown: none; one is open now
        assert not refused.ok and "1 new" in refused.message and "nothing cancelled" in refused.message
        assert [o["orderLinkId"] for o in venue_open_orders(sim_venue)] == [placed.order_link_id]
        assert placed.order_link_id is not None
        done = await engine.cancel_all(expect=frozenset({placed.order_link_id}))
        assert done.ok, done.message
        await wait_until(pilot, lambda: venue_open_orders(sim_venue) == [], "the venue to be empty")
