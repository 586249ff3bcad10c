"""A backtest repeated with its seed is the same run, down to the client order ids: they are made
from the seed and the virtual clock, not the wall clock and the system's randomness, so two
reports of one run can be compared with ``diff``."""

from __future__ import annotations

from decimal import Decimal

from core.strategy.backtest import BacktestConfig, run_backtest
from core.strategy.data import generated_bars
from core.strategy.examples.sma_cross import SmaCross

START = 1_767_225_600_000
MINUTE = 60_000


def _fills(seed: int) -> list[tuple[object, ...]]:
    bars = list(generated_bars(7, START, START + 300 * MINUTE))
    config = BacktestConfig(seed=seed, starting_balance=Decimal(100_000), funding_rate=None)
    result = run_backtest(SmaCross(fast=3, slow=8, qty=Decimal("0.01")), bars, config)
    return [(f.order_link_id, f.order_id, f.exec_id, f.ts_ms, f.price, f.qty, f.fee) for f in result.fills]


def test_a_run_repeated_with_its_seed_makes_the_same_ids() -> None:
    first, again = _fills(7), _fills(7)
    assert len(first) > 10
    assert first == again
    assert len({f[0] for f in first}) == len(first)  # still one id per order


def test_another_seed_makes_other_ids() -> None:
    assert {f[0] for f in _fills(7)}.isdisjoint(f[0] for f in _fills(8))
