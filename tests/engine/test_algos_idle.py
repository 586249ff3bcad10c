"""Market moves wake the algo tick loop only for symbols a live algo trades. Every book update of
every symbol woke it before, with no algo at all: a third of the console's CPU at 2,000 book
messages a second (the real engine on the in-process venue, its virtual clock advanced by the
test)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from core.engine import Engine
from core.orders.algos.base import Action, Algo, AlgoEvent, AlgoState, MarketView, Tick
from tests.support.venue_under_test import InProcessVenue

STEPS = 20


class Watching(Algo):
    """Counts its market ticks and never acts."""

    kind = "watching"

    def __init__(self, algo_id: str, symbol: str) -> None:
        super().__init__(algo_id, symbol)
        self.status = AlgoState.RUNNING
        self.ticks = 0

    @classmethod
    def from_params(cls, algo_id: str, params: Mapping[str, Any]) -> Algo:
        return cls(algo_id, str(params["symbol"]))

    def params(self) -> Mapping[str, Any]:
        return {"symbol": self.symbol}

    def start(self, view: MarketView) -> list[Action]:
        return []

    def on_event(self, event: AlgoEvent, view: MarketView) -> list[Action]:
        if isinstance(event, Tick):
            self.ticks += 1
        return []

    def state(self) -> dict[str, Any]:
        return {}

    def restore(self, state: Mapping[str, Any]) -> None:
        return None


@pytest.fixture
async def started(tmp_path: Path) -> AsyncIterator[tuple[Engine, InProcessVenue]]:
    venue = InProcessVenue()
    engine = venue.engine(venue.settings(tmp_path))
    await engine.start()
    try:
        yield engine, venue
    finally:
        await engine.stop()


async def _steps(engine: Engine, venue: InProcessVenue) -> None:
    for _ in range(STEPS):
        venue.venue.advance(venue.venue.tick_ms)
        for _ in range(3):  # the loop runs what the step woke
            await asyncio.sleep(0)


async def test_market_moves_wake_the_tick_loop_only_for_live_algos(
    started: tuple[Engine, InProcessVenue],
) -> None:
    engine, venue = started
    ticks = engine.algo_runner.ticks
    ticks.min_tick_ms = 0
    before = ticks.nudges
    await _steps(engine, venue)
    assert ticks.nudges == before  # no algo: the books' updates wake nothing

    algo = Watching("zzwatch", engine.symbols[0])
    engine.algo_runner.add(algo, engine.clock.now_ms())
    before = ticks.nudges
    await _steps(engine, venue)
    assert ticks.nudges > before
    for _ in range(500):  # the loop's pass, then the decision: wait for the tick, not a time
        if algo.ticks:
            break
        await asyncio.sleep(0.001)
    assert algo.ticks > 0
    algo.status = AlgoState.CANCELLED
    engine.algo_runner.slots[algo.algo_id].inbox.put_nowait(None)
