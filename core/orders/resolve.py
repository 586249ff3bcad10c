"""Resolve a parsed command against the market: a :class:`~core.orders.grammar.PlaceCommand` (or a
partial close) plus a :class:`MarketContext` -> the exact :class:`~core.model.OrderRequest`.

Pure Decimal arithmetic, no I/O. Every figure the resolver derives is explained in
:attr:`Resolved.notes`, so the screen can say where a price or a quantity came from:

* ``@ -0.1%``: the limit price is the touch (best bid for a buy, best ask for a sell) times
  ``1 + offset/100``, snapped to the tick never more aggressively (buy down, sell up).
* entry price: the limit price, or for a market order the price it takes at (best ask for a
  buy, best bid for a sell; the mark when the book is empty). Slippage beyond the touch is not
  included.
* ``stop``/``tp`` offsets: the entry price times ``1 + offset/100``, snapped to the nearest tick.
* ``$500``: contracts = 500 / the entry price, rounded down to the qty step.
* ``risk``: contracts = :func:`core.risk.sizing.qty_for_risk` (move to the stop plus taker fees
  on entry and exit, rounded down): the loss at the stop never exceeds the amount typed.
* typed contracts and typed prices are passed on as typed; the builder rounds them and the
  preview shows the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from core.model import Instrument, OrderRequest, OrderType, Position, Side, TimeInForce
from core.orders.grammar import CloseCommand, PlaceCommand, PriceSpec, RiskUnit, SizeUnit
from core.risk.sizing import DEFAULT_TAKER_FEE, qty_for_risk

_HUNDRED = Decimal(100)
SOURCE = "cmdline"
"""``OrderRequest.source`` of every order the command line makes."""


class ResolveError(ValueError):
    """The command is well formed but cannot become an order now; the message says why."""


@dataclass(frozen=True, slots=True)
class MarketContext:
    """What the resolver needs to know about one symbol's market and the account."""

    instrument: Instrument
    best_bid: Decimal | None = None
    best_ask: Decimal | None = None
    mark: Decimal | None = None
    equity: Decimal | None = None
    taker_fee: Decimal = DEFAULT_TAKER_FEE
    position: Position | None = None
    now_ms: int | None = None
    """The engine's clock (epoch ms): what ``when time >= 09:00`` and ``expire 2h`` count from."""

    @property
    def symbol(self) -> str:
        """The instrument's symbol."""
        return self.instrument.symbol


@dataclass(frozen=True, slots=True)
class Resolved:
    """The order to preview and send, and how each derived figure was computed."""

    request: OrderRequest
    notes: tuple[str, ...] = ()


def _fmt(value: Decimal, places: int) -> str:
    return f"{value:,.{places}f}"


def _snap(value: Decimal, step: Decimal, rounding: str) -> Decimal:
    return ((value / step).to_integral_value(rounding=rounding) * step).quantize(step)


def _touch(side: Side, ctx: MarketContext) -> tuple[Decimal, str]:
    """The passive touch an ``@`` offset starts from: best bid for a buy, best ask for a sell."""
    price, name = (ctx.best_bid, "best bid") if side is Side.BUY else (ctx.best_ask, "best ask")
    if price is None or price <= 0:
        raise ResolveError(f"no {name} for {ctx.symbol} yet: an @ offset needs the book")
    return price, name


def _market_entry(side: Side, ctx: MarketContext) -> tuple[Decimal, str]:
    """Where a market order takes: best ask for a buy, best bid for a sell, else the mark."""
    price, name = (ctx.best_ask, "best ask") if side is Side.BUY else (ctx.best_bid, "best bid")
    if price is not None and price > 0:
        return price, name
    if ctx.mark is not None and ctx.mark > 0:
        return ctx.mark, "mark"
    raise ResolveError(f"no price for {ctx.symbol} yet (no book, no mark): wait for the market data")


def _offset(base: Decimal, pct: Decimal) -> Decimal:
    return base * (1 + pct / _HUNDRED)


def _limit_price(cmd: PlaceCommand, ctx: MarketContext, notes: list[str]) -> Decimal | None:
    spec = cmd.price
    if spec is None:
        return None
    if spec.price is not None:
        return spec.price
    assert spec.offset_pct is not None
    touch, name = _touch(cmd.side, ctx)
    inst = ctx.instrument
    rounding = ROUND_FLOOR if cmd.side is Side.BUY else ROUND_CEILING
    price = _snap(_offset(touch, spec.offset_pct), inst.tick_size, rounding)
    if price <= 0:
        raise ResolveError(f"price: {name} {touch} {spec.offset_pct:+}% is not a positive price")
    pd = inst.price_decimals
    notes.append(f"price {_fmt(price, pd)} = {name} {_fmt(touch, pd)} {spec.offset_pct:+}% (to tick)")
    return price


def _attached(
    spec: PriceSpec | None, label: str, entry: Decimal, entry_name: str, inst: Instrument, notes: list[str]
) -> Decimal | None:
    """An attached stop / take profit: absolute as typed, or an offset from the entry price."""
    if spec is None:
        return None
    if spec.price is not None:
        return spec.price
    assert spec.offset_pct is not None
    price = _snap(_offset(entry, spec.offset_pct), inst.tick_size, ROUND_HALF_UP)
    if price <= 0:
        raise ResolveError(f"{label}: {entry_name} {entry} {spec.offset_pct:+}% is not a positive price")
    pd = inst.price_decimals
    notes.append(f"{label} {_fmt(price, pd)} = {entry_name} {_fmt(entry, pd)} {spec.offset_pct:+}%")
    return price


def _check_sides(side: Side, entry: Decimal, stop: Decimal | None, tp: Decimal | None) -> None:
    """A buy's stop below the entry and its TP above; the reverse for a sell."""
    below, above = ("below", "above") if side is Side.BUY else ("above", "below")
    if stop is not None and (stop >= entry if side is Side.BUY else stop <= entry):
        raise ResolveError(f"stop {stop} must be {below} the entry {entry} for a {side.value.lower()}")
    if tp is not None and (tp <= entry if side is Side.BUY else tp >= entry):
        raise ResolveError(f"take profit {tp} must be {above} the entry {entry} for a {side.value.lower()}")


def _risk_qty(
    cmd: PlaceCommand, ctx: MarketContext, entry: Decimal, stop: Decimal, notes: list[str]
) -> Decimal:
    risk = cmd.risk
    assert risk is not None
    if risk.unit is RiskUnit.PERCENT:
        if ctx.equity is None or ctx.equity <= 0:
            raise ResolveError("risk %: no account equity yet; give the amount in USDT (risk $200)")
        amount = ctx.equity * risk.amount / _HUNDRED
        what = f"{risk.amount}% of equity {_fmt(ctx.equity, 2)} = {_fmt(amount, 2)} USDT"
    else:
        amount = risk.amount
        what = f"{_fmt(amount, 2)} USDT"
    step = ctx.instrument.qty_step
    qty = qty_for_risk(amount, entry, stop, ctx.taker_fee, step)
    if qty <= 0:
        raise ResolveError(
            f"risk {what}: even one qty step ({step}) would lose more at stop {stop} "
            f"(move {abs(entry - stop)} + fees per contract)"
        )
    notes.append(f"qty {qty} = risk {what} at stop {stop}, taker fees in and out, rounded down")
    return qty


def _sized_qty(
    cmd: PlaceCommand, ctx: MarketContext, entry: Decimal, entry_name: str, notes: list[str]
) -> Decimal:
    size = cmd.size
    assert size is not None
    if size.unit is SizeUnit.CONTRACTS:
        return size.amount
    step = ctx.instrument.qty_step
    qty = _snap(size.amount / entry, step, ROUND_FLOOR)
    if qty <= 0:
        raise ResolveError(f"${size.amount} at {entry_name} {entry} is less than one qty step ({step})")
    basis = _fmt(entry, ctx.instrument.price_decimals)
    notes.append(f"qty {qty} = ${size.amount} / {entry_name} {basis}, rounded down")
    return qty


def resolve_place(cmd: PlaceCommand, ctx: MarketContext) -> Resolved:
    """The :class:`OrderRequest` ``cmd`` says, priced and sized against ``ctx`` (its symbol's market).

    Raises :class:`ResolveError` when the market data it needs is missing, a stop or take profit
    is on the wrong side of the entry, or the size rounds to zero.
    """
    if cmd.symbol is not None and cmd.symbol != ctx.symbol:
        raise ResolveError(f"internal: context is for {ctx.symbol}, the command for {cmd.symbol}")
    notes: list[str] = []
    price = _limit_price(cmd, ctx, notes)
    entry, entry_name = (price, "limit") if price is not None else _market_entry(cmd.side, ctx)
    inst = ctx.instrument
    stop = _attached(cmd.stop, "stop", entry, entry_name, inst, notes)
    tp = _attached(cmd.take_profit, "tp", entry, entry_name, inst, notes)
    _check_sides(cmd.side, entry, stop, tp)
    if cmd.risk is not None:
        assert stop is not None  # the grammar refuses risk without a stop
        qty = _risk_qty(cmd, ctx, entry, stop, notes)
    else:
        qty = _sized_qty(cmd, ctx, entry, entry_name, notes)
    request = OrderRequest(
        symbol=ctx.symbol,
        side=cmd.side,
        qty=qty,
        order_type=OrderType.LIMIT if price is not None else OrderType.MARKET,
        price=price,
        time_in_force=TimeInForce.POST_ONLY if cmd.post_only else TimeInForce.GTC,
        reduce_only=cmd.reduce_only,
        take_profit=tp,
        stop_loss=stop,
        source=SOURCE,
    )
    return Resolved(request, tuple(notes))


def resolve_close(cmd: CloseCommand, ctx: MarketContext) -> Resolved:
    """A reduce-only market order for ``cmd.percent`` of ``ctx.position``.

    A partial close is rounded *down* to the qty step (never closes more than asked); 100 %
    is the whole position. Raises :class:`ResolveError` when flat or when the part rounds to 0.
    """
    pos = ctx.position
    if pos is None or pos.is_flat or pos.side is None:
        raise ResolveError(f"no open position in {ctx.symbol}")
    step = ctx.instrument.qty_step
    whole = cmd.percent >= _HUNDRED
    qty = pos.size if whole else _snap(pos.size * cmd.percent / _HUNDRED, step, ROUND_FLOOR)
    if qty <= 0:
        raise ResolveError(f"{cmd.percent}% of {pos.size} is less than one qty step ({step})")
    side = "long" if pos.side is Side.BUY else "short"
    note = f"close {cmd.percent}% of {ctx.symbol} {side} {pos.size} = {qty}, reduce-only at market"
    request = OrderRequest(
        symbol=ctx.symbol,
        side=pos.side.opposite,
        qty=qty,
        order_type=OrderType.MARKET,
        reduce_only=True,
        source=SOURCE,
    )
    return Resolved(request, (note,))


__all__ = ["SOURCE", "MarketContext", "ResolveError", "Resolved", "resolve_close", "resolve_place"]
