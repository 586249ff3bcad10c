"""What a backtest asks of the in-process venue: bar-by-bar drives, and whether a bar can matter.

:class:`BarDriver` is the venue's ``bars`` part (``SimulatedVenue.bars``). A backtest moves the
market to a bar's prices with :meth:`BarDriver.drive` (or lets the generator move it over a
latency with :meth:`BarDriver.wander`), and asks before each bar whether the venue has anything a
move could act on (:meth:`BarDriver.market_idle`: no resting order, no conditional, no TP/SL or
trailing stop) and when the next funding time is (:meth:`BarDriver.next_funding_ms`), so it can
leave the market where it is over bars where nothing can happen at the venue.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from core.model import Side

if TYPE_CHECKING:
    from core.venues.simulated.venue import SimulatedVenue


class BarDriver:
    """Bar-mode drives of one in-process venue (see the module docstring)."""

    def __init__(self, venue: SimulatedVenue) -> None:
        self._venue = venue
        self.drives = 0
        """Market drives so far (:meth:`drive`)."""

    def drive(self, symbol: str, price: float, at_ms: int, takes: Side | None = None) -> None:
        """Jump to ``at_ms`` (no market ticks in between) and move ``symbol``'s market to
        ``price`` (a backtest's bar price): the book re-centres there and a trade prints there,
        so a market order sent now fills within a tick of that price and resting orders see it;
        the running feeds deliver what changed before this returns.

        ``takes``: the side of an order about to take the book at this price; the book quotes
        the price's tick on that side (the best ask for a buy, the best bid for a sell, the
        spread behind it), so a market order within the touch's size fills at the price itself."""
        take = 0 if takes is None else (1 if takes is Side.BUY else -1)
        venue = self._venue
        with venue.lock:
            venue.jump(at_ms)
            venue.exchange.drive(symbol, price, at_ms, take)
            self.drives += 1

    def wander(self, at_ms: int) -> None:
        """Jump to ``at_ms`` and let the market generator move the market over the time elapsed
        (one seeded random-walk step: price, book and trade flow), as it would have meanwhile;
        the running feeds deliver what changed before this returns."""
        venue = self._venue
        with venue.lock:
            venue.jump(at_ms)
            venue.exchange.step(at_ms)

    def set_bar_mode(self, on: bool = True) -> None:
        """Bar mode, for a backtest that drives the market bar by bar (before the feeds start):
        the streams carry the top of book and tickers without 24 h statistics, and no trade or
        kline topics. Orders, fills and the account's pushes are unchanged."""
        self._venue.bar_mode = on
        self._venue.exchange.set_bar_mode(on)

    def set_funding_rate(self, rate: Decimal | tuple[tuple[int, Decimal], ...] | None) -> None:
        """Settle every open position at ``rate`` at each funding time; None pays no funding; a
        recorded series of (funding time ms, rate) settles at its own times and rates."""
        with self._venue.lock:
            funding = self._venue.exchange.funding
            funding.enabled = rate is not None
            if rate is not None:
                funding.set_rate(rate)

    def next_funding_ms(self) -> int | None:
        """The next funding time (the first market move at or after it settles every open
        position at the mark standing before the move); None when no funding is paid."""
        funding = self._venue.exchange.funding
        return funding.next_ms if funding.enabled else None

    def market_idle(self, symbol: str) -> bool:
        """True when a move of ``symbol``'s market can act on nothing but the liquidation check
        and funding: no resting order, no untriggered conditional, no TP/SL or trailing stop."""
        matcher = self._venue.exchange.matcher
        waiting = matcher.buys[symbol] or matcher.sells[symbol] or matcher.conditionals[symbol]
        return not (waiting or matcher.tpsl[symbol])

    def private_pushes(self) -> int:
        """Private messages (orders, executions, positions, wallet) the feeds delivered so far."""
        return sum(feeds.messages["private"] for feeds in self._venue.started_feeds)
