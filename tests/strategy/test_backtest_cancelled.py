"""A backtest cancelled mid-run (Ctrl-C: ``asyncio.run`` cancels its main task wherever it waits)
leaves nothing behind on the loop. The runner's wait for the engine to apply the venue's pushes
was a future whose result a queued callback set; when the cancel landed on that wait, setting the
result of the future the cancel had cancelled printed ``Exception in callback
Future.set_result(None)`` and ``InvalidStateError`` before the run's own message."""

from __future__ import annotations

import asyncio
import contextlib
from decimal import Decimal
from typing import Any

from core.strategy.backtest import Backtest, BacktestConfig
from core.strategy.data import generated_bars
from core.strategy.examples.sma_cross import SmaCross

START = 1_767_225_600_000
MINUTE = 60_000


def test_a_run_cancelled_at_any_wait_reports_no_error_on_the_loop() -> None:
    bars = list(generated_bars(7, START, START + 3000 * MINUTE))  # no run ends before its cancel
    config = BacktestConfig(seed=7, starting_balance=Decimal(100_000), funding_rate=None)
    errors: list[dict[str, Any]] = []
    stopped = 0
    landings = range(20, 400, 13)
    for turns in landings:  # the cancel lands at a different wait each time
        backtest = Backtest(SmaCross(fast=2, slow=5, qty=Decimal("0.01")), config)

        async def main(backtest: Backtest = backtest, turns: int = turns) -> bool:
            asyncio.get_running_loop().set_exception_handler(lambda _loop, ctx: errors.append(ctx))
            run = asyncio.ensure_future(backtest.run(bars))
            for _ in range(turns):
                await asyncio.sleep(0)
            run.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await run
            for _ in range(5):  # what the cancel left queued runs now
                await asyncio.sleep(0)
            return run.cancelled()

        stopped += asyncio.run(main())
    assert stopped > len(landings) // 2  # the cancels did stop runs mid-way
    assert errors == []
