"""The algos pane names each algo so it can be told from the others and found in the log. An id
begins with its start time: two algos started in one burst differ only in their last characters,
and the pane showed the first seven (``amx4fp3`` for both a chase and a TWAP), with no gap
before the type (``amx4fp3twap``). At 160 columns it shows the whole id; in the compact profile
(80x24) its tail, ``…3mn1``. On the real engine and the in-process venue."""

from __future__ import annotations

from pathlib import Path

from tests.support.console_types import SIZE
from tests.support.in_process_console import console_in_process, start_in_pane
from widgets.algos import short_id

COMPACT = (80, 24)
LINES = ("twap buy 0.01 10m x10", "scale buy 0.01 90500..91000 x2")


async def _two_algos_in_one_burst(size: tuple[int, int], tmp_path: Path) -> None:
    async with console_in_process(tmp_path, size) as (app, engine, venue, pilot):
        pane = await start_in_pane(pilot, app, venue, LINES)
        await pilot.pause()
        ids = [a.id for a in engine.algos()]
        rows = [pane.render_line(y).text for y in range(1, 1 + len(ids))]  # under the header
        shown = [row.split()[0] for row in rows]
        assert len(set(shown)) == len(ids), rows
        for algo_id in ids:
            want = algo_id if size == SIZE else short_id(algo_id)
            assert want in shown, (want, rows)  # the whole id, or its end: what the log names
            assert algo_id.endswith(want.lstrip("…"))


async def test_two_algos_started_together_have_distinct_ids_at_160(tmp_path: Path) -> None:
    await _two_algos_in_one_burst(SIZE, tmp_path)


async def test_two_algos_started_together_have_distinct_ids_at_80(tmp_path: Path) -> None:
    await _two_algos_in_one_burst(COMPACT, tmp_path)
