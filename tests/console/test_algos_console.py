"""Algos in the console on the deterministic fake engine (real algo classes validate the params):
the command line previews and starts an algo only on Enter, the algo ticket takes a burst of keys
into the right fields and starts only what its preview allows, the pane shows every algo and its
keys pause / resume / cancel (cancel asks first), the panic modal counts the running algos, and the
pane fits at 80x24 (toggled in place of the orders), 100x30 and 160x50."""

from __future__ import annotations

from decimal import Decimal

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from console.algo_actions import plan_lines
from console.app import TradeConsoleApp
from console.screens.algo_ticket import AlgoTicket
from console.screens.cmdline import CommandLine
from console.screens.modals import ConfirmScreen
from console.screens.panic import PanicScreen
from tests.support.console_fakes import fake, make_app
from tests.support.console_types import SIZE, Burst, Keys
from widgets.algos import progress_bar


def starts(app: TradeConsoleApp) -> list[tuple[str, dict[str, object]]]:
    out: list[tuple[str, dict[str, object]]] = []
    for name, args in fake(app).calls:
        if name == "start_algo":
            assert isinstance(args, tuple)
            out.append(args)
    return out


async def settle(pilot: Pilot[int]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    pilot.app.refresh_ui()  # type: ignore[attr-defined]
    await pilot.pause()


def pane_rows(app: TradeConsoleApp) -> list[str]:
    return [str(k.value) for k in app.main.algos.rows]


async def test_command_line_previews_a_twap_and_starts_it_only_on_enter(keys: Keys) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*keys(":twap buy 2 30m x12 limit 50500"))
        screen = app.screen
        assert isinstance(screen, CommandLine)
        assert screen.plan is not None and screen.plan.ready, screen.plan
        assert str(screen.query_one("#cmd-summary", Static).render()).startswith("Enter: START twap")
        assert starts(app) == []
        await pilot.press("enter")
        await settle(pilot)
        ((kind, params),) = starts(app)
        assert kind == "twap"
        assert params["qty"] == "2" and params["slices"] == 12 and params["duration_ms"] == 1_800_000
        assert params["limit_price"] == "50500" and params["symbol"] == "BTCUSDT"
        assert pane_rows(app) == ["a1"]
        assert app.main.algos.display


async def test_command_line_refuses_garbage_in_place(keys: Keys) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*keys(":twap buy 2 30x"), "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CommandLine)
        assert screen.plan is not None and not screen.plan.ready
        assert "unknown word" in screen.plan.error and "usage" in screen.plan.error.lower()
        assert starts(app) == []


async def test_algo_ticket_burst_lands_in_the_fields_and_enter_starts(keys: Keys, burst: Burst) -> None:
    """``A`` then the quantity, Tab, duration, Tab, slices arriving in one burst from the terminal:
    each lands in its field, and Enter starts exactly that."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await burst(pilot, "A", *keys("0.5"), "tab", *keys("10m"), "tab", *keys("5"), "enter")
        await settle(pilot)
        ((kind, params),) = starts(app)
        assert kind == "twap"
        assert (params["qty"], params["duration_ms"], params["slices"]) == ("0.5", 600_000, 5)
        assert not isinstance(app.screen, AlgoTicket)


async def test_algo_ticket_scale_preview_lists_every_child_and_blocks_bad_input(keys: Keys) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("A", "ctrl+n", "ctrl+n")  # twap -> chase -> scale
        ticket = app.screen
        assert isinstance(ticket, AlgoTicket) and ticket.kind == "scale"
        await pilot.press(*keys("1"), "tab", *keys("49000"), "tab", *keys("49500"), "tab", *keys("5"))
        await pilot.pause()
        assert ticket.preview is not None and ticket.preview.ok, ticket.error
        assert len(ticket.preview.children) == 5
        text = str(ticket.w_preview.render())
        assert text.count("✔ L") == 5 and "READY" in text
        ticket.w_fields[0].value = "49,000"
        await pilot.pause()
        assert ticket.algo is None and "use . as the decimal point" in ticket.error
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, AlgoTicket) and starts(app) == []
        await pilot.press("escape")


async def _with_algo(pilot: Pilot[int], app: TradeConsoleApp, keys: Keys) -> None:
    await pilot.press(*keys(":chase buy 0.1 max 0.5%"), "enter")
    await settle(pilot)
    assert pane_rows(app) == ["a1"]
    app.main.algos.focus()
    await pilot.pause()


async def test_pane_keys_pause_resume_and_cancel_after_confirming(keys: Keys) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _with_algo(pilot, app, keys)
        await pilot.press("p")
        await settle(pilot)
        assert fake(app).algo_list["a1"].state == "paused"
        await pilot.press("r")
        await settle(pilot)
        assert fake(app).algo_list["a1"].state == "running"
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert fake(app).algo_list["a1"].state == "running"
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert fake(app).algo_list["a1"].state == "cancelled"
        cells = app.main.algos.get_row("a1")
        assert any("cancelled" in str(c) for c in cells)


async def test_panic_modal_counts_the_running_algos(keys: Keys) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _with_algo(pilot, app, keys)
        await pilot.press("escape")
        app.main.set_focus(None)
        await pilot.press("ctrl+k")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PanicScreen)
        assert screen.n_algos == 1


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
async def test_compact_sizes_show_the_pane_in_place_of_the_orders(keys: Keys, size: tuple[int, int]) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await pilot.press(*keys(":chase buy 0.1"), "enter")
        await settle(pilot)
        algos, orders = app.main.algos, app.main.orders
        assert not algos.display and orders.display
        await pilot.press("5")
        await pilot.pause()
        assert algos.display and not orders.display
        assert algos.region.height >= 3 and algos.region.right <= size[0]
        await pilot.press("5")
        await pilot.pause()
        assert not algos.display and orders.display


def test_progress_bar() -> None:
    assert progress_bar(Decimal(0), Decimal(2)) == "░░░░░░░░░░   0%"
    assert progress_bar(Decimal(1), Decimal(2)) == "█████░░░░░  50%"
    assert progress_bar(Decimal("1.99"), Decimal(2)).startswith("█████████░")
    assert progress_bar(Decimal(2), Decimal(2)) == "██████████ 100%"


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
async def test_algo_ticket_fits_compact_terminals(keys: Keys, size: tuple[int, int]) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await pilot.press("A", *keys("1"), "tab", *keys("30m"))
        await pilot.pause()
        ticket = app.screen
        assert isinstance(ticket, AlgoTicket)
        box = ticket.query_one(".algo-box").region
        assert box.right <= size[0] and box.bottom <= size[1]
        for widget in (ticket.w_qty, ticket.w_fields[0], ticket.w_preview, ticket.w_error):
            assert widget.region.height >= 1 and widget.region.right <= size[0]
        assert ticket.preview is not None and ticket.preview.ok, ticket.error


async def test_bracket_preview_shows_the_entry_and_its_exits(keys: Keys) -> None:
    """The engine previews the entry (the exits come as it fills); the plan names every exit."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*keys(":bracket buy 0.1 @ 49000 tp 1%,2% sl -1%"))
        screen = app.screen
        assert isinstance(screen, CommandLine)
        plan = screen.plan
        assert plan is not None and plan.ready, plan
        detail = plan.detail
        assert "TP 1 49,490.0 x 50% · TP 2 49,980.0 x 50% · SL 48,510.0 on mark" in detail
        preview = plan.algo_preview
        assert preview is not None and [c.tag for c in preview.children] == ["entry"]
        await pilot.press("escape")
        assert starts(app) == []


def test_plan_lines_say_what_comes_after_the_first_orders() -> None:
    twap = {
        "symbol": "BTCUSDT",
        "side": "Buy",
        "qty": "2",
        "duration_ms": 1_800_000,
        "slices": 12,
        "mode": "taker",
    }
    assert plan_lines("twap", twap) == ["12 slice(s) of ~0.166667 every 150s, taker"]
    level = {"kind": "price", "symbol": "BTCUSDT", "op": "above", "level": "96000"}
    order = {"symbol": "BTCUSDT", "side": "Buy", "qty": "0.1", "order_type": "market"}
    cond = {"symbol": "BTCUSDT", "condition": level, "order": order}
    (line,) = plan_lines("cond", cond)
    assert line.startswith("waits for: ") and "96000" in line and line.endswith("then Buy 0.1 at market")
    assert plan_lines("twap", {"qty": "x"}) == []


async def test_algo_keys_are_remappable_by_id(keys: Keys) -> None:
    app = make_app(keys={"algo_pause": "P", "algo_ticket": "T"})
    async with app.run_test(size=SIZE) as pilot:
        await _with_algo(pilot, app, keys)
        assert (
            "P" in app.screen.active_bindings and app.screen.active_bindings["P"].binding.id == "algo_pause"
        )
        await pilot.press("P")
        await settle(pilot)
        assert fake(app).algo_list["a1"].state == "paused"
        app.main.set_focus(None)
        await pilot.press("T")
        await pilot.pause()
        assert isinstance(app.screen, AlgoTicket)


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("when mark >= 51000 buy 0.1", "cond"),
        ("trail 0.5% from 51000", "trail"),
        ("iceberg sell 1 @ +0.1% show 0.2", "iceberg"),
    ],
)
async def test_other_verbs_preview_and_start_on_enter(keys: Keys, line: str, kind: str) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(":")
        screen = app.screen
        assert isinstance(screen, CommandLine)
        screen.input.value = line
        await pilot.pause()
        plan = screen.plan
        assert plan is not None and plan.ready and plan.algo is not None, plan
        assert plan.algo.kind == kind
        await pilot.press("enter")
        await settle(pilot)
        ((started, params),) = starts(app)
        assert started == kind and params == plan.algo.params
        assert pane_rows(app) == ["a1"]
