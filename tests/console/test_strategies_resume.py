"""A strategy started from the console comes back when the console dies and starts again (real
engine, in-process sim venue, virtual clock): the new console on the same journal shows it running
in the strategies pane with the position it had, and says it resumed; one stopped does not."""

from __future__ import annotations

import asyncio
from pathlib import Path

from console.app import TradeConsoleApp
from core.strategy.portfolio import Portfolio
from core.strategy.slot import StrategySnapshot
from tests.support.console_types import SIZE, SYM, Keys
from tests.support.strategy_console import advance_until, row
from tests.support.venue_under_test import InProcessVenue


async def _die(portfolio: Portfolio | None, venue: InProcessVenue) -> dict[str, StrategySnapshot]:
    """The process dies under its strategies: they stop at once, an order already on its way
    fills (the engine journals it), then nothing more reaches the journal. The strategies as they
    were when it died."""
    assert portfolio is not None
    slots = [s for s in (portfolio.get(n.name) for n in portfolio.snapshots()) if s is not None]
    for slot in slots:
        slot.detach()
    tasks = [t for t in (portfolio._entries[s.name].task for s in slots) if t is not None]
    await asyncio.gather(*tasks, return_exceptions=True)
    await venue.pass_time(1.0)
    snaps = {s.name: s for s in portfolio.snapshots()}
    for slot in slots:
        slot.release()
    return snaps


async def test_a_running_strategy_is_back_in_the_pane_after_the_console_died(
    tmp_path: Path, keys: Keys
) -> None:
    venue = InProcessVenue()
    settings = venue.settings(tmp_path)
    engine = venue.engine(settings)
    app = TradeConsoleApp(engine, settings, clock=venue.clock)
    async with app.run_test(size=SIZE) as pilot:
        await advance_until(
            pilot, venue, lambda: app.engine_started and engine.store.ticker(SYM) is not None, "engine up"
        )
        for line in (
            ":strat start sma_cross fast=2 slow=3 qty=0.01 alloc=5000",
            ":strat start sma_cross fast=2 slow=4 qty=0.01 as=other",
        ):
            await pilot.press(*keys(line))
            await pilot.press("enter")
        await advance_until(
            pilot,
            venue,
            lambda: (
                (r := row(app, "sma_cross")) is not None and r.position != 0 and row(app, "other") is not None
            ),
            "sma_cross in a position, other running",
        )
        await pilot.press(*keys(":strat stop other"))
        await pilot.press("enter")
        await advance_until(
            pilot,
            venue,
            lambda: (r := row(app, "other")) is not None and r.state == "stopped",
            "other stopped",
        )
        before = (await _die(app.strategy_actions.portfolio, venue))["sma_cross"]

        async def died() -> None:  # the process is gone: no clean close journals a stop
            return None

        app.strategy_actions.close = died  # type: ignore[method-assign]

    second = venue.engine(settings)
    again = TradeConsoleApp(second, settings, clock=venue.clock)
    async with again.run_test(size=SIZE) as pilot:
        await advance_until(pilot, venue, lambda: row(again, "sma_cross") is not None, "sma_cross back")
        snap = row(again, "sma_cross")
        assert snap is not None and snap.state == "running"
        assert (snap.allocation, snap.params) == (before.allocation, before.params)
        # Its own position as it resumed (it may have traded on since: a bar can close meanwhile).
        (resumed,) = second.journal.query(kinds=["strategy_resume"])
        assert resumed.data["position"] == str(before.position) and before.position != 0
        assert snap.fees >= before.fees
        assert row(again, "other") is None
        pane = again.main.strategies
        await advance_until(pilot, venue, lambda: pane.display and pane.row_count == 1, "the pane shows it")
        assert str(pane.get_row("sma_cross")[2]) == "running"
        lines = "\n".join(again.main.log_pane.history)
        assert "strategy sma_cross resumed on BTCUSDT" in lines, lines
