"""What the console tests on both sims share (a Hyperliquid leg down at start-up, a paired order):
the settings, the symbols on each venue, a console started on the real engine, a wait on the
Pilot that names what it waited for, and typing a line on the command line."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from textual.pilot import Pilot

from console.app import TradeConsoleApp
from console.screens.cmdline import CommandLine
from core.config import Settings, load_settings
from core.engine import Engine
from tests.support.console_types import SIZE

A, B = "BTCUSDT", "BTCUSDT.HL"
TRIES = 300
PAUSE_S = 0.1


async def until(pilot: Pilot[int], cond: Callable[[], bool], what: str) -> None:
    for _ in range(TRIES):
        if cond():
            return
        await pilot.pause(PAUSE_S)
    raise AssertionError(f"timed out waiting for {what}")


def pair_settings(tmp_path: Path) -> Settings:
    """``venue.name = "multi"`` on the sims (``sim.port`` 0: the Bybit sim picks its port, the
    Hyperliquid sim takes the next), BTCUSDT on each venue, files under ``tmp_path``."""
    return load_settings(
        None,
        venue={"name": "multi"},
        sim={"port": 0, "seed": 7},
        risk={"symbols": [A, B]},
        ui={"default_symbol": A, "theme": "trade-dark"},
        journal={"path": str(tmp_path / "journal.db")},
        metrics={"enabled": False, "log_dir": str(tmp_path / "logs")},
    )


@asynccontextmanager
async def started_console(
    settings: Settings, what: str = "the engine started"
) -> AsyncIterator[tuple[TradeConsoleApp, Engine, Pilot[int]]]:
    """The console on the real engine, once its engine has started."""
    engine = Engine(settings)
    app = TradeConsoleApp(engine, settings)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.engine_started, what)
        yield app, engine, pilot


async def command(pilot: Pilot[int], app: TradeConsoleApp, line: str) -> str:
    """Type ``line`` on the command line; what it says Enter will do. Enter is pressed."""
    await pilot.press(":")
    screen = app.screen
    assert isinstance(screen, CommandLine)
    screen.input.value = line
    await pilot.pause()
    said = str(screen.plan)
    await pilot.press("enter")
    await pilot.pause()
    if app.screen is screen:
        await pilot.press("escape")
    return said
