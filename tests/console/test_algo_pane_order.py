"""The algos pane lists live algos above ended ones, as the engine orders them: an algo that ends
moves below the running ones (it kept its first row for ever), and the cursor stays on the algo
it was on. On the real engine and the in-process venue."""

from __future__ import annotations

from pathlib import Path

from textual.coordinate import Coordinate

from tests.support.in_process_console import console_in_process, start_in_pane
from tests.support.strategy_console import advance_until

LINES = ("twap buy 0.01 10m x10", "scale buy 0.01 90500..91000 x2")


async def test_an_algo_that_ends_moves_below_the_running_ones(tmp_path: Path) -> None:
    async with console_in_process(tmp_path) as (app, engine, venue, pilot):
        pane = await start_in_pane(pilot, app, venue, LINES)
        first, second = (a.id for a in engine.algos())
        assert list(pane.rows_shown) == [first, second]
        pane.move_cursor(row=0)
        assert pane.selected_key == first

        cancelled = await engine.cancel_algo(first)
        assert cancelled.ok, cancelled.message
        await advance_until(pilot, venue, lambda: [a.id for a in engine.algos()] == [second, first], "ended")
        shown_in_order = lambda: list(pane.rows_shown) == [second, first]  # noqa: E731
        await advance_until(pilot, venue, shown_in_order, "the pane's order")
        await pilot.pause()
        rows = [pane.coordinate_to_cell_key(Coordinate(y, 0)).row_key.value for y in range(2)]
        assert rows == [second, first]
        assert pane.selected_key == first  # the cursor followed its algo
