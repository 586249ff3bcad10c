"""The pre-trade checks. Each has a ``name`` and ``check(order, ctx) -> CheckResult``.

Every failing result names the setting that was broken and carries the numbers, e.g.
``order notional 312,500.00 USDT > max 250,000.00 (risk.max_order_notional)``.

Orders that can only shrink exposure (reduce-only, or against the position and no larger than
it; see :func:`~core.risk.context.only_reduces`) pass the notional caps, the exposure and
leverage caps, the book-staleness check and the breakers (DESIGN §2.4: closing must always be
possible). They still face the mode/endpoint, symbol, instrument-filter, price-band and
open-order-count checks.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Protocol

from core.api import CheckResult
from core.config_files import ConfigError
from core.endpoint_policy import assert_endpoint_matches_mode
from core.model import Instrument, Mode, OrderType, Side
from core.orders.built import BuiltOrder
from core.risk.breakers import leg_of_breaker
from core.risk.context import RiskContext, only_reduces, projected_position
from core.venue_symbols import venue_of

_ZERO = Decimal(0)
_HUNDRED = Decimal(100)
REDUCING = "reduces exposure: exempt"


def money(x: Decimal) -> str:
    """``x`` with thousands separators and 2 decimals (``312,500.00``)."""
    return f"{x:,.2f}"


class RiskCheck(Protocol):
    """One rule of the chain."""

    name: str

    def check(self, order: BuiltOrder, ctx: RiskContext) -> CheckResult:
        """Judge ``order`` against ``ctx``."""
        ...


class ModeEndpointCheck:
    """The REST URL in use belongs to the mode (invariant 1; the executor checks again before
    sending). ``venue`` names the venue whose hosts demo/live must use; ``None`` accepts the
    mode's hosts of any known venue (sim is loopback only either way)."""

    name = "mode"

    def __init__(self, venue: str | None = None) -> None:
        self.venue = venue
        self._ok: tuple[Mode, str] | None = None

    def check(self, order: BuiltOrder, ctx: RiskContext) -> CheckResult:
        """Fail when ``ctx.rest_url`` does not belong to ``ctx.mode``."""
        key = (ctx.mode, ctx.rest_url)
        if key != self._ok:
            try:
                assert_endpoint_matches_mode(ctx.mode, ctx.rest_url, self.venue)
            except ConfigError as exc:
                detail = "; ".join(msg for _, msg in exc.problems)
                return CheckResult(self.name, False, f"{detail} (mode)")
            self._ok = key
        return CheckResult(self.name, True, f"{ctx.mode.value} -> {ctx.rest_url}")


class SymbolAllowListCheck:
    """Only symbols in ``risk.symbols`` may *open or add to* positions.

    An order that only reduces an existing position passes for any symbol: a position opened
    elsewhere (another tool, the exchange's app) must still be closable, by a panic above all.
    """

    name = "symbol"

    def __init__(self, symbols: Iterable[str]) -> None:
        self.symbols = frozenset(symbols)
        self._listed = ", ".join(sorted(self.symbols))

    def check(self, order: BuiltOrder, ctx: RiskContext) -> CheckResult:
        """Fail when the symbol is not allow-listed."""
        if order.symbol in self.symbols:
            return CheckResult(self.name, True, f"{order.symbol} allowed")
        if only_reduces(order, ctx):
            return CheckResult(self.name, True, f"{order.symbol} not allow-listed; passes: it only reduces")
        return CheckResult(
            self.name, False, f"{order.symbol} is not in the allow-list [{self._listed}] (risk.symbols)"
        )


class InstrumentFilterCheck:
    """Re-verify the built order against the instrument's exchange filters."""

    name = "instrument"

    def check(self, order: BuiltOrder, ctx: RiskContext) -> CheckResult:
        """Fail on any filter the order does not satisfy (tick, step, qty and price bounds, notional)."""
        problem = self._problem(order, ctx)
        if problem:
            return CheckResult(self.name, False, f"{problem} (instrument {ctx.instrument.symbol} filters)")
        return CheckResult(self.name, True, "within tick/step/qty/price/notional filters")

    @staticmethod
    def _problem(order: BuiltOrder, ctx: RiskContext) -> str:
        inst = ctx.instrument
        if order.symbol != inst.symbol:
            return f"order is for {order.symbol} but the instrument is {inst.symbol}"
        if inst.status != "Trading":
            return f"status is {inst.status}, not Trading"
        problem = _qty_problem(order, inst)
        if problem:
            return problem
        if order.order_type is OrderType.LIMIT and order.price is None:
            return "Limit order without a price"
        if order.reduce_only and (order.tp is not None or order.sl is not None):
            return "reduce-only order carries TP/SL"
        problem = _price_problem(order, inst)
        if problem:
            return problem
        if not order.reduce_only and order.notional < inst.min_notional:
            return f"notional {money(order.notional)} < min_notional {money(inst.min_notional)}"
        return ""


def _qty_problem(order: BuiltOrder, inst: Instrument) -> str:
    """What is wrong with the order's quantity for ``inst`` ("" if nothing)."""
    qty = order.qty
    if qty <= 0 or qty % inst.qty_step != 0:
        return f"qty {qty} is not a positive multiple of qty_step {inst.qty_step}"
    if qty < inst.min_order_qty:
        return f"qty {qty} < min_order_qty {inst.min_order_qty}"
    max_qty = inst.max_mkt_order_qty if order.order_type is OrderType.MARKET else inst.max_order_qty
    if qty > max_qty:
        return f"qty {qty} > max {max_qty}"
    return ""


def _price_problem(order: BuiltOrder, inst: Instrument) -> str:
    """The first of price, trigger, TP and SL that is off the tick grid or out of range ("" if none)."""
    for label, px in (
        ("price", order.price),
        ("trigger price", order.trigger_price),
        ("take-profit", order.tp),
        ("stop-loss", order.sl),
    ):
        if px is None:
            continue
        if px % inst.tick_size != 0:
            return f"{label} {px} is not a multiple of tick_size {inst.tick_size}"
        if px < inst.min_price or px > inst.max_price:
            return f"{label} {px} outside [{inst.min_price}, {inst.max_price}]"
    return ""


class MaxOrderNotionalCheck:
    """One order's notional (qty x its price, or x the reference price at market)."""

    name = "max_order_notional"

    def __init__(self, limit: Decimal) -> None:
        self.limit = limit

    def check(self, order: BuiltOrder, ctx: RiskContext) -> CheckResult:
        """Fail when a risk-increasing order's notional exceeds ``risk.max_order_notional``."""
        if only_reduces(order, ctx):
            return CheckResult(self.name, True, REDUCING)
        n = order.notional
        if n > self.limit:
            return CheckResult(
                self.name,
                False,
                f"order notional {money(n)} USDT > max {money(self.limit)} (risk.max_order_notional)",
            )
        return CheckResult(self.name, True, f"order notional {money(n)} <= {money(self.limit)}")


class MaxPositionNotionalCheck:
    """The projected position on the symbol (this order + same-side working orders), at mark."""

    name = "max_position_notional"

    def __init__(self, limit: Decimal) -> None:
        self.limit = limit

    def check(self, order: BuiltOrder, ctx: RiskContext) -> CheckResult:
        """Fail when ``|projected size| x mark`` exceeds ``risk.max_position_notional``."""
        if only_reduces(order, ctx):
            return CheckResult(self.name, True, REDUCING)
        if ctx.mark_price <= 0:
            return CheckResult(
                self.name,
                False,
                f"{order.symbol} mark price {ctx.mark_price} unusable: cannot value the position against "
                f"max {money(self.limit)} (risk.max_position_notional)",
            )
        projected = projected_position(order, ctx)
        n = abs(projected) * ctx.mark_price
        if n > self.limit:
            return CheckResult(
                self.name,
                False,
                f"projected {order.symbol} position {projected} x mark {ctx.mark_price} = {money(n)} USDT "
                f"> max {money(self.limit)} (risk.max_position_notional)",
            )
        return CheckResult(self.name, True, f"projected position {money(n)} <= {money(self.limit)}")


def projected_gross(order: BuiltOrder, ctx: RiskContext) -> Decimal:
    """Gross exposure if ``order`` (and same-side working orders on its symbol) fill.

    Other symbols count at their current position notional; this symbol at the projected size x mark.
    """
    pos = ctx.positions.get(order.symbol)
    current = pos.notional if pos is not None else _ZERO
    return ctx.gross_exposure - current + abs(projected_position(order, ctx)) * ctx.mark_price


class GrossExposureCheck:
    """Total gross exposure across symbols after this order."""

    name = "max_gross_exposure"

    def __init__(self, limit: Decimal) -> None:
        self.limit = limit

    def check(self, order: BuiltOrder, ctx: RiskContext) -> CheckResult:
        """Fail when projected gross exposure exceeds ``risk.max_gross_exposure``."""
        if only_reduces(order, ctx):
            return CheckResult(self.name, True, REDUCING)
        g = projected_gross(order, ctx)
        if g > self.limit:
            return CheckResult(
                self.name,
                False,
                f"projected gross exposure {money(g)} USDT > max {money(self.limit)} "
                "(risk.max_gross_exposure)",
            )
        return CheckResult(self.name, True, f"projected gross exposure {money(g)} <= {money(self.limit)}")


class LeverageCheck:
    """The position's leverage setting and the account's projected effective leverage."""

    name = "max_leverage"

    def __init__(self, limit: Decimal) -> None:
        self.limit = limit

    def check(self, order: BuiltOrder, ctx: RiskContext) -> CheckResult:
        """Fail when leverage (set, or projected gross / equity) exceeds ``risk.max_leverage``."""
        if only_reduces(order, ctx):
            return CheckResult(self.name, True, REDUCING)
        pos = ctx.positions.get(order.symbol)
        if pos is not None and pos.leverage > self.limit:
            return CheckResult(
                self.name,
                False,
                f"{order.symbol} leverage setting {pos.leverage}x > max {self.limit}x (risk.max_leverage)",
            )
        if ctx.balance is None:
            return CheckResult(
                self.name,
                False,
                f"no balance yet: cannot hold leverage under max {self.limit}x (risk.max_leverage)",
            )
        equity = ctx.balance.equity
        if not equity.is_finite():  # an infinite equity would make every leverage 0x
            return CheckResult(
                self.name,
                False,
                f"equity {equity} is not a finite number: cannot hold leverage under max {self.limit}x "
                "(risk.max_leverage)",
            )
        if equity <= 0:
            return CheckResult(
                self.name,
                False,
                f"equity {money(equity)} USDT <= 0: no margin under max {self.limit}x (risk.max_leverage)",
            )
        g = projected_gross(order, ctx)
        lev = g / equity
        if lev > self.limit:
            return CheckResult(
                self.name,
                False,
                f"projected effective leverage {lev:.2f}x (gross {money(g)} / equity {money(equity)} USDT) "
                f"> max {self.limit}x (risk.max_leverage)",
            )
        return CheckResult(self.name, True, f"projected effective leverage {lev:.2f}x <= {self.limit}x")


class PriceBandCheck:
    """Fat-finger guard: a limit price too far through the market on the aggressive side."""

    name = "price_band"

    def __init__(self, band_pct: Decimal) -> None:
        self.band_pct = band_pct
        self._up = 1 + band_pct / _HUNDRED
        self._down = 1 - band_pct / _HUNDRED

    def check(self, order: BuiltOrder, ctx: RiskContext) -> CheckResult:
        """Fail when a buy is priced above ref x (1 + band) or a sell below ref x (1 - band).

        ``ref`` is the mark price, or the trigger price for conditional orders. Market orders pass.
        """
        price = order.price
        if price is None:
            return CheckResult(self.name, True, "no limit price")
        ref, what = (
            (order.trigger_price, "trigger") if order.trigger_price is not None else (ctx.mark_price, "mark")
        )
        if ref <= 0:
            return CheckResult(self.name, False, f"{what} price {ref} is not usable (risk.price_band_pct)")
        if order.side is Side.BUY:
            bound = ref * self._up
            bad, rel = price > bound, ">"
        else:
            bound = ref * self._down
            bad, rel = price < bound, "<"
        dev = (price - ref) / ref * _HUNDRED
        if bad:
            return CheckResult(
                self.name,
                False,
                f"{order.side.value} limit {price} is {dev:+.2f}% from {what} {ref}: {rel} band "
                f"{self.band_pct}% (bound {bound:.{order.price_decimals}f}) (risk.price_band_pct)",
            )
        return CheckResult(self.name, True, f"{dev:+.2f}% from {what} within {self.band_pct}%")


class MaxOpenOrdersCheck:
    """Working-order count across the account (orders that rest only)."""

    name = "max_open_orders"

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def check(self, order: BuiltOrder, ctx: RiskContext) -> CheckResult:
        """Fail when a resting order would take the open-order count above ``risk.max_open_orders``."""
        total = ctx.open_orders_total
        if not order.rests:
            return CheckResult(self.name, True, f"does not rest ({total} open)")
        if total + 1 > self.limit:
            return CheckResult(
                self.name,
                False,
                f"open orders {total} + 1 > max {self.limit} (risk.max_open_orders)",
            )
        return CheckResult(self.name, True, f"open orders {total} + 1 <= {self.limit}")


class BookStaleCheck:
    """No risk-increasing orders on a stale book."""

    name = "book_stale"

    def __init__(self, max_age_s: float) -> None:
        self.max_age_s = max_age_s

    def check(self, order: BuiltOrder, ctx: RiskContext) -> CheckResult:
        """Fail when the book is flagged stale or older than ``risk.book_stale_s``."""
        if only_reduces(order, ctx):
            return CheckResult(self.name, True, REDUCING)
        age = ctx.book_age_s
        if ctx.book_stale or age > self.max_age_s:
            flag = "flagged stale, " if ctx.book_stale else ""
            return CheckResult(
                self.name,
                False,
                f"{order.symbol} book {flag}age {age:.1f} s > max {self.max_age_s:g} s (risk.book_stale_s)",
            )
        return CheckResult(self.name, True, f"book age {age:.1f} s <= {self.max_age_s:g} s")


class ReduceOnlyCheck:
    """A reduce-only order must be able to reduce: against an open position, never with it or flat.

    The venue would refuse it too, but only after it left: our own check names the position.
    """

    name = "reduce_only"

    def check(self, order: BuiltOrder, ctx: RiskContext) -> CheckResult:
        """Fail a reduce-only order when the symbol is flat or the position is on the order's side."""
        if not order.reduce_only:
            return CheckResult(self.name, True, "not reduce-only")
        pos = ctx.positions.get(order.symbol)
        if pos is None or pos.side is None or pos.size <= 0:
            return CheckResult(
                self.name,
                False,
                f"reduce-only {order.side.value} {order.qty} would open a position: {order.symbol} is flat "
                "(reduce-only rule)",
            )
        if pos.side is order.side:
            return CheckResult(
                self.name,
                False,
                f"reduce-only {order.side.value} {order.qty} would add to the {pos.side.value} "
                f"{pos.size} {order.symbol} position (reduce-only rule)",
            )
        return CheckResult(self.name, True, f"reduces the {pos.side.value} {pos.size} position")


class JournalCheck:
    """No risk-increasing order goes out unless the journal can record it first (invariant 3)."""

    name = "journal"

    def check(self, order: BuiltOrder, ctx: RiskContext) -> CheckResult:
        """Fail when the journal cannot take writes and the order does not only reduce exposure."""
        if not ctx.journal_error:
            return CheckResult(self.name, True, "journal writable")
        if only_reduces(order, ctx):
            return CheckResult(self.name, True, f"journal unwritable; {REDUCING}")
        return CheckResult(
            self.name,
            False,
            f"journal unwritable: {ctx.journal_error}; only risk-reducing orders are sent until it "
            "takes writes again (journal.path)",
        )


def _guards(breaker: str, symbol: str) -> bool:
    """Whether ``breaker`` guards orders on ``symbol``: a composite's per-leg breaker guards only
    its leg's symbols; every other breaker guards the whole account."""
    leg = leg_of_breaker(breaker)
    if leg is None:
        return True
    try:
        return venue_of(symbol) == leg
    except ValueError:  # a symbol of no known venue: guarded, to be safe
        return True


class BreakerCheck:
    """Any tripped circuit breaker blocks risk-increasing orders."""

    name = "breakers"

    def check(self, order: BuiltOrder, ctx: RiskContext) -> CheckResult:
        """Fail when a breaker is open and the order does not only reduce exposure."""
        tripped = [b for b in ctx.tripped_breakers if _guards(b.name, order.symbol)]
        if not tripped:
            return CheckResult(self.name, True, "all closed")
        if only_reduces(order, ctx):
            return CheckResult(self.name, True, REDUCING)
        detail = "; ".join(f"{b.name}: {b.reason}" for b in tripped)
        return CheckResult(self.name, False, f"breaker tripped (breakers.*): {detail}")
