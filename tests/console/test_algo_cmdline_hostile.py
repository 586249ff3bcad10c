"""Algo command lines a hostile newcomer types, on the real engine and the in-process venue: each
is refused in place before Enter with the check and the numbers, Enter on it starts nothing, and
the console stays responsive (the plan of every line is made at once).

Before: ``twap buy 1 99999999h`` built a schedule of six billion slices in the preview and froze
the console; ``chase buy 0.0015`` showed READY with a child of ``0.002`` while 0.001 would be
sent; ``chase buy 0.0001`` and a TWAP whose slices round to nothing showed READY and could never
place an order; a market bracket with its take-profit below a buy's entry showed READY."""

from __future__ import annotations

from pathlib import Path

from console.screens.cmdline import CommandLine
from tests.support.console_types import SYM
from tests.support.in_process_console import console_in_process
from tests.support.strategy_console import plan_of

REFUSED = [
    ("twap buy 1 99999999h", "longer than 168h"),
    ("twap buy 1 30m x99999999", "more than 10000"),
    ("twap buy 0.005 10m x10", "use at most 5"),
    ("chase buy 0.0015", "type 0.001 or 0.002"),
    ("chase buy 0.0001", "below BTCUSDT's minimum order"),
    ("iceberg buy 1 @ 90000 show 0.0001", "show: 0.0001 is below"),
    ("bracket buy 0.01 tp -1%", "is not above the best ask"),
    ("bracket buy 0.01 sl +1%", "the stop would trigger at once"),
]


async def test_hostile_algo_lines_are_refused_in_place_and_start_nothing(tmp_path: Path) -> None:
    async with console_in_process(tmp_path) as (app, engine, venue, pilot):
        for line, words in REFUSED:
            screen = await plan_of(pilot, app, line)
            plan = screen.plan
            assert plan is not None and not plan.ready and words in plan.error, (line, plan)
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, CommandLine)
            assert engine.algos() == [], line

        # Done right, the same kinds preview and are ready; the chase's child is what is sent.
        screen = await plan_of(pilot, app, "chase buy 0.002")
        plan = screen.plan
        assert plan is not None and plan.ready and plan.algo_preview is not None, plan
        (child,) = plan.algo_preview.children
        assert child.risk.qty == child.request.qty == 2 * engine.instruments[SYM].qty_step
        assert "Buy 0.002 @" in plan.detail
