"""The runner's ordering: every algo a market move concerns decides before any of them sends,
and one algo's actions are carried out in the order it decided them, step after step."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from core.api import CommandResult
from core.engine import Engine
from core.orders.algos.base import Action, Algo, AlgoEvent, AlgoState, Amend, MarketView, Tick
from tests.support.engine_types import SYM, Ready, WaitFor

STEPS = 4
ACTIONS_PER_STEP = 3
SLOW_SEND_YIELDS = 5


class Recorder(Algo):
    """Amends its (fake) child three times on each tick; the prices number the step and action."""

    kind = "recorder"

    def __init__(self, algo_id: str, log: list[tuple[str, str, Decimal | None]]) -> None:
        super().__init__(algo_id, SYM)
        self.status = AlgoState.RUNNING
        self.log = log
        self.steps = 0

    @classmethod
    def from_params(cls, algo_id: str, params: Mapping[str, Any]) -> Algo:
        return cls(algo_id, [])

    def params(self) -> Mapping[str, Any]:
        return {"symbol": SYM}

    def start(self, view: MarketView) -> list[Action]:
        return []

    def on_event(self, event: AlgoEvent, view: MarketView) -> list[Action]:
        if not isinstance(event, Tick) or self.steps >= STEPS:
            return []
        self.steps += 1
        self.log.append(("decide", self.algo_id, None))
        child = f"{self.algo_id}-1"
        return [Amend(child, price=Decimal(self.steps * 10 + i)) for i in range(ACTIONS_PER_STEP)]

    def state(self) -> dict[str, Any]:
        return {"steps": self.steps}

    def restore(self, state: Mapping[str, Any]) -> None:
        self.steps = int(state["steps"])


async def test_decisions_first_and_each_algos_actions_in_order(
    engine: Engine, ready: Ready, wait_for: WaitFor
) -> None:
    await ready(engine)
    runner = engine.algo_runner
    log: list[tuple[str, str, Decimal | None]] = []

    async def slow_amend(
        cid: str, qty: Decimal | None, price: Decimal | None, trigger: Decimal | None
    ) -> CommandResult:
        log.append(("send", cid.rsplit("-", 1)[0], price))
        for _ in range(SLOW_SEND_YIELDS):  # a send that lets the loop run others meanwhile
            await asyncio.sleep(0)
        return CommandResult(True, "amended", cid)

    runner.ports.amend = slow_amend
    runner.ticks.min_tick_ms = 0
    algos = [Recorder(f"zz{n}", log) for n in range(3)]
    slots = [runner.add(a, engine.clock.now_ms()) for a in algos]
    await asyncio.sleep(0.05)  # their workers are idle
    for slot in slots:
        runner.ticks._queue(slot, Tick(engine.clock.now_ms()))
    await asyncio.sleep(0.01)  # their workers have started sending
    first = [kind for kind, _, _ in log[: len(algos)]]
    assert first == ["decide"] * len(algos)  # all decided before the first send

    while any(a.steps < STEPS for a in algos):  # ticks arrive while the algos are still sending
        for slot in slots:
            runner.ticks._queue(slot, Tick(engine.clock.now_ms()))
        await asyncio.sleep(0)
    await wait_for(
        lambda: sum(1 for e in log if e[0] == "send") == len(algos) * STEPS * ACTIONS_PER_STEP,
        timeout=10,
        what="every amend sent",
    )
    for algo in algos:
        prices = [p for kind, who, p in log if kind == "send" and who == algo.algo_id]
        expected = [Decimal(s * 10 + i) for s in range(1, STEPS + 1) for i in range(ACTIONS_PER_STEP)]
        assert prices == expected
    for slot in slots:
        slot.algo.status = AlgoState.CANCELLED
        slot.inbox.put_nowait(None)
