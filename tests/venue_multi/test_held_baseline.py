"""The daily-loss baseline of a session that starts while the Hyperliquid venue is down counts
Bybit alone: it must not be journaled as the day's opening baseline, or the next session takes it
once Hyperliquid is admitted and the Hyperliquid wallet reads as the day's profit (a profit that
hides a loss that size from the daily-loss breaker)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from core.engine import Engine
from tests.support.late_leg import HL, START_S, TIMING, WAIT_S, DownLeg, wallet_now
from tests.support.venue_under_test import wait_real
from tests.venue_multi.conftest import multi_settings


async def test_a_baseline_taken_while_a_venue_is_held_is_not_the_days_opening(
    down: DownLeg, tmp_path: Path
) -> None:
    settings = multi_settings(down, tmp_path, ui={"default_symbol": "ETHUSDT"})  # type: ignore[arg-type]
    first = Engine(settings, recovery=TIMING)  # an earlier session today, Hyperliquid down throughout
    await asyncio.wait_for(first.start(), START_S)
    assert first.startup.admission.held() == (HL,)
    await wait_real(lambda: first.guards.board.baseline() is not None, WAIT_S, "a baseline without it")
    bybit_wallet = wallet_now(first)
    await first.stop()

    engine = Engine(settings, recovery=TIMING)  # Hyperliquid down at start again, then back
    try:
        await asyncio.wait_for(engine.start(), START_S)
        board = engine.guards.board
        await wait_real(lambda: board.baseline() is not None, WAIT_S, "a baseline without Hyperliquid")
        down.relay.on()
        await wait_real(lambda: engine.startup.admission.admitted == [HL], WAIT_S, "admitted")
        assert wallet_now(engine) > bybit_wallet * 3 / 2  # both wallets now
        assert abs(board.daily_pnl) < bybit_wallet / 4  # the Hyperliquid wallet is no day's profit
    finally:
        await engine.stop()
