"""The algos pane's keys pressed the hostile way, on the real engine and the in-process venue:
pause twice, cancel, then cancel and resume the ended algo in one burst, then panic with a paused
algo. An ended algo's keys say so in a warning and ask nothing (before: ``x`` on a cancelled algo
asked "Cancel algo?" again and, confirmed, raised a "FAILED" error toast); a panic stops the
paused algo before it flattens."""

from __future__ import annotations

from pathlib import Path

from console.app import TradeConsoleApp
from console.screens.modals import ConfirmScreen
from console.screens.panic import PanicScreen
from tests.support.in_process_console import console_in_process
from tests.support.strategy_console import advance_until, plan_of


def shown(app: TradeConsoleApp, algo_id: str) -> str:
    """The algo's state as the pane last drew it (what its keys act on)."""
    return next((a.state for a in app.bridge.algos if a.id == algo_id), "")


async def test_ended_algo_keys_ask_nothing_and_panic_stops_a_paused_algo(tmp_path: Path) -> None:
    async with console_in_process(tmp_path) as (app, engine, venue, pilot):
        for line in ("twap buy 0.01 10m x10 maker", "scale buy 0.01 90500..91000 x2"):
            await plan_of(pilot, app, line)
            await pilot.press("enter")
        await advance_until(pilot, venue, lambda: app.main.algos.row_count == 2, "both in the pane")
        twap, scale = (a.id for a in sorted(engine.algos(), key=lambda a: a.kind != "twap"))
        pane = app.main.algos
        pane.focus()
        pane.move_cursor(row=[k.value for k in pane.rows].index(twap))
        await pilot.pause()

        await pilot.press("x", "y")
        await advance_until(pilot, venue, lambda: shown(app, twap) == "cancelled", "cancelled")
        app._notifications.clear()
        await pilot.press("x", "p", "r")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        told = [str(n.message) for n in app._notifications]
        assert len(told) == 3 and all(f"algo {twap} is already cancelled" in t for t in told), told
        assert not any("FAILED" in line for line in app.main.log_pane.history)

        pane.move_cursor(row=[k.value for k in pane.rows].index(scale))
        await pilot.press("p")
        await advance_until(pilot, venue, lambda: shown(app, scale) == "paused", "paused")
        await pilot.press("ctrl+k")
        assert isinstance(app.screen, PanicScreen)
        await pilot.press("y")
        await advance_until(pilot, venue, lambda: shown(app, scale) == "cancelled", "stopped")
        await advance_until(pilot, venue, lambda: not engine.account().orders, "no order left")
        lines = app.main.log_pane.history
        stopped = next(i for i, t in enumerate(lines) if "PANIC algos: 1 algos stopped" in t)
        assert stopped < next(i for i, t in enumerate(lines) if "PANIC done" in t)
