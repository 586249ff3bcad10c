"""RiskContext: the frozen snapshot of the world the risk chain judges an order against.

The engine builds one per order (or per preview) from its state; the chain never reads anything
else, so a verdict is reproducible from the snapshot alone (and journaled with it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, Inexact, localcontext
from operator import is_

from core.model import Balance, Instrument, Mode, Order, Position, Side
from core.orders.built import BuiltOrder
from core.risk.correlation import PriceHistory

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class OpenOrderSummary:
    """Working orders on one symbol: how many, and their leaves quantity/notional per side.

    Quantities include reduce-only orders (a conservative view of what could still fill).
    """

    count: int = 0
    buy_qty: Decimal = _ZERO
    sell_qty: Decimal = _ZERO
    buy_notional: Decimal = _ZERO
    sell_notional: Decimal = _ZERO

    def qty(self, side: Side) -> Decimal:
        """Leaves quantity of working orders on ``side``."""
        return self.buy_qty if side is Side.BUY else self.sell_qty

    @property
    def notional(self) -> Decimal:
        """Leaves notional of all working orders, both sides."""
        return self.buy_notional + self.sell_notional


EMPTY_OPEN_ORDERS = OpenOrderSummary()


def summarize_open_orders(
    orders: Iterable[Order], marks: Mapping[str, Decimal] | None = None
) -> dict[str, OpenOrderSummary]:
    """Group open orders by symbol. Notional is leaves x price (else trigger, else ``marks[symbol]``)."""
    sums: dict[str, _Sums] = {}
    for o in orders:
        if not o.is_open:
            continue
        row = _row(o, marks)
        total = sums.get(o.symbol)
        sums[o.symbol] = _added(_NONE if total is None else total, row)
    return {sym: OpenOrderSummary(*total) for sym, total in sums.items()}


_Sums = tuple[int, Decimal, Decimal, Decimal, Decimal]
"""An :class:`OpenOrderSummary`'s fields as a plain tuple (cheaper to make while summing)."""
_NONE: _Sums = (0, _ZERO, _ZERO, _ZERO, _ZERO)


def _row(o: Order, marks: Mapping[str, Decimal] | None) -> tuple[bool, Decimal, Decimal]:
    """One open order's part: (a buy?, leaves qty, leaves notional)."""
    leaves = o.leaves_qty
    px = o.price if o.price is not None else o.trigger_price
    if px is None and marks is not None:
        px = marks.get(o.symbol)
    return o.side is Side.BUY, leaves, leaves * px if px is not None else _ZERO


def _added(total: _Sums, row: tuple[bool, Decimal, Decimal]) -> _Sums:
    count, buy_qty, sell_qty, buy_notional, sell_notional = total
    buy, leaves, value = row
    if buy:
        return count + 1, buy_qty + leaves, sell_qty, buy_notional + value, sell_notional
    return count + 1, buy_qty, sell_qty + leaves, buy_notional, sell_notional + value


def _combined(a: _Sums, b: _Sums) -> OpenOrderSummary:
    return OpenOrderSummary(a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3], a[4] + b[4])


@dataclass(slots=True)
class _Split:
    """One symbol's open orders in sum order, with the sums before and after each (exact)."""

    index: dict[str, int]
    before: list[_Sums]
    after: list[_Sums]

    def without(self, key: str) -> OpenOrderSummary | None:
        """The sum of every open order but ``key`` (None: ``key`` is not among them)."""
        i = self.index.get(key)
        return None if i is None else _combined(self.before[i], self.after[i + 1])


class OpenOrdersCache:
    """:func:`summarize_open_orders` of the engine's live orders, kept per symbol between calls.

    Orders are frozen objects (a change replaces one), so a symbol whose orders are the same
    objects as at the last call, and whose mark is the same if one of its open orders is valued
    at the mark (no price, no trigger), keeps its summary; only the symbols that changed are
    summed again. Several commands of one market move (an amend of each algo's child) then sum the
    orders once; the order a command leaves out (the one being amended) is left out by adding the
    sums of the orders before and after it, kept per symbol while nothing of it changed. Those sums
    are kept only when every addition was exact (no rounding: an exact sum's value and exponent do
    not depend on the order of the additions, so the result is the fresh sum's, digit for digit);
    otherwise the symbol is summed afresh without it. The result is always the same as summing
    afresh."""

    def __init__(self) -> None:
        self._values: list[Order] = []
        self._full: dict[str, OpenOrderSummary] = {}
        self._by_symbol: dict[str, list[tuple[str, Order]]] = {}
        self._marked: dict[str, Decimal | None] = {}
        """Per symbol with an open order valued at the mark: the mark its summary used."""
        self._splits: dict[str, _Split | None] = {}
        """Per symbol, built at its first left-out order since it changed (None: inexact)."""

    def summary(
        self, orders: Mapping[str, Order], marks: Mapping[str, Decimal], exclude: str | None = None
    ) -> dict[str, OpenOrderSummary]:
        """The summary of ``orders`` without ``exclude`` (a new dict the caller may keep)."""
        values = list(orders.values())
        if not self._fresh(values, marks):
            self._refresh(orders, values, marks)
        out = dict(self._full)
        left_out = orders.get(exclude) if exclude is not None else None
        if left_out is None or exclude is None:
            return out
        sym = left_out.symbol
        rest = self._without(sym, exclude, marks)
        out.pop(sym, None)
        if rest.count:
            out[sym] = rest
        return out

    def prepare(self, orders: Mapping[str, Order], marks: Mapping[str, Decimal]) -> None:
        """Sum now what the next :meth:`summary` would sum (the symbols that changed, and the sums
        around each of their orders), so that a command about to be checked finds it done."""
        values = list(orders.values())
        if not self._fresh(values, marks):
            self._refresh(orders, values, marks)
        for sym in self._by_symbol:
            if sym not in self._splits:
                self._splits[sym] = self._split(sym, marks)

    def _refresh(
        self, orders: Mapping[str, Order], values: list[Order], marks: Mapping[str, Decimal]
    ) -> None:
        """Sum again the symbols whose orders (or mark, where it counts) changed; keep the rest."""
        by_symbol: dict[str, list[tuple[str, Order]]] = {}  # open orders only: nothing else counts
        for key, order in orders.items():
            if order.is_open:
                by_symbol.setdefault(order.symbol, []).append((key, order))
        sums: dict[str, OpenOrderSummary] = {}
        marked: dict[str, Decimal | None] = {}
        for sym, pairs in by_symbol.items():
            at_mark = any(o.price is None and o.trigger_price is None for _, o in pairs)
            if at_mark:
                marked[sym] = marks.get(sym)
            if self._same(sym, pairs, at_mark, marks):
                if sym in self._full:
                    sums[sym] = self._full[sym]
                continue
            self._splits.pop(sym, None)
            part = summarize_open_orders((o for _, o in pairs), marks).get(sym)
            if part is not None:
                sums[sym] = part
        for sym in set(self._splits) - set(by_symbol):
            del self._splits[sym]
        # the symbols in the order of their first open order, as summing every order gives them
        self._full = {sym: sums[sym] for sym in by_symbol if sym in sums}
        self._values, self._by_symbol, self._marked = values, by_symbol, marked

    def _same(
        self, sym: str, pairs: list[tuple[str, Order]], at_mark: bool, marks: Mapping[str, Decimal]
    ) -> bool:
        old = self._by_symbol.get(sym)
        if old is None or len(old) != len(pairs) or (sym in self._marked) != at_mark:
            return False
        if at_mark and not _same_mark(marks.get(sym), self._marked[sym]):
            return False
        return all(a[0] == b[0] and a[1] is b[1] for a, b in zip(old, pairs, strict=True))

    def _without(self, sym: str, exclude: str, marks: Mapping[str, Decimal]) -> OpenOrderSummary:
        if sym not in self._splits:
            self._splits[sym] = self._split(sym, marks)
        split = self._splits[sym]
        if split is None:  # a sum of this symbol rounded: summed afresh, the same way as ever
            rest = summarize_open_orders((o for k, o in self._by_symbol.get(sym, []) if k != exclude), marks)
            return rest.get(sym, EMPTY_OPEN_ORDERS)
        found = split.without(exclude)
        return self._full.get(sym, EMPTY_OPEN_ORDERS) if found is None else found

    def _split(self, sym: str, marks: Mapping[str, Decimal]) -> _Split | None:
        pairs = self._by_symbol.get(sym, [])
        with localcontext() as ctx:
            ctx.traps[Inexact] = True
            try:
                rows = [_row(o, marks) for _, o in pairs]
                before, after = [_NONE], [_NONE]
                for row in rows:
                    before.append(_added(before[-1], row))
                for row in reversed(rows):
                    after.append(_added(after[-1], row))
            except Inexact:
                return None
        after.reverse()
        return _Split({k: i for i, (k, _) in enumerate(pairs)}, before, after)

    def _fresh(self, values: list[Order], marks: Mapping[str, Decimal]) -> bool:
        if len(values) != len(self._values):
            return False
        if not all(_same_mark(marks.get(sym), mark) for sym, mark in self._marked.items()):
            return False
        return all(map(is_, values, self._values))  # the same objects (equal values are not enough)


def _same_mark(a: Decimal | None, b: Decimal | None) -> bool:
    """The same mark as written (100 and 1E+2 are equal, but an order valued at them is written
    0.100 or 0.1: the kept sum must be the fresh one digit for digit)."""
    return a is b or (a is not None and b is not None and a.compare_total(b) == 0)


@dataclass(frozen=True, slots=True)
class BreakerStatus:
    """One circuit breaker as the risk chain sees it."""

    name: str
    tripped: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class RiskContext:
    """Everything the risk checks need, frozen at the moment of the decision.

    ``positions`` and ``open_orders`` are keyed by symbol; symbols that are absent are flat / have
    no working orders. ``book_age_s`` is the age of the order book for ``instrument``.
    """

    mode: Mode
    rest_url: str
    instrument: Instrument
    mark_price: Decimal
    best_bid: Decimal | None = None
    best_ask: Decimal | None = None
    book_stale: bool = False
    book_age_s: float = 0.0
    positions: Mapping[str, Position] = field(default_factory=dict)
    open_orders: Mapping[str, OpenOrderSummary] = field(default_factory=dict)
    balance: Balance | None = None
    breakers: tuple[BreakerStatus, ...] = ()
    journal_error: str = ""
    """Why the journal cannot take writes ("" when it can): risk-increasing orders wait for it."""
    closes: Mapping[str, PriceHistory] = field(default_factory=dict)
    """Recent candle closes per symbol, for the correlated-exposure check (empty when it is off)."""

    def position(self, symbol: str) -> Position | None:
        """The position on ``symbol``, if any."""
        return self.positions.get(symbol)

    def orders_on(self, symbol: str) -> OpenOrderSummary:
        """Working orders on ``symbol`` (an empty summary when there are none)."""
        return self.open_orders.get(symbol, EMPTY_OPEN_ORDERS)

    @property
    def open_orders_total(self) -> int:
        """Working orders across every symbol."""
        return sum(s.count for s in self.open_orders.values())

    @property
    def open_orders_notional(self) -> Decimal:
        """Leaves notional of working orders across every symbol."""
        return sum((s.notional for s in self.open_orders.values()), _ZERO)

    @property
    def gross_exposure(self) -> Decimal:
        """Sum of absolute position notionals (at each position's mark) across every symbol."""
        return sum((p.notional for p in self.positions.values()), _ZERO)

    @property
    def tripped_breakers(self) -> tuple[BreakerStatus, ...]:
        """The breakers that are currently open (tripped)."""
        return tuple(b for b in self.breakers if b.tripped)


def signed_position(ctx: RiskContext, symbol: str) -> Decimal:
    """Signed size of the position on ``symbol`` (long > 0, short < 0, flat 0)."""
    pos = ctx.positions.get(symbol)
    return pos.signed_size if pos is not None else _ZERO


def only_reduces(order: BuiltOrder, ctx: RiskContext) -> bool:
    """True when ``order`` can only shrink exposure.

    Reduce-only orders always qualify. Otherwise the order must be against the current position
    and, together with every working order on the same side, no larger than the position (so it
    can never flip it).
    """
    if order.reduce_only:
        return True
    pos = ctx.positions.get(order.symbol)
    if pos is None or pos.side is None or pos.size <= 0 or pos.side is order.side:
        return False
    return order.qty + ctx.orders_on(order.symbol).qty(order.side) <= pos.size


def projected_position(order: BuiltOrder, ctx: RiskContext) -> Decimal:
    """Worst-case signed size on ``order.symbol`` if it and every same-side working order fill."""
    same_side = order.qty + ctx.orders_on(order.symbol).qty(order.side)
    return signed_position(ctx, order.symbol) + same_side * order.side.sign


__all__ = [
    "EMPTY_OPEN_ORDERS",
    "BreakerStatus",
    "OpenOrderSummary",
    "RiskContext",
    "only_reduces",
    "projected_position",
    "signed_position",
    "summarize_open_orders",
    "OpenOrdersCache",
]
