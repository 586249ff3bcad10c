"""``trail ... ex`` on the command line: the venue's own trailing stop on the whole position,
previewed (distance and activation as they will be sent, "on the exchange") and set on Enter;
``trail off ex`` removes it. End to end on the real engine and the sim (pybit over loopback)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from textual.pilot import Pilot

from console.app import TradeConsoleApp
from console.screens.cmdline import CommandLine
from core.model import OrderRequest, OrderType, Side
from core.sim.runner import SimVenueThread
from tests.support.console_types import SIZE, SYM, AppReady, RealApp, WaitUntil
from tests.support.engine_types import VenuePosition

D = Decimal
SLOW = 300
"""Waits of up to ~30 s for the venue's answers (the machine may be busy)."""


def _sl_cell(app: TradeConsoleApp) -> str:
    return str(app.main.positions.get_cell(SYM, "sl")).strip()


async def _line(pilot: Pilot[int], app: TradeConsoleApp, text: str) -> CommandLine:
    await pilot.press(":")
    screen = app.screen
    assert isinstance(screen, CommandLine)
    screen.input.value = text  # set at once: typed lines are slow under Pilot with a live engine
    await pilot.pause()
    return screen


async def test_venue_trailing_stop_from_the_command_line(
    sim_venue: SimVenueThread,
    tmp_path: Path,
    wait_until: WaitUntil,
    app_ready: AppReady,
    make_real_app: RealApp,
    venue_position: VenuePosition,
) -> None:
    app, engine = make_real_app(sim_venue, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await app_ready(pilot, app, engine)
        screen = await _line(pilot, app, "trail 50 ex")
        assert screen.plan is not None and not screen.plan.ready
        assert "no open position" in screen.plan.error
        await pilot.press("escape")

        res = await engine.place(OrderRequest(SYM, Side.BUY, D("0.01"), OrderType.MARKET))
        assert res.ok, res.message
        await wait_until(pilot, lambda: SYM in engine.account().positions, "the engine's position", SLOW)

        screen = await _line(pilot, app, "trail 50 ex")
        plan = screen.plan
        assert plan is not None and plan.ready, plan
        assert "on the exchange" in plan.summary and "50" in plan.summary
        assert plan.algo is None  # not an engine algo
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: D(venue_position(sim_venue)["trailingStop"]) == D(50),
            "the trailing stop on the venue",
            SLOW,
        )
        assert engine.algos() == []
        shown = "the positions pane's SL cell naming the venue's trailing stop"
        await wait_until(pilot, lambda: _sl_cell(app) == "trail ex", shown, SLOW)
        said = [line for line in app.main.log_pane.history if "Trailing stop set" in line]
        assert len(said) == 1, said  # the engine's line; the console does not say it again

        screen = await _line(pilot, app, "trail off")  # without ex: refused, nothing sent
        assert screen.plan is not None and not screen.plan.ready
        assert "trail off ex" in screen.plan.error
        screen.input.value = "trail off ex"
        await pilot.pause()
        assert screen.plan is not None and screen.plan.ready, screen.plan
        assert "removes" in screen.plan.detail and "keeps working" not in screen.plan.detail
        await pilot.press("enter")
        removed = "the trailing stop removed"
        await wait_until(pilot, lambda: D(venue_position(sim_venue)["trailingStop"]) == 0, removed, SLOW)
        await wait_until(pilot, lambda: _sl_cell(app) == "—", "the SL cell cleared", SLOW)
