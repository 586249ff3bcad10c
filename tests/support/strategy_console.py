"""What the console's strategy tests share: letting market time pass on the in-process venue until
a condition holds, a strategy's row in the pane, and a line typed on the command line with its
plan."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.pilot import Pilot

from console.app import TradeConsoleApp
from console.screens.algo_ticket import AlgoTicket
from console.screens.cmdline import CommandLine
from core.strategy.slot import StrategySnapshot
from tests.support.venue_under_test import InProcessVenue

WALL_GUARD_S = 120.0
"""A wait never takes longer than this in wall time (a stuck console fails, not hangs)."""
TICKS_PER_STEP = 5
"""Venue ticks (50 ms each) between two turns of the console's loop."""


async def advance_until(
    pilot: Pilot[int], venue: InProcessVenue, cond: Callable[[], bool], what: str, market_s: float = 200
) -> None:
    """Let market time pass tick by tick (the console's loop runs between ticks) until ``cond``."""
    wall_end = time.monotonic() + WALL_GUARD_S
    waited_ms = 0
    while not cond():
        if waited_ms > market_s * 1000 or time.monotonic() > wall_end:
            raise AssertionError(f"{what}: not met within {market_s:.0f} s of market time")
        for _ in range(TICKS_PER_STEP):
            venue.venue.advance(venue.venue.tick_ms)
        waited_ms += venue.venue.tick_ms * TICKS_PER_STEP
        await pilot.pause(0.002)


def row(app: TradeConsoleApp, name: str) -> StrategySnapshot | None:
    return next((r for r in app.strategy_actions.rows if r.name == name), None)


async def plan_of(pilot: Pilot[int], app: TradeConsoleApp, line: str) -> CommandLine:
    if not isinstance(app.screen, CommandLine):
        await pilot.press(":")
    screen = app.screen
    assert isinstance(screen, CommandLine)
    screen.input.value = line
    await pilot.pause()
    assert screen.plan is not None and screen.plan.line == line
    return screen


async def algo_ticket_on(pilot: Pilot[int], app: TradeConsoleApp, kind: str, qty: str) -> AlgoTicket:
    """The algo ticket opened with ``A``, turned to ``kind`` (ctrl+n), with ``qty`` typed in."""
    await pilot.press("A")
    ticket = app.screen
    assert isinstance(ticket, AlgoTicket)
    while ticket.kind != kind:
        await pilot.press("ctrl+n")
    ticket.w_qty.value = qty
    return ticket
