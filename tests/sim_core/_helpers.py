"""Helpers for driving the sim exchange core directly."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from core.clock import FrozenClock
from core.sim.exchange import SimError, SimExchange
from tests.support.sim_json import JsonExchange, json_view

KEY = "test-key"


class Recorder:
    """Collects public and private listener output."""

    def __init__(self, ex: JsonExchange) -> None:
        self.public: list[tuple[str, dict[str, Any]]] = []
        self.private: list[tuple[str, str, list[dict[str, Any]]]] = []
        ex.add_public_listener(lambda t, m: self.public.append((t, m)))
        ex.add_private_listener(lambda k, t, d: self.private.append((k, t, d)))

    def items(self, topic: str) -> list[dict[str, Any]]:
        """Every private item pushed on ``topic``."""
        return [it for _, t, d in self.private if t == topic for it in d]


def make(seed: int = 7, **kw: Any) -> tuple[JsonExchange, FrozenClock]:
    """An exchange on a frozen clock, stepped a little so every book is live."""
    clock = FrozenClock()
    ex = json_view(SimExchange(seed=seed, clock=clock, **kw))
    ex.ensure_account(KEY)
    for _ in range(5):
        clock.advance(10)
        ex.step()
    return ex, clock


def run(ex: JsonExchange, clock: FrozenClock, n: int, ms: int = 10) -> None:
    """Advance ``n`` steps of ``ms`` each."""
    for _ in range(n):
        clock.advance(ms)
        ex.step()


def order(ex: JsonExchange, **p: Any) -> dict[str, Any]:
    """Create an order with defaults (linear BTCUSDT)."""
    params: dict[str, Any] = {"category": "linear", "symbol": "BTCUSDT"}
    params.update(p)
    return ex.order_create(KEY, params)


def code(fn: Any, *a: Any, **kw: Any) -> int:
    """The retCode raised by ``fn(*a, **kw)`` (fails the test if nothing is raised)."""
    with pytest.raises(SimError) as ei:
        fn(*a, **kw)
    return ei.value.ret_code


def top(ex: JsonExchange, symbol: str = "BTCUSDT") -> tuple[Decimal, Decimal]:
    """(best bid, best ask) from REST."""
    ob = ex.orderbook({"category": "linear", "symbol": symbol, "limit": "1"})
    return Decimal(ob["b"][0][0]), Decimal(ob["a"][0][0])


def mark(ex: JsonExchange, symbol: str = "BTCUSDT") -> Decimal:
    """Mark price from REST tickers."""
    return Decimal(ex.tickers({"category": "linear", "symbol": symbol})["list"][0]["markPrice"])


def position(ex: JsonExchange, symbol: str = "BTCUSDT") -> dict[str, Any]:
    """The position row of ``symbol``."""
    return dict(ex.position_list(KEY, {"category": "linear", "symbol": symbol})["list"][0])


def wallet(ex: JsonExchange) -> dict[str, Any]:
    """The wallet-balance list item."""
    return dict(ex.account_wallet_balance(KEY, {"accountType": "UNIFIED"})["list"][0])


def get_order(ex: JsonExchange, order_id: str) -> dict[str, Any]:
    """An order from realtime (open) or history (closed)."""
    got = ex.order_realtime(KEY, {"category": "linear", "symbol": "BTCUSDT", "orderId": order_id})["list"]
    if got:
        return dict(got[0])
    hist = ex.order_history(KEY, {"category": "linear", "orderId": order_id})["list"]
    assert hist, order_id
    return dict(hist[0])


def snapshot(ex: JsonExchange, topic: str) -> dict[str, Any]:
    """The first message a new subscriber of ``topic`` gets (the topic must be valid)."""
    snap = ex.public_snapshot(topic)
    assert snap is not None, f"no snapshot for {topic}"
    return snap
