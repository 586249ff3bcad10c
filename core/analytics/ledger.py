"""Realised and unrealised PnL from fills, on the average-cost basis perps exchanges use.

Each symbol holds one net position (one-way mode). A fill in the position's direction (or from
flat) adds to its cost basis; a fill against it closes up to the position's size, realising
``(price - average entry) * closed qty`` for a long and the opposite for a short, and any rest
opens a new position at the fill's price. The basis is kept as a total (``cost``), not as a
rounded average, so a position closed back to flat realises exactly
``sign * (exit notional - entry notional)``.

Realised PnL here is price PnL; fees and funding are kept apart, and equity is
``initial cash + realised - fees - funding + unrealised``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from core.analytics.types import ClosedTrade, EquityPoint, FundingPayment
from core.model import ZERO, Side


class FillLike(Protocol):
    """What the ledger reads from a fill (``core.model.Fill`` has it)."""

    @property
    def symbol(self) -> str: ...
    @property
    def side(self) -> Side: ...
    @property
    def qty(self) -> Decimal: ...
    @property
    def price(self) -> Decimal: ...
    @property
    def fee(self) -> Decimal: ...
    @property
    def ts_ms(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Mark:
    """A mark price for one symbol at one time (the bar close in a backtest)."""

    ts_ms: int
    symbol: str
    price: Decimal


@dataclass(slots=True)
class _Book:
    """One symbol's net position and the round trip it belongs to."""

    size: Decimal = ZERO  # signed: > 0 long, < 0 short
    cost: Decimal = ZERO  # sum of entry notional still open (>= 0)
    mark: Decimal | None = None
    entry_ms: int = 0
    opened_qty: Decimal = ZERO
    opened_notional: Decimal = ZERO
    closed_notional: Decimal = ZERO
    pnl: Decimal = ZERO
    fees: Decimal = ZERO
    funding: Decimal = ZERO

    def unrealised(self) -> Decimal:
        """Price PnL of the open position at the last mark (zero when flat or unmarked)."""
        if self.size == ZERO or self.mark is None:
            return ZERO
        return self.size * self.mark - (self.cost if self.size > ZERO else -self.cost)

    def start(self, ts_ms: int) -> None:
        """Begin a new round trip."""
        self.entry_ms = ts_ms
        self.opened_qty = self.opened_notional = self.closed_notional = ZERO
        self.pnl = self.fees = self.funding = ZERO


class Ledger:
    """Running account: positions, realised PnL, fees, funding, closed round trips.

    Cheap per fill (constant work) and per mark, so the backtester and the engine can keep one
    live. ``trades`` grows by one :class:`ClosedTrade` each time a position returns to flat or
    flips.
    """

    def __init__(self, initial_cash: Decimal = ZERO) -> None:
        """Start flat with ``initial_cash`` of quote currency."""
        self.initial_cash = initial_cash
        self.realised_pnl = ZERO
        self.fees_paid = ZERO
        self.funding_paid = ZERO
        self.traded_notional = ZERO
        self.trades: list[ClosedTrade] = []
        self._books: dict[str, _Book] = {}

    def _book(self, symbol: str) -> _Book:
        book = self._books.get(symbol)
        if book is None:
            book = self._books[symbol] = _Book()
        return book

    def position(self, symbol: str) -> tuple[Decimal, Decimal]:
        """(signed size, average entry price) of ``symbol``; (0, 0) when flat."""
        book = self._books.get(symbol)
        if book is None or book.size == ZERO:
            return ZERO, ZERO
        return book.size, book.cost / abs(book.size)

    def apply_fill(self, fill: FillLike) -> Decimal:
        """Book one fill; returns the price PnL it realised."""
        book = self._book(fill.symbol)
        signed = fill.qty * fill.side.sign
        self.fees_paid += fill.fee
        self.traded_notional += fill.qty * fill.price
        if book.mark is None:
            book.mark = fill.price
        if book.size == ZERO or (book.size > ZERO) == (signed > ZERO):
            self._open(book, fill, fill.qty, fill.fee)
            return ZERO
        closing = min(fill.qty, abs(book.size))
        close_fee = fill.fee if closing == fill.qty else fill.fee * closing / fill.qty
        realised = self._close(book, fill, closing, close_fee)
        rest = fill.qty - closing
        if rest > ZERO:
            self._open(book, fill, rest, fill.fee - close_fee)
        return realised

    def _open(self, book: _Book, fill: FillLike, qty: Decimal, fee: Decimal) -> None:
        if book.size == ZERO:
            book.start(fill.ts_ms)
        book.size += qty * fill.side.sign
        book.cost += qty * fill.price
        book.opened_qty += qty
        book.opened_notional += qty * fill.price
        book.fees += fee

    def _close(self, book: _Book, fill: FillLike, qty: Decimal, fee: Decimal) -> Decimal:
        long = book.size > ZERO
        basis = book.cost if qty == abs(book.size) else book.cost * qty / abs(book.size)
        realised = qty * fill.price - basis if long else basis - qty * fill.price
        book.cost -= basis
        book.size += qty * fill.side.sign
        book.closed_notional += qty * fill.price
        book.pnl += realised
        book.fees += fee
        self.realised_pnl += realised
        if book.size == ZERO:
            book.cost = ZERO
            self._record(fill.symbol, book, Side.BUY if long else Side.SELL, fill.ts_ms)
        return realised

    def _record(self, symbol: str, book: _Book, side: Side, exit_ms: int) -> None:
        qty = book.opened_qty
        self.trades.append(
            ClosedTrade(
                symbol=symbol,
                side=side,
                qty=qty,
                entry_price=book.opened_notional / qty,
                exit_price=book.closed_notional / qty,
                entry_ms=book.entry_ms,
                exit_ms=exit_ms,
                pnl=book.pnl,
                fees=book.fees,
                funding=book.funding,
            )
        )

    def apply_funding(self, payment: FundingPayment) -> None:
        """Book a funding settlement (positive ``amount`` is paid)."""
        self.funding_paid += payment.amount
        book = self._book(payment.symbol)
        if book.size != ZERO:
            book.funding += payment.amount

    def mark(self, symbol: str, price: Decimal) -> None:
        """Set the mark price unrealised PnL and exposure are valued at."""
        self._book(symbol).mark = price

    def unrealised_pnl(self) -> Decimal:
        """Open positions' price PnL at their marks."""
        return sum((b.unrealised() for b in self._books.values()), ZERO)

    def exposure(self) -> Decimal:
        """Gross notional held: the sum of ``|size| * mark`` (entry price when unmarked)."""
        total = ZERO
        for book in self._books.values():
            if book.size != ZERO:
                price = book.mark if book.mark is not None else book.cost / abs(book.size)
                total += abs(book.size) * price
        return total

    def equity(self) -> Decimal:
        """Initial cash + realised - fees - funding + unrealised."""
        cash = self.initial_cash + self.realised_pnl - self.fees_paid - self.funding_paid
        return cash + self.unrealised_pnl()

    def point(self, ts_ms: int) -> EquityPoint:
        """The equity curve's point for now."""
        return EquityPoint(ts_ms=ts_ms, equity=self.equity(), exposure=self.exposure())


def funding_payment(symbol: str, ts_ms: int, size: Decimal, mark: Decimal, rate: Decimal) -> FundingPayment:
    """The funding a signed position pays at a settlement: ``size * mark * rate``.

    A long pays a positive rate, a short receives it (and the reverse for a negative rate).
    """
    return FundingPayment(symbol=symbol, ts_ms=ts_ms, amount=size * mark * rate)


def round_trips(fills: Iterable[FillLike], funding: Iterable[FundingPayment] = ()) -> list[ClosedTrade]:
    """The closed round trips of a fill history (funding attributed to the trade it was paid on)."""
    ledger = Ledger()
    for event in _by_time(fills, funding):
        _apply(ledger, event)
    return ledger.trades


def equity_curve(
    fills: Iterable[FillLike],
    marks: Iterable[Mark],
    *,
    initial_cash: Decimal,
    funding: Iterable[FundingPayment] = (),
) -> list[EquityPoint]:
    """One equity point per distinct mark time, fills and funding up to that time applied first."""
    ledger = Ledger(initial_cash)
    events = _by_time(fills, funding)
    pos = 0
    points: list[EquityPoint] = []
    ordered = sorted(marks, key=lambda m: m.ts_ms)
    for i, mark in enumerate(ordered):
        while pos < len(events) and events[pos].ts_ms <= mark.ts_ms:
            _apply(ledger, events[pos])
            pos += 1
        ledger.mark(mark.symbol, mark.price)
        if i + 1 == len(ordered) or ordered[i + 1].ts_ms != mark.ts_ms:
            points.append(ledger.point(mark.ts_ms))
    return points


def _by_time(
    fills: Iterable[FillLike], funding: Iterable[FundingPayment]
) -> Sequence[FillLike | FundingPayment]:
    """Fills and funding in time order; at one timestamp funding settles before that time's fills."""
    tagged: list[tuple[int, int, FillLike | FundingPayment]] = [(p.ts_ms, 0, p) for p in funding]
    tagged.extend((f.ts_ms, 1, f) for f in fills)
    tagged.sort(key=lambda t: (t[0], t[1]))
    return [t[2] for t in tagged]


def _apply(ledger: Ledger, event: FillLike | FundingPayment) -> None:
    if isinstance(event, FundingPayment):
        ledger.apply_funding(event)
    else:
        ledger.apply_fill(event)
