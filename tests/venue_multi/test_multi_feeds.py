"""The composite's feed sinks: every event's symbol qualified, stream states named per leg, the
balance delivered as the sum of the legs once every leg has one."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from core.model import Balance, Side, Trade
from core.venues.base import BookDelta
from core.venues.multi.feeds import BalanceMerger, LegSink
from core.venues.multi.legs import Naming


class Recorder:
    """A FeedSink that keeps what it is given."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        return lambda *args: self.calls.append((name, args))


def balance(equity: str) -> Balance:
    return Balance("USDT", Decimal(equity), Decimal(equity), Decimal(equity))


def test_events_are_qualified_and_states_named_per_leg() -> None:
    out = Recorder()
    merger = BalanceMerger(["bybit", "hyperliquid"], out)
    hl = LegSink(Naming("hyperliquid"), out, merger)
    bybit = LegSink(Naming("bybit"), out, merger)
    hl.book_delta(BookDelta("ETHUSDT", ((1.0, 2.0),), (), 5, 1))
    hl.trade(Trade("ETHUSDT", Side.BUY, Decimal(1), Decimal(1), 1))
    bybit.trade(Trade("ETHUSDT", Side.BUY, Decimal(1), Decimal(1), 1))
    hl.connection("private", "down", "socket closed")
    hl.connection("book:ETHUSDT", "stale", "quiet")
    hl.connection("public", "resync", "reconnected")
    bybit.connection("private", "up", "")
    assert out.calls[0][1][0].symbol == "ETHUSDT.HL"
    assert [c[1][0].symbol for c in out.calls[1:3]] == ["ETHUSDT.HL", "ETHUSDT"]
    states = [c[1][:2] for c in out.calls if c[0] == "connection"]
    assert states == [
        ("private:hl", "down"),
        ("book:ETHUSDT.HL", "stale"),
        ("public:hl", "resync"),
        ("public", "resync"),  # the engine's REST resync runs for the second leg's reconnect too
        ("private", "up"),
    ]


def test_balance_is_the_sum_once_every_leg_reported() -> None:
    out = Recorder()
    merger = BalanceMerger(["bybit", "hyperliquid"], out)
    LegSink(Naming("bybit"), out, merger).balance(balance("100"))
    assert out.calls == []  # never a partial sum
    LegSink(Naming("hyperliquid"), out, merger).balance(balance("50"))
    [(name, (total,))] = out.calls
    assert name == "balance" and total.equity == Decimal(150) and total.available == Decimal(150)
