"""A sweep over a strategy whose best parameters are known: ``Hold`` buys or sells on the first of
a dozen rising one-minute bars and holds, so long is the best; ``spec`` is a small sweep of it on a
SQLite study under the test's folder (worker processes import the strategy from here)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from core.model import Side
from core.strategy.base import Bar, Strategy
from core.strategy.params import Param
from core.strategy.sweep import BarSource, SweepSpec
from tests.support.ramp_bars import MINUTE_MS, ramp_csv

START = 1767225600000
BARS = 12


class Hold(Strategy):
    """Buys or sells ``qty`` on the first bar and holds: on rising bars, long is the best."""

    name = "hold"
    params = (Param("side", str, "long"), Param("qty", Decimal, Decimal("0.01")))
    side: str
    qty: Decimal

    def on_bar(self, bar: Bar) -> None:
        if len(self.ctx.bars) == 1 and self.side != "flat":
            self.ctx.market(Side.BUY if self.side == "long" else Side.SELL, self.qty)


def rising_csv(path: Path) -> Path:
    """A dozen bars, each 100 above the last and closing 100 above its open."""
    return ramp_csv(path, START, BARS, 100, (120, -20, 100))


def spec(tmp_path: Path, **kw: object) -> SweepSpec:
    base: dict[str, object] = dict(
        strategy=f"{__name__}:Hold",
        space="side=long|short|flat qty=0.01|0.02",
        bars=BarSource(START, START + BARS * MINUTE_MS, path=rising_csv(tmp_path / "bars.csv")),
        storage=f"sqlite:///{tmp_path / 'sweep.db'}",
        study="hold",
        metric="total_return",
        trials=6,
    )
    base.update(kw)
    return SweepSpec(**base)  # type: ignore[arg-type]
