"""Console test fixtures: NO_COLOR cleared, no cursor blink, no animations (autouse), a real sim
venue for the end-to-end Pilot tests, and the Pilot helpers those tests share (waits, key bursts, the
console on a real engine). The fake engine and its app factory live in ``tests.support.console_fakes``;
the helpers' signatures in ``tests.support.console_types``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input

from console.app import TradeConsoleApp
from console.screens.ticket import OrderTicket
from core.config import SimSettings
from core.engine import Engine
from core.sim.runner import SimVenueThread
from tests.support.console_fakes import real_settings
from tests.support.console_types import (
    SIZE,
    SYM,
    AppReady,
    Burst,
    Keys,
    OnSim,
    RealApp,
    SelectOrder,
    WaitUntil,
)
from tests.support.crossvenue_rig import TwoVenues
from widgets.log_pane import EventLog
from widgets.orders import OrdersTable

KEY_NAMES = {" ": "space", ".": "full_stop", "$": "dollar_sign", "@": "at", "%": "percent_sign",
             "-": "minus", "+": "plus", ",": "comma", ":": "colon"}  # fmt: skip
"""Characters typed on a command line, by their Textual key names."""
CHARS = {name: ch for ch, name in KEY_NAMES.items()}
"""The character a named key types."""


@pytest.fixture(autouse=True)
def _deterministic_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TEXTUAL_THEME", raising=False)
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


@pytest.fixture
def sim_venue() -> Iterator[SimVenueThread]:
    """A real sim venue on a free loopback port."""
    venue = SimVenueThread(SimSettings(port=0, seed=7, market_rate_hz=20.0)).start()
    try:
        yield venue
    finally:
        venue.stop()


def _state(pilot: Pilot[int]) -> str:
    app = pilot.app
    assert isinstance(app, TradeConsoleApp)
    screen = app.screen
    extra = ""
    if isinstance(screen, OrderTicket):
        extra = f" ticket error={screen.error!r} request={screen.request!r}"
    tail = app.main.query_one(EventLog).history[-6:]
    return f"screen={type(screen).__name__}{extra} log tail={tail}"


async def _wait_until(pilot: Pilot[int], cond: Callable[[], bool], what: str, tries: int = 100) -> None:
    for _ in range(tries):
        if cond():
            return
        await pilot.pause(0.1)
    raise AssertionError(f"timed out waiting for {what}; {_state(pilot)}")


@pytest.fixture
def wait_until() -> WaitUntil:
    """Let the app run (0.1 s pauses) until a condition holds; a timeout says what the screen showed."""
    return _wait_until


@pytest.fixture
def app_ready() -> AppReady:
    """Wait until the console's engine has started and the first book and ticker arrived."""

    async def ready(pilot: Pilot[int], app: TradeConsoleApp, engine: Engine) -> None:
        await _wait_until(
            pilot,
            lambda: (
                app.engine_started
                and engine.store.book(SYM) is not None
                and engine.store.ticker(SYM) is not None
            ),
            "engine start and first book",
        )

    return ready


@pytest.fixture
def make_real_app() -> RealApp:
    """The console on a real engine (pybit HTTP + WS) on a sim venue, journal under ``tmp_path``."""

    def make(venue: SimVenueThread, tmp_path: Path) -> tuple[TradeConsoleApp, Engine]:
        settings = real_settings(venue, tmp_path)
        engine = Engine(settings)
        return TradeConsoleApp(engine, settings), engine

    return make


@pytest.fixture
def console_on_sim(
    sim_venue: SimVenueThread, tmp_path: Path, make_real_app: RealApp, app_ready: AppReady
) -> OnSim:
    """Run the console on a real engine on ``sim_venue`` (journal under ``tmp_path``) at ``SIZE``,
    once its engine started and the first book and ticker arrived:
    ``async with console_on_sim() as (app, engine, pilot)``."""

    @asynccontextmanager
    async def run() -> AsyncIterator[tuple[TradeConsoleApp, Engine, Pilot[int]]]:
        app, engine = make_real_app(sim_venue, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await app_ready(pilot, app, engine)
            yield app, engine, pilot

    return run


@pytest.fixture
def burst() -> Burst:
    """Keys sent through the app's driver in one go (as a terminal delivers a paste or a key macro),
    then wait until the key gate has delivered every one and the workers are done."""

    async def send(pilot: Pilot[int], *keys: str) -> None:
        app = pilot.app
        assert isinstance(app, TradeConsoleApp)
        driver = app._driver
        assert driver is not None
        gate = app.key_gate
        handled = gate.delivered + gate.dropped + len(keys)
        for key in keys:
            event = events.Key(key, CHARS.get(key, key if len(key) == 1 else None))
            event.set_sender(app)
            driver.send_message(event)
        for _ in range(200):
            await pilot.pause(0.02)
            if gate.idle and gate.delivered + gate.dropped >= handled:
                break
        await pilot.pause()
        await app.workers.wait_for_complete()

    return send


@pytest.fixture
def select_order() -> SelectOrder:
    """Put the orders pane's cursor on one order."""

    async def select(pilot: Pilot[int], app: TradeConsoleApp, link: str) -> None:
        table = app.main.query_one(OrdersTable)
        table.focus()
        table.move_cursor(row=[key.value for key in table.rows].index(link))
        await pilot.pause()
        assert table.selected_key == link

    return select


@pytest.fixture
def keys() -> Keys:
    """Text as Pilot key names (typed with no pause)."""

    def names(text: str) -> list[str]:
        return [KEY_NAMES.get(ch, ch) for ch in text]

    return names


@pytest.fixture
def two(tmp_path: Path) -> Iterator[TwoVenues]:
    """The real engine over two in-process venues on virtual clocks (journal under ``tmp_path``)."""
    yield TwoVenues(tmp_path)
