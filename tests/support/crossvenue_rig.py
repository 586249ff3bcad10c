"""The real engine over the composite venue whose two legs are in-process venues on virtual clocks
(``BTCUSDT`` on the primary, ``BTCUSDT.HL`` on the second), and the keyboard steps the cross-venue
console tests share: advancing both venues until a condition holds, opening pane 7, sending a pair
from the paired ticket. The ``two`` fixture in ``tests/console/conftest.py`` builds the rig."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from console.app import TradeConsoleApp
from console.screens.paired import PairedTicket
from core.config import load_settings
from core.engine import Engine
from core.venues.multi.venue import MultiVenue
from core.venues.simulated import SimulatedVenue
from core.venues.simulated.venue import API_KEY

D = Decimal
A, B = "BTCUSDT", "BTCUSDT.HL"
WALL_GUARD_S = 120.0
TICKS_PER_STEP = 5
REJECT_CODE = 110007
"""The code the injected rejection carries (Bybit's insufficient balance)."""


class TwoVenues:
    """Two in-process venues as the composite's legs, advanced together."""

    def __init__(self, tmp_path: Path) -> None:
        self.a = SimulatedVenue.prepared(seed=7, symbols=(A,))
        self.b = SimulatedVenue.prepared(seed=8, symbols=(A,))
        self.a.name, self.b.name = "bybit", "hyperliquid"  # the legs' names give the symbols' suffixes
        self.settings = load_settings(
            venue={"name": "multi", "legs": ["bybit", "hyperliquid"]},
            risk={"symbols": [A, B]},
            journal={"path": str(tmp_path / "journal.db")},
            metrics={"enabled": False},
            ui={"theme": "trade-dark", "default_symbol": A},
            crossvenue={"leg_timeout_s": 3},
        )
        self.engine = Engine(self.settings, clock=self.a.clock, venue=MultiVenue([self.a, self.b]))
        self.clock = self.a.clock

    def step(self) -> None:
        for _ in range(TICKS_PER_STEP):
            self.a.advance(self.a.tick_ms)
            self.b.advance(self.b.tick_ms)

    def size(self, leg: SimulatedVenue) -> Decimal:
        rows: Any = leg.exchange.position_list(API_KEY, {"category": "linear", "symbol": A})["list"]
        return D(rows[0]["size"])


async def advance_until(pilot: Pilot[int], two: TwoVenues, cond: Callable[[], bool], what: str) -> None:
    """Let market time pass on both venues (the console's loop runs between steps) until ``cond``."""
    wall_end = time.monotonic() + WALL_GUARD_S
    waited = 0
    while not cond():
        if waited > 600 or time.monotonic() > wall_end:
            raise AssertionError(f"{what}: not met")
        two.step()
        waited += 1
        await pilot.pause(0.002)


def cell(app: TradeConsoleApp, column: str) -> str:
    pane = app.main.crossvenue
    keys = pane.column_keys
    return pane.rows_shown[A][keys.index(column)][0]


async def open_pane(pilot: Pilot[int], app: TradeConsoleApp, two: TwoVenues) -> None:
    await advance_until(
        pilot,
        two,
        lambda: app.engine_started and all(two.engine.store.book(s) is not None for s in (A, B)),
        "both venues' books",
    )
    await pilot.press("7")
    assert app.main.crossvenue.display and app.main.crossvenue.has_focus
    await advance_until(pilot, two, lambda: A in app.main.crossvenue.rows_shown, "the BTCUSDT row")


async def send_pair(pilot: Pilot[int], app: TradeConsoleApp, two: TwoVenues, qty: str) -> None:
    await pilot.press("P")
    assert isinstance(app.screen, PairedTicket)
    await pilot.press(*qty)
    preview = str(app.screen.w_preview.render())
    shown = f"{D(qty):.3f}"  # the preview is the order after rounding to the step
    assert f"BUY {shown} {A} market" in preview and f"SELL {shown} {B} market" in preview
    assert preview.count("risk checks OK") == 2
    await pilot.press("enter")
    await advance_until(pilot, two, lambda: app.crossvenue.desk.latest(A) is not None, "the pair sent")
