"""The panic screen with a panic that cannot finish: it keeps trying, visibly, until ``s`` stops it.

A real engine on a real sim (pybit over loopback) whose every REST request fails: the screen
shows the engine's retries and its "still trying" steps, ``s`` stops the panic, the screen says
it was stopped and what is still open, and the position is still on the venue.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

from textual.widgets import Log, Static

from console.screens.panic import PanicScreen
from core.model import OrderRequest, OrderType, Side
from core.sim.runner import SimVenueThread
from tests.support.console_types import SIZE, SYM, AppReady, RealApp, WaitUntil
from tests.support.engine_types import VenueRows


async def test_s_stops_a_panic_that_keeps_trying(
    sim_venue: SimVenueThread,
    tmp_path: Path,
    wait_until: WaitUntil,
    app_ready: AppReady,
    make_real_app: RealApp,
    venue_positions: VenueRows,
) -> None:
    """Old code: the panic gave up at its deadline on its own, and s did nothing."""
    app, engine = make_real_app(sim_venue, tmp_path)
    engine.executor.policy = dataclasses.replace(
        engine.executor.policy, base_s=0.01, cap_s=0.05, max_attempts=2
    )
    runner = engine.panic_runner
    runner.timeout_s, runner.poll_s, runner.backoff_max_s = 0.3, 0.05, 0.2
    async with app.run_test(size=SIZE) as pilot:
        await app_ready(pilot, app, engine)
        assert (await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.02"), OrderType.MARKET))).ok
        await wait_until(pilot, lambda: SYM in engine.state.positions, "the position")
        sim_venue.set_faults("http5xx=1")
        try:
            await pilot.press("ctrl+k")
            shown = app.screen
            assert isinstance(shown, PanicScreen)
            screen: PanicScreen = shown
            await pilot.press("s")  # before the confirmation s does nothing
            assert screen.state == "confirm"
            await pilot.press("y")
            status = screen.query_one("#panic-status", Static)
            assert "s  stops it" in str(status.render())
            log = screen.query_one("#panic-progress", Log)
            await wait_until(
                pilot,
                lambda: any(line.startswith("still trying") for line in log.lines),
                "a still-trying step",
            )
            assert screen.state == "running"
            await pilot.press("escape")  # a running panic is not closed by Escape
            assert app.screen == screen  # still showing the running panic
            await pilot.press("s")
            await wait_until(pilot, lambda: screen.state == "done", "the stopped panic's report")
            assert screen.report is not None and screen.report.stopped and not screen.report.flat
            assert "STOPPED by you" in str(status.render())
        finally:
            sim_venue.set_faults("")
        assert venue_positions(sim_venue)  # stopped: nothing was closed
        await pilot.press("escape")
        assert not isinstance(app.screen, PanicScreen)
        assert (await engine.close_position(SYM)).ok
