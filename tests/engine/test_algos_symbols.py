"""One tick pass over several moved symbols: when a market step moves two symbols, every algo of
both decides on it, the symbol that moved first decides first, and every decision comes before
the first command, so the commands of the pass start in one loop turn and share one journal
commit (the real engine on the in-process venue, its virtual clock advanced by the test)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core.api import CommandResult
from core.engine import Engine
from core.orders.algos.base import Action, Algo, AlgoEvent, AlgoState, Amend, MarketView, Tick
from tests.support.venue_under_test import InProcessVenue

SYMBOLS = ("BTCUSDT", "ETHUSDT")
PER_SYMBOL = 3
SEND_YIELDS = 3
Log = list[tuple[str, str]]


class Reacting(Algo):
    """Once armed, amends its (fake) child on its first market tick; logs that decision with its
    symbol."""

    kind = "reacting"

    def __init__(self, algo_id: str, symbol: str, log: Log) -> None:
        super().__init__(algo_id, symbol)
        self.status = AlgoState.RUNNING
        self.log = log
        self.reacted = False
        self.armed = False

    @classmethod
    def from_params(cls, algo_id: str, params: Mapping[str, Any]) -> Algo:
        return cls(algo_id, str(params["symbol"]), [])

    def params(self) -> Mapping[str, Any]:
        return {"symbol": self.symbol}

    def start(self, view: MarketView) -> list[Action]:
        return []

    def on_event(self, event: AlgoEvent, view: MarketView) -> list[Action]:
        if not isinstance(event, Tick) or self.reacted or not self.armed:
            return []
        self.reacted = True
        self.log.append(("decide", self.symbol))
        return [Amend(f"{self.algo_id}-1", price=Decimal(1))]

    def state(self) -> dict[str, Any]:
        return {"reacted": self.reacted}

    def restore(self, state: Mapping[str, Any]) -> None:
        self.reacted = bool(state["reacted"])


@pytest.fixture
async def started(tmp_path: Path) -> AsyncIterator[tuple[Engine, InProcessVenue]]:
    venue = InProcessVenue()
    engine = venue.engine(venue.settings(tmp_path, risk={"symbols": list(SYMBOLS)}))
    await engine.start()
    try:
        yield engine, venue
    finally:
        await engine.stop()


async def test_every_moved_symbol_decides_in_order_before_any_sends(
    started: tuple[Engine, InProcessVenue],
) -> None:
    engine, venue = started
    runner = engine.algo_runner
    log: Log = []

    async def amend(
        cid: str, qty: Decimal | None, price: Decimal | None, trigger: Decimal | None
    ) -> CommandResult:
        log.append(("send", runner.slots[cid.rsplit("-", 1)[0]].algo.symbol))
        for _ in range(SEND_YIELDS):  # a command that lets the loop run others meanwhile
            await asyncio.sleep(0)
        return CommandResult(True, "amended", cid)

    runner.ports.amend = amend
    runner.ticks.min_tick_ms = 0
    moved: list[str] = []
    market_moved = runner.ticks.market_moved

    def first_moves(symbol: str) -> None:
        if symbol not in moved:
            moved.append(symbol)
        market_moved(symbol)

    runner.ticks.market_moved = first_moves  # type: ignore[method-assign]
    runner.ticks.attach(None)
    runner.ticks.attach(engine.books)  # the books report to the wrapped trigger
    algos = [Reacting(f"zz{sym[:3].lower()}{n}", sym, log) for sym in SYMBOLS for n in range(PER_SYMBOL)]
    for algo in algos:
        runner.add(algo, engine.clock.now_ms())
    runner.ticks.tick()  # whatever moved before is ticked (nothing armed: nothing acts)
    slots = [runner.slots[a.algo_id] for a in algos]
    while any(s.busy or not s.inbox.empty() for s in slots):
        await asyncio.sleep(0)
    moved.clear()
    for algo in algos:  # the next market step is what they react to
        algo.armed = True

    venue.venue.advance(venue.venue.tick_ms)  # one market step moves both symbols
    for _ in range(200):
        if sum(1 for kind, _ in log if kind == "send") == len(algos):
            break
        await asyncio.sleep(0.001)

    assert set(moved) >= set(SYMBOLS), moved
    first, second = [s for s in moved if s in SYMBOLS][:2]
    assert sorted(log) == sorted([(k, s) for s in SYMBOLS for k in ("decide", "send")] * PER_SYMBOL)
    decisions = [s for kind, s in log if kind == "decide"]
    assert decisions == [first] * PER_SYMBOL + [second] * PER_SYMBOL, log  # in the order they moved
    assert log[: len(algos)] == [("decide", s) for s in decisions], log  # all decide before any sends
    for algo in algos:
        slot = runner.slots[algo.algo_id]
        algo.status = AlgoState.CANCELLED
        slot.inbox.put_nowait(None)
