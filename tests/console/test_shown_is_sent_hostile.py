"""What a box showed is what goes out, on the real engine and sim (keys in bursts, no pauses).

* ``x`` then ``y``: the close box showed a long and the share of it; the position changed before
  ``y`` (a fill from elsewhere flipped it short): nothing is sent, and the refusal says why
  (the engine used to close 50 % of the *new* short: a buy the screen never showed);
* ``:close 50%``: the same for the command line's preview; ``e`` (breakeven) the same when a fill
  moved the entry (the stop would not be the price shown);
* ``b 1 <Esc> b 0.002`` in one burst: the Escape closes the first ticket, the second gets 0.002
  (the key gate, and the terminal parser for the bytes ESC ``b``, ESC ``:``);
* ``a`` with an off-tick price, ``p`` with an off-tick stop: the box shows the value that will be
  sent after rounding to the tick, and says it was rounded, before Enter.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from textual import events
from textual._xterm_parser import XTermParser
from textual.pilot import Pilot
from textual.widgets import Input, Static

from console.app import TradeConsoleApp
from console.keygate import read_escape_then_character
from console.screens.amend import AmendScreen
from console.screens.cmdline import CommandLine
from console.screens.modals import ConfirmScreen
from console.screens.position_tools import CloseScreen, TpSlScreen
from console.screens.ticket import OrderTicket
from core.model import OrderRequest, OrderType, Side
from core.sim.runner import SimVenueThread
from tests.support.console_types import SYM, Burst, Keys, OnSim, WaitUntil
from tests.support.engine_types import PushMarket, VenuePosition, VenueRows
from tests.support.sim_console import off_mark, open_long_in_pane, rest_in_orders_pane

D = Decimal


def told(app: object) -> str:
    """Every toast and log line so far, as one text."""
    notes = [str(n.message) for n in app._notifications]  # type: ignore[attr-defined]
    return "\n".join(notes)


async def flip_short(engine: object, wait_until: WaitUntil, pilot: object) -> None:
    """A fill from elsewhere: the long 0.010 becomes a short 0.040."""
    res = await engine.place(OrderRequest(SYM, Side.SELL, D("0.05"), OrderType.MARKET))  # type: ignore[attr-defined]
    assert res.ok, res.message
    pos = engine.state.positions  # type: ignore[attr-defined]
    await wait_until(pilot, lambda: pos[SYM].side is Side.SELL, "the position flipped short")  # type: ignore[arg-type]


async def test_close_box_refuses_a_position_changed_since_it_was_shown(
    sim_venue: SimVenueThread,
    wait_until: WaitUntil,
    console_on_sim: OnSim,
    burst: Burst,
    venue_position: VenuePosition,
) -> None:
    async with console_on_sim() as (app, engine, pilot):
        await open_long_in_pane(pilot, app, engine, wait_until)
        await burst(pilot, "x", "2")
        box = app.screen
        assert isinstance(box, CloseScreen)
        assert "LONG 0.010" in box.body() and "▶ 2   50%  0.005" in box.body()

        await flip_short(engine, wait_until, pilot)
        await burst(pilot, "y")
        await wait_until(pilot, lambda: "position changed since shown" in told(app), "the refusal")
        row = venue_position(sim_venue)
        assert (row["side"], D(row["size"])) == ("Sell", D("0.040")), row  # nothing was bought


async def test_command_line_close_refuses_a_position_changed_since_its_preview(
    sim_venue: SimVenueThread,
    wait_until: WaitUntil,
    console_on_sim: OnSim,
    burst: Burst,
    keys: Keys,
    venue_position: VenuePosition,
) -> None:
    async with console_on_sim() as (app, engine, pilot):
        res = await engine.place(OrderRequest(SYM, Side.BUY, D("0.01"), OrderType.MARKET))
        assert res.ok, res.message
        await wait_until(pilot, lambda: SYM in app.bridge.account.positions, "the position")
        await burst(pilot, *keys(":close 50%"))
        line = app.screen
        assert isinstance(line, CommandLine)
        assert line.plan is not None and line.plan.ready, line.plan
        assert line.plan.request is not None and line.plan.request.side is Side.SELL
        plan = line.plan

        await flip_short(engine, wait_until, pilot)
        line.plan = plan  # Enter before the next re-plan: the preview on screen is still the long's
        line.replan = lambda: None  # type: ignore[method-assign]
        await burst(pilot, "enter")
        await wait_until(pilot, lambda: "position changed since shown" in told(app), "the refusal")
        row = venue_position(sim_venue)
        assert (row["side"], D(row["size"])) == ("Sell", D("0.040")), row


async def test_amend_box_shows_the_price_after_rounding_to_the_tick(
    sim_venue: SimVenueThread,
    wait_until: WaitUntil,
    console_on_sim: OnSim,
    burst: Burst,
    venue_open_orders: VenueRows,
) -> None:
    async with console_on_sim() as (app, engine, pilot):
        price = off_mark(engine, "0.95")
        request = OrderRequest(SYM, Side.BUY, D("0.01"), OrderType.LIMIT, price=price)
        _, table = await rest_in_orders_pane(pilot, app, engine, wait_until, request)
        table.focus()
        typed = price - D("10.05")  # off the 0.1 tick: a buy's price rounds down
        sent = typed.quantize(D("0.1"), rounding="ROUND_FLOOR")
        await burst(pilot, "a", "ctrl+u", *str(typed))
        box = app.screen
        assert isinstance(box, AmendScreen)
        assert box.query_one("#amend-price", Input).value == str(typed)
        shown = str(box.query_one("#amend-error", Static).render())
        assert f"price {typed} → {sent:,}" in shown and "rounded down to the tick 0.1" in shown, shown
        await burst(pilot, "enter")
        await wait_until(
            pilot, lambda: D(venue_open_orders(sim_venue)[0]["price"]) == sent, "the amended price"
        )


async def test_tpsl_box_shows_the_stop_after_rounding_to_the_tick(
    sim_venue: SimVenueThread,
    wait_until: WaitUntil,
    console_on_sim: OnSim,
    burst: Burst,
    venue_position: VenuePosition,
) -> None:
    async with console_on_sim() as (app, engine, pilot):
        await open_long_in_pane(pilot, app, engine, wait_until)
        typed = off_mark(engine, "0.95") + D("0.07")  # a long's stop rounds up
        sent = typed.quantize(D("0.1"), rounding="ROUND_CEILING")
        await burst(pilot, "p", "tab", *str(typed))
        box = app.screen
        assert isinstance(box, TpSlScreen)
        shown = str(box.query_one("#tpsl-error", Static).render())
        assert f"stop loss {typed} → {sent:,}" in shown and "rounded up to the tick 0.1" in shown, shown
        await burst(pilot, "enter")
        await wait_until(
            pilot, lambda: venue_position(sim_venue)["stopLoss"] not in ("", "0"), "the stop on the venue"
        )
        assert D(venue_position(sim_venue)["stopLoss"]) == sent


async def send_raw(pilot: Pilot[int], *keys: events.Key) -> None:
    """Key events exactly as the terminal parser makes them (ESC then ``b`` at once is
    ``Key('alt+b', 'b')``), through the driver in one go; wait until the gate is idle."""
    app = pilot.app
    assert isinstance(app, TradeConsoleApp) and app._driver is not None
    for event in keys:
        event.set_sender(app)
        app._driver.send_message(event)
    for _ in range(200):
        await pilot.pause(0.02)
        if app.key_gate.idle:
            break
    await pilot.pause()


def typed(text: str) -> list[events.Key]:
    return [events.Key(ch if ch.isalnum() else "full_stop", ch) for ch in text]


async def test_escape_in_a_burst_closes_the_ticket_and_the_next_keys_open_a_fresh_one(
    sim_venue: SimVenueThread,
    console_on_sim: OnSim,
    burst: Burst,
    venue_open_orders: VenueRows,
) -> None:
    """``b 1 <Esc> b 2``: a terminal sends ``<Esc> b`` as the bytes of Alt+b, and the ticket got
    ``21`` (the Escape lost, Alt+b moved the cursor home) — Enter would have sent 21 BTC."""
    async with console_on_sim() as (app, engine, pilot):
        await send_raw(pilot, events.Key("b", "b"), *typed("1"), events.Key("alt+b", "b"), *typed("0.002"))
        ticket = app.screen
        assert isinstance(ticket, OrderTicket)
        assert ticket.w_qty.value == "0.002"
        await send_raw(pilot, events.Key("escape", "\x1b"))
        assert not isinstance(app.screen, OrderTicket)
        assert venue_open_orders(sim_venue) == []


def test_the_terminal_parser_reads_escape_then_a_character_as_both() -> None:
    """The bytes a terminal sends for ``<Esc> b``, ``<Esc> :`` and ``<Esc> .`` in one burst were read
    as ``ctrl+left`` (a word move), ``^`` and a swallowed Escape; arrows and F-keys stay keys."""
    read_escape_then_character()
    parser = XTermParser()
    keys = [e.key for e in parser.feed("b1\x1bb2\x1b:x\x1b.\x1b[A\x1bOP") if isinstance(e, events.Key)]
    keys += [e.key for e in parser.feed("") if isinstance(e, events.Key)]
    assert keys == ["b", "1", "escape", "b", "2", "escape", "colon", "x", "escape", "full_stop", "up", "f1"]


@pytest.mark.parametrize(
    ("typed", "keys"),
    [
        # Esc, the previous-symbol key, then a new ticket: the Escape was swallowed into a CSI
        ("\x1b[s0.1", ["escape", "left_square_bracket", "s", "0", "full_stop", "1"]),
        # Esc then [ ending the burst: read as Alt+[ and the Escape lost
        ("\x1b[", ["escape", "left_square_bracket"]),
        # a CSI broken by Enter is typing, not a key sequence
        ("\x1b[10\r", ["escape", "left_square_bracket", "1", "0", "enter"]),
        ("\x1b[ s", ["escape", "left_square_bracket", "space", "s"]),
        # the terminal's own sequences stay keys (ESC [ b is rxvt's shift+down: kept)
        ("\x1b[A\x1b[1;2A\x1b[15~\x1bOP\x1b[b", ["up", "shift+up", "f5", "f1", "shift+down"]),
    ],
)
def test_escape_before_a_sequence_start_is_not_swallowed(typed: str, keys: list[str]) -> None:
    """ESC followed by ``[`` or ``O`` starts a terminal sequence; when what follows is no key a
    terminal sends, it was typed, and the Escape and every character reach the app."""
    read_escape_then_character()
    parser = XTermParser()
    got = [e.key for e in parser.feed(typed) if isinstance(e, events.Key)]
    got += [e.key for e in parser.feed("") if isinstance(e, events.Key)]
    assert got == keys


def test_mouse_paste_and_focus_reports_are_still_read_as_such() -> None:
    read_escape_then_character()
    parser = XTermParser()
    got = list(parser.feed("\x1b[<0;10;20M\x1b[200~hi\x1b[201~\x1b[I")) + list(parser.feed(""))
    assert [type(e).__name__ for e in got] == ["MouseDown", "Paste", "AppFocus"]


async def test_command_line_summary_says_the_quantity_that_will_be_sent(
    sim_venue: SimVenueThread,
    wait_until: WaitUntil,
    console_on_sim: OnSim,
    burst: Burst,
    keys: Keys,
    venue_positions: VenueRows,
) -> None:
    """``buy 0.0015``: the line Enter runs said ``BUY 0.0015`` while 0.001 was sent."""
    async with console_on_sim() as (app, engine, pilot):
        await burst(pilot, *keys(":buy 0.0015"))
        line = app.screen
        assert isinstance(line, CommandLine) and line.plan is not None and line.plan.ready
        summary = str(line.query_one("#cmd-summary", Static).render())
        assert summary == "Enter: BUY 0.001 BTCUSDT MARKET", summary
        await burst(pilot, "enter")
        await wait_until(pilot, lambda: bool(venue_positions(sim_venue)), "the position on the venue")
        assert D(venue_positions(sim_venue)[0]["size"]) == D("0.001")


async def test_breakeven_refuses_an_entry_changed_since_the_box_showed_it(
    sim_venue: SimVenueThread,
    wait_until: WaitUntil,
    console_on_sim: OnSim,
    burst: Burst,
    venue_position: VenuePosition,
    push_market: PushMarket,
) -> None:
    """``e`` showed 'to its entry X'; a fill added to the position (a new average entry) before ``y``
    set the stop at the new entry, a price the screen never showed."""
    async with console_on_sim() as (app, engine, pilot):
        await open_long_in_pane(pilot, app, engine, wait_until)
        entry = engine.state.positions[SYM].entry_price
        push_market(sim_venue, 1.03)
        ticker = engine.store.ticker
        await wait_until(pilot, lambda: ticker(SYM).mark_price > entry * D("1.02"), "the long in profit")  # type: ignore[union-attr]
        await burst(pilot, "e")
        box = app.screen
        assert isinstance(box, ConfirmScreen) and "to its entry" in box.body

        res = await engine.place(OrderRequest(SYM, Side.BUY, D("0.01"), OrderType.MARKET))  # a new average
        assert res.ok, res.message
        pos = engine.state.positions
        await wait_until(pilot, lambda: pos[SYM].size == D("0.02"), "the added fill")
        await burst(pilot, "y")
        await wait_until(pilot, lambda: "entry changed since shown" in told(app), "the refusal")
        assert venue_position(sim_venue)["stopLoss"] in ("", "0", "0.00")


async def test_keys_typed_before_the_close_box_showed_never_answer_it(
    sim_venue: SimVenueThread,
    wait_until: WaitUntil,
    console_on_sim: OnSim,
    burst: Burst,
    keys: Keys,
    venue_position: VenuePosition,
) -> None:
    """``x :sym ETH`` in one burst (a trader who meant the command line): the ``y`` of ``sym``
    confirmed the close box and the whole position was closed at market."""
    async with console_on_sim() as (app, engine, pilot):
        await open_long_in_pane(pilot, app, engine, wait_until)
        await burst(pilot, "x", *keys(":sym ETH"))
        assert isinstance(app.screen, CloseScreen)  # still asking
        assert "typed before 'Close position?' showed were dropped" in told(app)
        await burst(pilot, "escape")
        assert D(venue_position(sim_venue)["size"]) == D("0.010")


async def test_tpsl_box_refuses_a_position_changed_since_it_showed_the_loss_at_the_stop(
    sim_venue: SimVenueThread,
    wait_until: WaitUntil,
    console_on_sim: OnSim,
    burst: Burst,
    keys: Keys,
    venue_position: VenuePosition,
) -> None:
    # The box showed the loss at the stop for a long 0.010; a fill from elsewhere made it a short
    # 0.040 before Enter. The stop would have protected a position the screen never showed.
    async with console_on_sim() as (app, engine, pilot):
        await open_long_in_pane(pilot, app, engine, wait_until)
        await burst(pilot, "p")
        box = app.screen
        assert isinstance(box, TpSlScreen)
        stop = off_mark(engine, "0.95")
        await burst(pilot, "tab", *keys(str(stop)))
        assert "on 0.010" in str(box.query_one("#tpsl-risk", Static).render())
        await flip_short(engine, wait_until, pilot)
        await burst(pilot, "enter")
        await wait_until(pilot, lambda: "position changed since shown" in told(app), "the refusal")
        row = venue_position(sim_venue)
        assert row["side"] == "Sell" and row.get("stopLoss") in ("", "0", None), row  # nothing set
