"""Keys typed after the Enter that sends, in the same burst (issue 9, defect 2; invariant 7).

The burst ``b 0.01 Enter s 0.02 Enter`` must send the buy, then open the sell ticket and send the
sell; ``:buy … Enter :sell … Enter`` likewise. The key gate waits for each key's marker; on a loaded
machine a round trip took longer than the gate's fixed give-up time (530 ms measured for the
Enter that sends), and the keys typed after the Enter were then forwarded to the closing ticket:
lost, and a digit could land in the field before the Enter's binding read it. These tests make
every round trip slower than the gate's look interval (``_timeout_s``), as that machine did: the
gate must wait for a slow marker, never overtake it.
"""

from __future__ import annotations

from decimal import Decimal

from console.screens.main import MainScreen
from core.model import Side
from core.sim.runner import SimVenueThread
from tests.support.console_fakes import amends, fake, make_app
from tests.support.console_types import SIZE, SYM, Burst, Keys, OnSim, SelectOrder, WaitUntil
from tests.support.engine_types import VenueRows

D = Decimal
LOADED_S = 1e-3
"""The gate looks at its marker this often: every round trip takes longer (a loaded machine)."""


def _prices(mark: Decimal) -> tuple[Decimal, Decimal]:
    """A bid 2 % under and an ask 2 % over the mark: both orders rest on the venue."""
    tick = D("0.1")
    return (mark * D("0.98")).quantize(tick), (mark * D("1.02")).quantize(tick)


def _book(rows: list[dict[str, str]]) -> list[tuple[str, Decimal, Decimal]]:
    return sorted((o["side"], D(o["qty"]), D(o["price"])) for o in rows)


async def test_keys_after_the_ticket_enter_open_and_fill_the_next_ticket(
    sim_venue: SimVenueThread,
    wait_until: WaitUntil,
    console_on_sim: OnSim,
    burst: Burst,
    keys: Keys,
    venue_open_orders: VenueRows,
) -> None:
    async with console_on_sim() as (app, engine, pilot):
        app.key_gate._timeout_s = LOADED_S
        bid, ask = _prices(engine.store.ticker(SYM).mark_price)  # type: ignore[union-attr]
        # qty, two Tabs to the price, Ctrl-U, the price, Enter — then the sell ticket the same way
        buy = ["b", *keys("0.01"), "tab", "tab", "ctrl+u", *keys(str(bid)), "enter"]
        sell = ["s", *keys("0.02"), "tab", "tab", "ctrl+u", *keys(str(ask)), "enter"]
        await burst(pilot, *buy, *sell)
        await wait_until(pilot, lambda: len(venue_open_orders(sim_venue)) == 2, "both orders on the venue")
        assert _book(venue_open_orders(sim_venue)) == [("Buy", D("0.01"), bid), ("Sell", D("0.02"), ask)]
        assert isinstance(app.screen, MainScreen)
        assert app.key_gate.stalls == 0 and app.key_gate.waits > 0


async def test_keys_after_the_command_line_enter_reach_the_next_command_line(
    sim_venue: SimVenueThread,
    wait_until: WaitUntil,
    console_on_sim: OnSim,
    burst: Burst,
    keys: Keys,
    venue_open_orders: VenueRows,
) -> None:
    async with console_on_sim() as (app, engine, pilot):
        app.key_gate._timeout_s = LOADED_S
        bid, ask = _prices(engine.store.ticker(SYM).mark_price)  # type: ignore[union-attr]
        await burst(pilot, *keys(f":buy 0.01 @ {bid}"), "enter", *keys(f":sell 0.01 @ {ask}"), "enter")
        await wait_until(pilot, lambda: len(venue_open_orders(sim_venue)) == 2, "both orders on the venue")
        assert _book(venue_open_orders(sim_venue)) == [("Buy", D("0.01"), bid), ("Sell", D("0.01"), ask)]
        assert isinstance(app.screen, MainScreen)


async def test_a_digit_typed_after_enter_never_changes_the_order_sent(burst: Burst) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.key_gate._timeout_s = LOADED_S
        await burst(pilot, "b", "0", "full_stop", "0", "1", "enter", "9")
        placed = [c[1] for c in fake(app).calls if c[0] == "place"]
        assert [(r.side, r.qty) for r in placed] == [(Side.BUY, D("0.01"))]
        assert isinstance(app.screen, MainScreen)


async def test_keys_after_the_amend_enter_reach_the_next_box_and_ticket(
    burst: Burst, select_order: SelectOrder
) -> None:
    # The amend box is removed when it closes: a marker inside it goes with it, and the gate
    # re-sends one through the screen that is current, so the next key still waits for it.
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await select_order(pilot, app, "tc-0001")  # Buy 0.100 BTCUSDT @ 49995.5
        app.key_gate._timeout_s = LOADED_S
        amend = ["a", "ctrl+u", "4", "9", "9", "0", "0", "enter"]
        again = ["a", "ctrl+u", "4", "9", "8", "0", "0", "enter"]
        await burst(pilot, *amend, *again, "s", "0", "full_stop", "0", "2", "enter")
        calls = fake(app).calls
        assert amends(app) == [("tc-0001", None, D("49900")), ("tc-0001", None, D("49800"))]
        assert [(c[1].side, c[1].qty) for c in calls if c[0] == "place"] == [(Side.SELL, D("0.02"))]
        assert isinstance(app.screen, MainScreen)
