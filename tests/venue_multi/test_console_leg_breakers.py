"""A second venue's own API-failure breaker in the console, on both sims over loopback: during a
Hyperliquid outage ``api_failures:hyperliquid`` trips (the account's ``api_failures`` does not),
``R`` lists it with its reason like any other breaker, and a reset with a reason closes it and is
journaled with who asked."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from textual.pilot import Pilot

from console.app import TradeConsoleApp
from console.screens.breakers import PRESET_REASONS, BreakerResetScreen
from console.screens.modals import ConfirmScreen
from core.engine import Engine
from core.model import OrderRequest, OrderType, Side
from core.resilience.retry import RetryPolicy
from tests.support.console_types import SIZE
from tests.venue_multi.conftest import BothSims, multi_settings

HL_BREAKER = "api_failures:hyperliquid"
OUTAGE = 10_000
TRIES = 300


async def until(pilot: Pilot[int], cond: Callable[[], bool], what: str) -> None:
    for _ in range(TRIES):
        if cond():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def test_the_hyperliquid_breaker_is_listed_and_reset_from_the_console(
    sims: BothSims, tmp_path: Path
) -> None:
    settings = multi_settings(
        sims,
        tmp_path,
        breakers={"api_failures": 2, "endpoint_open_after": 2},
        ui={"default_symbol": "ETHUSDT"},
    )
    engine = Engine(settings, retry_policy=RetryPolicy(base_s=0.01, cap_s=0.05, max_attempts=2))
    app = TradeConsoleApp(engine, settings)
    async with app.run_test(size=SIZE) as pilot:
        await until(
            pilot,
            lambda: app.engine_started and engine.store.ticker("ETHUSDT.HL") is not None,
            "the engine started with a Hyperliquid ticker",
        )
        sims.hl.fail_next(OUTAGE)
        for _ in range(2):
            res = await engine.place(OrderRequest("ETHUSDT.HL", Side.BUY, Decimal("0.01"), OrderType.MARKET))
            assert not res.ok
        await until(pilot, lambda: engine.breaker_board.is_tripped(HL_BREAKER), f"{HL_BREAKER} tripped")
        assert not engine.breaker_board.is_tripped("api_failures")
        sims.hl.fail_next(0)

        await pilot.press("R")
        box = app.screen
        assert isinstance(box, BreakerResetScreen)
        assert box.selected == HL_BREAKER, box.selected
        await pilot.press("enter", "enter")
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert f"Reset {HL_BREAKER}?" in confirm.body and PRESET_REASONS[0] in confirm.body
        await pilot.press("y")
        await until(pilot, lambda: not engine.breaker_board.is_tripped(HL_BREAKER), "the reset")
        resets = [
            r.data for r in engine.journal.query(kinds=["breaker_reset"]) if r.data["name"] == HL_BREAKER
        ]
        assert resets and resets[-1]["who"] == "console" and resets[-1]["note"] == PRESET_REASONS[0]
