"""A strategy started from the console comes back when the console dies and starts again (real
engine, in-process sim venue, virtual clock): the new console on the same journal shows it running
in the strategies pane with the position it had, and says it resumed; one stopped does not."""

from __future__ import annotations

import asyncio
from pathlib import Path

from console.app import TradeConsoleApp
from core.strategy.portfolio import Portfolio
from tests.console.test_strategies_console import advance_until, row
from tests.support.console_types import SIZE, SYM, Keys
from tests.support.venue_under_test import InProcessVenue


async def _die(portfolio: Portfolio | None) -> None:
    """The process dies under its strategies: they stop and nothing more reaches the journal."""
    assert portfolio is not None
    tasks = []
    for snap in portfolio.snapshots():
        slot = portfolio.get(snap.name)
        assert slot is not None
        slot.release()
        task = portfolio._entries[snap.name].task
        if task is not None:
            tasks.append(task)
    await asyncio.gather(*tasks, return_exceptions=True)


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
        await venue.pass_time(1.0)
        before = row(app, "sma_cross")
        assert before is not None
        await _die(app.strategy_actions.portfolio)

        async def died() -> None:  # the process is gone: no clean close journals a stop
            return None

        app.strategy_actions.close = died  # type: ignore[method-assign]

    second = venue.engine(settings)
    again = TradeConsoleApp(second, settings, clock=venue.clock)
    async with again.run_test(size=SIZE) as pilot:
        await advance_until(pilot, venue, lambda: row(again, "sma_cross") is not None, "sma_cross back")
        snap = row(again, "sma_cross")
        assert snap is not None and snap.state == "running"
        assert (snap.position, snap.entry_price, snap.fees, snap.allocation, snap.params) == (
            before.position,
            before.entry_price,
            before.fees,
            before.allocation,
            before.params,
        )
        assert row(again, "other") is None
        pane = again.main.strategies
        await advance_until(pilot, venue, lambda: pane.display and pane.row_count == 1, "the pane shows it")
        assert str(pane.get_row("sma_cross")[2]) == "running"
        lines = "\n".join(again.main.log_pane.history)
        assert "strategy sma_cross resumed on BTCUSDT" in lines, lines
