"""The console with ``venue.name = "multi"`` when the Hyperliquid sim is not running at start (the
two sims started as ``run_console`` starts them, then the Hyperliquid one stopped): before, the
console stayed "connecting" for good and Bybit never came up either. Now the Bybit side is up and
tradeable, the header names the venue that is down, an order for a ``.HL`` symbol is refused with
the reason (nothing sent); when the Hyperliquid sim starts, the leg is admitted by itself: the
position another client opened there appears, and the cross-venue pane follows it live. Quitting
while the leg is still down ends cleanly."""

from __future__ import annotations

from hyperliquid.exchange import Exchange

from console.app import TradeConsoleApp
from core.clock import SystemClock
from core.config import Settings
from core.engine import Engine
from core.sim.hyperliquid.keys import default_agents
from core.sim.hyperliquid.runner import HlSimThread
from core.sim.runner import SimVenueThread
from tests.support.console_late_leg import A, B, command, started_console, until
from tests.support.console_types import SIZE
from tests.support.hl_sim import SPOT_META, HlSim
from tests.support.late_leg import HL


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


def header(app: TradeConsoleApp) -> str:
    (line,) = app.main.header.status.lines
    return "".join(text for text, _ in line)


def cell(app: TradeConsoleApp, column: str) -> str:
    pane = app.main.crossvenue
    return str(pane.rows_shown[A][pane.column_keys.index(column)][0])


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
    async with started_console(settings, "the engine started with one venue down") as (app, engine, pilot):
        assert engine.startup.admission.held() == (HL,)
        app.exit(0)
        await pilot.pause()
    assert not engine.link.started
