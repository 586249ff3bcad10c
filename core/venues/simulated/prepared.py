"""Seeded exchanges built once and handed out as independent copies.

Building a :class:`~core.sim.exchange.SimExchange` synthesises a day of candle history and a deep
book for every symbol, which costs far more than the run that follows in a short backtest or an
engine test. The state right after building depends only on the seed, the start time, the symbols
and the starting balance, so it is built once per such key and every caller gets its own copy (a
pickle round trip of our own bytes: the generator's and the matcher's random states travel with
it, so a copy steps exactly as a freshly built exchange would).
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from decimal import Decimal
from functools import lru_cache

from core.clock import FrozenClock
from core.sim.exchange import SimExchange

KEPT = 8
"""Prepared states kept (one per seed, start time, symbols and balance)."""


@lru_cache(maxsize=KEPT)
def _state(seed: int, start_ms: int, symbols: tuple[str, ...], starting_balance: Decimal) -> bytes:
    exchange = SimExchange(
        seed=seed, clock=FrozenClock(start_ms), starting_balance=starting_balance, symbols=symbols
    )
    return pickle.dumps(exchange, protocol=pickle.HIGHEST_PROTOCOL)


def prepared_exchange(
    *, seed: int, start_ms: int, symbols: Sequence[str], starting_balance: Decimal
) -> SimExchange:
    """A new exchange on its own :class:`~core.clock.FrozenClock` at ``start_ms``, the same as
    ``SimExchange(seed=seed, clock=FrozenClock(start_ms), ...)`` would build (its clock is
    ``exchange.clock``)."""
    exchange = pickle.loads(_state(seed, start_ms, tuple(symbols), starting_balance))  # our own bytes only
    assert isinstance(exchange, SimExchange)
    return exchange
