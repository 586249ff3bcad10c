"""What the console tests of a Hyperliquid leg down at start-up share: the symbols on each venue, a
wait on the Pilot that names what it waited for, and typing a line on the command line."""

from __future__ import annotations

from collections.abc import Callable

from textual.pilot import Pilot

from console.app import TradeConsoleApp
from console.screens.cmdline import CommandLine

A, B = "BTCUSDT", "BTCUSDT.HL"
TRIES = 300
PAUSE_S = 0.1


async def until(pilot: Pilot[int], cond: Callable[[], bool], what: str) -> None:
    for _ in range(TRIES):
        if cond():
            return
        await pilot.pause(PAUSE_S)
    raise AssertionError(f"timed out waiting for {what}")


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
