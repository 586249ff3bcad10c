"""Every algo kind's name stands apart from the side in the algos pane, at 160x50 and at 80x24.

Before: the compact profile (80x24) gave the type column 7 cells, gap included, so an iceberg's
and a bracket's row read ``icebergBuy`` and ``bracketSell``. On the real engine and the
in-process venue."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.console_types import SIZE
from tests.support.in_process_console import console_in_process, start_in_pane

COMPACT = (80, 24)
LINES = (
    "iceberg buy 0.02 @ 90000 show 0.01",
    "bracket sell 0.01 @ 99000 sl 100000",
    "scale buy 0.02 90000..90500 x2",
)


@pytest.mark.parametrize("size", [SIZE, COMPACT], ids=["160x50", "80x24"])
async def test_each_kind_is_a_word_of_its_own(size: tuple[int, int], tmp_path: Path) -> None:
    async with console_in_process(tmp_path, size) as (app, engine, venue, pilot):
        pane = await start_in_pane(pilot, app, venue, LINES)
        await pilot.pause()
        rows = [pane.render_line(y).text for y in range(1, 1 + len(LINES))]  # under the header
        for kind, side in (("iceberg", "Buy"), ("bracket", "Sell"), ("scale", "Buy")):
            assert sum(kind in row.split() and side in row.split() for row in rows) == 1, (kind, rows)
        for algo in engine.algos():
            assert (await engine.cancel_algo(algo.id)).ok
