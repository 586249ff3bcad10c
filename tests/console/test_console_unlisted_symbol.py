"""A configured symbol the venue does not list: the console says so in a toast and the log and
shows a listed symbol, instead of a ladder waiting forever for a book that never comes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

from console.app import TradeConsoleApp
from core.config import load_settings
from core.engine import Engine
from core.sim.runner import SimVenueThread
from widgets.log_pane import EventLog


async def _until(pilot: Pilot[int], cond: Callable[[], bool], what: str, tries: int = 100) -> None:
    for _ in range(tries):
        if cond():
            return
        await pilot.pause(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def test_unlisted_default_symbol_is_reported_and_replaced(
    sim_venue: SimVenueThread, tmp_path: Path
) -> None:
    settings = load_settings(
        sim=sim_venue.settings.model_copy(update={"port": sim_venue.port}),
        journal={"path": str(tmp_path / "journal.db")},
        metrics={"enabled": False},
        risk={"symbols": ["DOGEUSDT", "BTCUSDT"]},
        ui={"theme": "trade-dark", "default_symbol": "DOGEUSDT"},
    )
    engine = Engine(settings)
    app = TradeConsoleApp(engine, settings)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        assert app.symbol == "DOGEUSDT"
        await _until(pilot, lambda: app.engine_started, "engine start")
        notes = [n.message for n in app._notifications]
        assert any("DOGEUSDT not listed by the venue" in m and "risk.symbols" in m for m in notes), notes
        assert app.symbol == "BTCUSDT"
        assert app.symbols == ["BTCUSDT"]
        await _until(pilot, lambda: engine.store.book("BTCUSDT") is not None, "the BTCUSDT book")
        history = "\n".join(app.main.query_one(EventLog).history)
        assert "DOGEUSDT not listed by the venue" in history
