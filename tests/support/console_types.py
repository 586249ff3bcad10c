"""Call signatures of the console fixtures (``tests/console/conftest.py``), for annotations."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Protocol

from textual.pilot import Pilot

from console.app import TradeConsoleApp
from core.engine import Engine
from core.sim.runner import SimVenueThread

SIZE = (160, 50)
"""The terminal size the console tests run at."""
SYM = "BTCUSDT"
"""The symbol the console's engine scenarios trade."""


class WaitUntil(Protocol):
    """``await wait_until(pilot, cond, what, tries)``: let the app run until ``cond`` holds."""

    async def __call__(
        self, pilot: Pilot[int], cond: Callable[[], bool], what: str, tries: int = 100
    ) -> None: ...


class AppReady(Protocol):
    """``await app_ready(pilot, app, engine)``: the engine started and the first book and ticker in."""

    async def __call__(self, pilot: Pilot[int], app: TradeConsoleApp, engine: Engine) -> None: ...


RealApp = Callable[[SimVenueThread, Path], tuple[TradeConsoleApp, Engine]]
"""``make_real_app(venue, tmp_path)``: the console on a real engine on ``venue``."""

OnSim = Callable[[], AbstractAsyncContextManager[tuple[TradeConsoleApp, Engine, Pilot[int]]]]
"""``async with console_on_sim() as (app, engine, pilot)``: the console on a real engine on the
``sim_venue`` fixture, running at ``SIZE``, its engine started and the first book and ticker in."""


class Burst(Protocol):
    """``await burst(pilot, *keys)``: keys sent in one go, then wait until every one was handled."""

    async def __call__(self, pilot: Pilot[int], *keys: str) -> None: ...


class SelectOrder(Protocol):
    """``await select_order(pilot, app, link)``: put the orders pane's cursor on an order."""

    async def __call__(self, pilot: Pilot[int], app: TradeConsoleApp, link: str) -> None: ...


Keys = Callable[[str], list[str]]
"""``keys(text)``: the key names that type ``text``."""


SnapCompare = Callable[..., bool]
"""pytest-textual-snapshot's ``snap_compare(app, terminal_size=..., run_before=..., press=...)``."""
