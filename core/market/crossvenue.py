"""The same asset on two venues: executable spreads after fees, basis, funding, spread alerts.

Pure Decimal arithmetic over plain quotes; the console reads the store's books and tickers and the
engine's fee rates into :class:`VenueQuote` values and hands them here.

* ``A→B`` is buying on venue A at A's best ask and selling on venue B at B's best bid, each leg
  paying its venue's taker fee: ``(bidB·(1−feeB) − askA·(1+feeA)) / (askA·(1+feeA))`` in bps.
  Positive means the round trip earns money at the top of both books. ``B→A`` is the reverse.
* basis is B's mid against A's mid, in bps of A's mid.
* :class:`SpreadAlerts` fires once when a direction's spread reaches the threshold and re-arms
  when it falls back :data:`REARM_BPS` below it (a spread hovering at the threshold alerts once,
  not at every tick that crosses it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from core.model import BookView, Ticker
from core.venues.naming import PRIMARY_VENUE, split

BPS = Decimal(10_000)
ONE = Decimal(1)
TWO = Decimal(2)
PAIR = 2
"""Venues an asset needs to be listed on to get a row."""
A_TO_B = "A→B"
"""Buy on venue A, sell on venue B."""
B_TO_A = "B→A"
"""Buy on venue B, sell on venue A."""


@dataclass(frozen=True, slots=True)
class VenueQuote:
    """One venue's side of an asset: top of book, taker fee and funding."""

    symbol: str
    bid: Decimal | None
    ask: Decimal | None
    taker_fee: Decimal
    funding_rate: Decimal | None = None
    next_funding_ms: int = 0
    """Epoch ms of the next funding settlement (0: the venue did not say)."""

    @property
    def mid(self) -> Decimal | None:
        """The mid price, when both sides are quoted."""
        if self.bid is None or self.ask is None:
            return None
        return (self.bid + self.ask) / TWO


@dataclass(frozen=True, slots=True)
class CrossView:
    """One asset on venues A and B, with the spreads both ways after fees and the basis."""

    asset: str
    a: VenueQuote
    b: VenueQuote
    a_to_b_bps: Decimal | None
    """Buy on A at A's ask, sell on B at B's bid, after both taker fees (None without quotes)."""
    b_to_a_bps: Decimal | None
    """Buy on B at B's ask, sell on A at A's bid, after both taker fees."""
    basis_bps: Decimal | None
    """B's mid minus A's mid, in bps of A's mid."""

    def spread(self, direction: str) -> Decimal | None:
        """The spread after fees in ``direction`` (:data:`A_TO_B` or :data:`B_TO_A`)."""
        return self.a_to_b_bps if direction == A_TO_B else self.b_to_a_bps


@dataclass(frozen=True, slots=True)
class SpreadAlert:
    """A spread that just reached the alert threshold."""

    asset: str
    direction: str
    bps: Decimal
    threshold_bps: Decimal

    @property
    def message(self) -> str:
        """One line for the log and the toast."""
        return (
            f"{self.asset} {self.direction} spread {self.bps:.2f} bps after fees"
            f" (alert at {self.threshold_bps} bps)"
        )


def raw_spread_bps(buy_ask: Decimal, sell_bid: Decimal) -> Decimal:
    """Selling at ``sell_bid`` against buying at ``buy_ask``, before fees, in bps of the buy."""
    return (sell_bid - buy_ask) / buy_ask * BPS


def spread_after_fees_bps(
    buy_ask: Decimal, buy_fee: Decimal, sell_bid: Decimal, sell_fee: Decimal
) -> Decimal:
    """Buying at ``buy_ask`` plus its taker fee and selling at ``sell_bid`` less its taker fee, in
    bps of what the buy costs. Never better than :func:`raw_spread_bps` for fees >= 0."""
    cost = buy_ask * (ONE + buy_fee)
    proceeds = sell_bid * (ONE - sell_fee)
    return (proceeds - cost) / cost * BPS


def basis_bps(a: VenueQuote, b: VenueQuote) -> Decimal | None:
    """B's mid minus A's mid, in bps of A's mid (None without both mids)."""
    ma, mb = a.mid, b.mid
    if ma is None or mb is None or ma <= 0:
        return None
    return (mb - ma) / ma * BPS


def _directed(buy: VenueQuote, sell: VenueQuote) -> Decimal | None:
    if buy.ask is None or sell.bid is None or buy.ask <= 0:
        return None
    return spread_after_fees_bps(buy.ask, buy.taker_fee, sell.bid, sell.taker_fee)


def cross_view(asset: str, a: VenueQuote, b: VenueQuote) -> CrossView:
    """The asset's spreads both ways after fees and its basis."""
    return CrossView(asset, a, b, _directed(a, b), _directed(b, a), basis_bps(a, b))


def quote_of(symbol: str, book: BookView | None, ticker: Ticker | None, taker_fee: Decimal) -> VenueQuote:
    """A venue's quote from its latest book (best bid/ask) or, without one, its ticker."""
    bid = book.best_bid if book is not None else None
    ask = book.best_ask if book is not None else None
    if ticker is not None:
        bid = bid if bid is not None else (ticker.bid1 or None)
        ask = ask if ask is not None else (ticker.ask1 or None)
    return VenueQuote(
        symbol,
        bid,
        ask,
        taker_fee,
        ticker.funding_rate if ticker is not None else None,
        ticker.next_funding_ms if ticker is not None else 0,
    )


def pair_symbols(symbols: Iterable[str]) -> list[tuple[str, str, str]]:
    """``(asset, symbol on A, symbol on B)`` for every asset listed on two venues, in first-listed
    order. A is the primary venue when the asset is on it; otherwise the first listed."""
    by_asset: dict[str, dict[str, str]] = {}
    for sym in symbols:
        try:
            asset, venue = split(sym)
        except ValueError:
            continue
        by_asset.setdefault(asset, {}).setdefault(venue, sym)
    pairs: list[tuple[str, str, str]] = []
    for asset, venues in by_asset.items():
        if len(venues) < PAIR:
            continue
        first = venues.get(PRIMARY_VENUE) or next(iter(venues.values()))
        second = next(s for s in venues.values() if s != first)
        pairs.append((asset, first, second))
    return pairs


REARM_BPS = Decimal(1)
"""How far below the threshold a spread must fall before its alert can fire again."""


class SpreadAlerts:
    """Fires once per asset and direction when the spread after fees reaches the threshold;
    re-arms when it falls :data:`REARM_BPS` below it (a missing quote leaves the state as it was)."""

    def __init__(self, threshold_bps: Decimal) -> None:
        self.threshold_bps = threshold_bps
        self._above: set[tuple[str, str]] = set()

    def above(self, asset: str, direction: str) -> bool:
        """True while the direction's spread is at or above the threshold (it has alerted)."""
        return (asset, direction) in self._above

    def check(self, views: Iterable[CrossView]) -> list[SpreadAlert]:
        """The alerts that fire now."""
        fired: list[SpreadAlert] = []
        for view in views:
            for direction in (A_TO_B, B_TO_A):
                bps = view.spread(direction)
                if bps is None:
                    continue
                key = (view.asset, direction)
                if bps >= self.threshold_bps:
                    if key not in self._above:
                        self._above.add(key)
                        fired.append(SpreadAlert(view.asset, direction, bps, self.threshold_bps))
                elif bps < self.threshold_bps - REARM_BPS:
                    self._above.discard(key)
        return fired


def views_of(
    pairs: Iterable[tuple[str, str, str]],
    books: Mapping[str, BookView | None],
    tickers: Mapping[str, Ticker],
    fees: Mapping[str, Decimal],
) -> list[CrossView]:
    """A :class:`CrossView` per pair from the latest books, tickers and taker fees by symbol."""
    out: list[CrossView] = []
    for asset, sa, sb in pairs:
        qa = quote_of(sa, books.get(sa), tickers.get(sa), fees.get(sa, Decimal(0)))
        qb = quote_of(sb, books.get(sb), tickers.get(sb), fees.get(sb, Decimal(0)))
        out.append(cross_view(asset, qa, qb))
    return out


__all__ = [
    "A_TO_B",
    "B_TO_A",
    "CrossView",
    "SpreadAlert",
    "SpreadAlerts",
    "VenueQuote",
    "basis_bps",
    "cross_view",
    "pair_symbols",
    "quote_of",
    "raw_spread_bps",
    "spread_after_fees_bps",
    "views_of",
]
