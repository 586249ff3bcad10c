"""A backtest's result is never formatted on the way out of the event loop.

On Python 3.11, :func:`asyncio.run` formats its main task, and so the task's result, when it puts
back the SIGINT handler; a result of a million equity points took seconds to format. The runner's
main coroutine returns None and the result is read from the backtest after the loop has closed.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from core.strategy.backtest import BacktestConfig, run_backtest
from core.strategy.backtest_types import BacktestResult
from core.strategy.data import generated_bars
from core.strategy.examples.sma_cross import SmaCross

START = 1_767_225_600_000
MINUTE = 60_000


def test_the_result_is_not_formatted(monkeypatch: pytest.MonkeyPatch) -> None:
    assert threading.current_thread() is threading.main_thread()  # where asyncio.run minds SIGINT
    formatted: list[int] = []

    def counted(self: BacktestResult) -> str:
        formatted.append(len(self.equity))
        return "BacktestResult(...)"

    monkeypatch.setattr(BacktestResult, "__repr__", counted)
    bars = list(generated_bars(7, START, START + 200 * MINUTE))
    config = BacktestConfig(seed=7, starting_balance=Decimal(100_000), funding_rate=None)
    result = run_backtest(SmaCross(fast=2, slow=5, qty=Decimal("0.01")), bars, config)
    assert len(result.equity) == 200 and result.fills  # the run traded and kept its curve
    assert formatted == []
