"""Several strategies on the engine over the in-process venue (virtual clock): the rig the portfolio
tests share (the ``rig`` fixture in ``tests/strategy/conftest.py`` builds it), its symbol, the
test strategy that takes liquidity, and the portfolio's poll and one bar's length."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from core.engine import Engine
from core.strategy.portfolio import Portfolio
from core.strategy.slot import StrategySnapshot
from tests.support.venue_under_test import InProcessVenue

SYM = "BTCUSDT"
TAKER = "tests.strategy.portfolio_strategies:Taker"
POLL_S = 0.002
BAR_S = 61


@dataclass
class Rig:
    venue: InProcessVenue
    engine: Engine
    portfolio: Portfolio
    journal: Path

    def snap(self, name: str) -> StrategySnapshot:
        return next(s for s in self.portfolio.snapshots() if s.name == name)

    def records(self, kind: str) -> list[dict[str, object]]:
        with sqlite3.connect(self.journal) as db:
            rows = db.execute("SELECT data FROM records WHERE kind = ?", (kind,)).fetchall()
        return [json.loads(d) for (d,) in rows]

    def links(self, name: str) -> set[str]:
        slot = self.portfolio.get(name)
        assert slot is not None
        return slot.runner.links

    def account_size(self) -> Decimal:
        pos = self.engine.account().positions.get(SYM)
        return pos.signed_size if pos is not None else Decimal(0)
