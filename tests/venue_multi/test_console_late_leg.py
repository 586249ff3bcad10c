"""The console with ``venue.name = "multi"`` when the Hyperliquid sim is not running at start (the
two sims started as ``run_console`` starts them, then the Hyperliquid one stopped): before, the
console stayed "connecting" for good and Bybit never came up either. Now the Bybit side is up and
tradeable, the header names the venue that is down, an order for a ``.HL`` symbol is refused with
the reason (nothing sent); when the Hyperliquid sim starts, the leg is admitted by itself: the
position another client opened there appears, and the cross-venue pane follows it live. Quitting
while the leg is still down ends cleanly."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hyperliquid.exchange import Exchange
from textual.pilot import Pilot

from console.app import TradeConsoleApp
from console.runner import Stoppable, start_embedded_sims
from console.screens.cmdline import CommandLine
from core.clock import SystemClock
from core.config import Settings, load_settings
from core.engine import Engine
from core.sim.hyperliquid.keys import default_agents
from core.sim.hyperliquid.runner import HlSimThread
from core.sim.runner import SimVenueThread
from tests.support.console_types import SIZE
from tests.support.hl_sim import SPOT_META, HlSim

A, B = "BTCUSDT", "BTCUSDT.HL"
HL = "hyperliquid"
TRIES = 300
PAUSE_S = 0.1


@pytest.fixture
def hl_down(tmp_path: Path) -> Iterator[tuple[Settings, SimVenueThread]]:
    settings = load_settings(
        None,
        venue={"name": "multi"},
        sim={"port": 0, "seed": 7},
        risk={"symbols": [A, B]},
        ui={"default_symbol": A, "theme": "trade-dark"},
        journal={"path": str(tmp_path / "journal.db")},
        metrics={"enabled": False, "log_dir": str(tmp_path / "logs")},
    )
    sims: list[Stoppable]
    sims, settings = start_embedded_sims(settings)
    bybit, hl = sims
    hl.stop()  # the Hyperliquid sim is not running when the console starts
    assert isinstance(bybit, SimVenueThread)
    try:
        yield settings, bybit
    finally:
        bybit.stop()


def start_hl(settings: Settings) -> HlSim:
    """The Hyperliquid sim, started where the console's second leg looks for it."""
    thread = HlSimThread(
        seed=settings.sim.seed,
        agents=default_agents(),
        host=settings.sim.host,
        port=settings.sim.port + 1,
        market_rate_hz=settings.sim.market_rate_hz,
        starting_balance=settings.sim.starting_balance,
    ).start()
    return HlSim(thread, SystemClock())


async def until(pilot: Pilot[int], cond: Callable[[], bool], what: str) -> None:
    for _ in range(TRIES):
        if cond():
            return
        await pilot.pause(PAUSE_S)
    raise AssertionError(f"timed out waiting for {what}")


def header(app: TradeConsoleApp) -> str:
    (line,) = app.main.header.status.lines
    return "".join(text for text, _ in line)


def cell(app: TradeConsoleApp, column: str) -> str:
    pane = app.main.crossvenue
    return str(pane.rows_shown[A][pane.column_keys.index(column)][0])


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


async def test_bybit_trades_while_hyperliquid_is_down_and_hyperliquid_is_admitted_once_it_starts(
    hl_down: tuple[Settings, SimVenueThread],
) -> None:
    settings, _ = hl_down
    engine = Engine(settings)
    app = TradeConsoleApp(engine, settings)
    hl: HlSim | None = None
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.engine_started, "the engine started with one venue down")
            await until(pilot, lambda: f"{HL} down" in header(app), "the header naming the venue down")
            assert B in app.symbols  # held, not "not listed"

            await command(pilot, app, f"buy 0.001 {A.lower()}")
            await until(pilot, lambda: A in engine.state.positions, "the Bybit buy filled")

            said = await command(pilot, app, f"buy 0.001 {B.lower()}")
            reason = f"venue {HL} is down"
            await until(
                pilot,
                lambda: reason in said or any(reason in line for line in app.main.log_pane.history),
                "the .HL order refused naming the venue",
            )
            assert B not in engine.state.positions and not any(
                o.symbol == B for o in engine.state.orders.values()
            )

            await pilot.press("7")
            await until(pilot, lambda: A in app.main.crossvenue.rows_shown, "the pane's row")
            assert cell(app, "ab") == "stale"  # nothing against the down venue looks live

            hl = start_hl(settings)
            ex = Exchange(hl.agent, hl.base_url, account_address=hl.user, meta=hl.meta, spot_meta=SPOT_META)
            ex.market_open("BTC", True, 0.001)  # another client's position, opened while we were away
            await until(pilot, lambda: f"{HL} down" not in header(app), "the leg admitted by itself")
            await until(pilot, lambda: B in engine.state.positions, "its position in the engine")
            await until(pilot, lambda: cell(app, "ab") != "stale", "the pane live on both venues")
            first = (cell(app, "bid_b"), cell(app, "ask_b"))
            await until(
                pilot, lambda: (cell(app, "bid_b"), cell(app, "ask_b")) != first, "pane 7 updating live"
            )
    finally:
        if hl is not None:
            hl.thread.stop()


async def test_quitting_while_a_venue_is_still_down_ends_cleanly(
    hl_down: tuple[Settings, SimVenueThread],
) -> None:
    settings, _ = hl_down
    engine = Engine(settings)
    app = TradeConsoleApp(engine, settings)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.engine_started, "the engine started with one venue down")
        assert engine.startup.admission.held() == (HL,)
        app.exit(0)
        await pilot.pause()
    assert not engine.link.started
