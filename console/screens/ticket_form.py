"""The order ticket's fields → an :class:`~core.model.OrderRequest` (pure; no Textual).

Every number is parsed by :mod:`core.orders.numparse` (ASCII digits and one ``.``; ``0,01`` is
refused with "use . as the decimal point", never read as 1). The size can be typed in contracts,
in USDT, or as the amount to lose at the stop-loss (``risk`` in USDT or in % of equity): then
the quantity is computed with fees and rounded down to the step, and the ticket says how.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from core.model import FALLING, RISING, Instrument, OrderRequest, OrderType, Side, TimeInForce
from core.orders.numparse import NumberError, parse_optional_positive, parse_positive
from core.risk.sizing import DEFAULT_TAKER_FEE, qty_for_risk
from widgets.fmt import fmt_dec

KINDS = [
    ("Limit", "limit"),
    ("Market", "market"),
    ("Stop limit", "stop_limit"),
    ("Stop market", "stop_market"),
]
UNITS = [
    ("contracts", "contracts"),
    ("USDT", "quote"),
    ("risk USDT", "risk"),
    ("risk % equity", "risk_pct"),
]
RISK_UNITS = ("risk", "risk_pct")
_HUNDRED = Decimal(100)


class TicketError(ValueError):
    """Invalid ticket input; the message names the field and what is wrong."""


@dataclass(frozen=True, slots=True)
class TicketFields:
    """The raw text of every ticket field, and the flags."""

    kind: str
    qty: str
    unit: str
    price: str = ""
    trigger: str = ""
    tp: str = ""
    sl: str = ""
    reduce_only: bool = False
    post_only: bool = False


@dataclass(frozen=True, slots=True)
class TicketMarket:
    """What the ticket knows of the market and the account (for conversions and sizing)."""

    instrument: Instrument | None = None
    ref_price: Decimal | None = None
    equity: Decimal | None = None
    taker_fee: Decimal = DEFAULT_TAKER_FEE


@dataclass(frozen=True, slots=True)
class TicketOrder:
    """The request to preview/send and, when the size was converted, how (one line)."""

    request: OrderRequest
    sizing: str = ""


def _num(raw: str, field: str) -> Decimal:
    try:
        return parse_positive(raw, field)
    except NumberError as exc:
        raise TicketError(str(exc)) from None


def _opt(raw: str, field: str) -> Decimal | None:
    try:
        return parse_optional_positive(raw, field)
    except NumberError as exc:
        raise TicketError(str(exc)) from None


def _places(mkt: TicketMarket) -> tuple[int, int]:
    inst = mkt.instrument
    return (inst.price_decimals, inst.qty_decimals) if inst is not None else (2, 3)


def _round_down(qty: Decimal, mkt: TicketMarket, what: str) -> Decimal:
    inst = mkt.instrument
    if inst is None:
        return qty
    if qty > inst.max_order_qty:  # also keeps the quantize below within the Decimal context
        raise TicketError(f"qty: {what} is {qty:.0f} contracts, more than the maximum {inst.max_order_qty}")
    out = qty.quantize(inst.qty_step, rounding=ROUND_DOWN)
    if out <= 0:
        raise TicketError(f"qty: {what} is less than one step ({inst.qty_step}) — size up")
    return out


def _quote_qty(amount: Decimal, basis: Decimal | None, mkt: TicketMarket) -> tuple[Decimal, str]:
    if basis is None:
        raise TicketError("qty: no price to convert USDT into contracts yet")
    pd, qd = _places(mkt)
    qty = _round_down(amount / basis, mkt, f"{amount} USDT at {fmt_dec(basis, pd)}")
    return qty, f"{amount} USDT at {fmt_dec(basis, pd)} → {fmt_dec(qty, qd)} (rounded down to the step)"


def _risk_amount(amount: Decimal, unit: str, mkt: TicketMarket) -> tuple[Decimal, str]:
    if unit == "risk":
        return amount, f"risk {fmt_dec(amount, 2)} USDT"
    if amount > _HUNDRED:
        raise TicketError(f"qty: risk {amount}% of equity — type a percentage up to 100")
    if mkt.equity is None or mkt.equity <= 0:
        raise TicketError("qty: equity not known yet — risk % needs the account's equity")
    risk = mkt.equity * amount / _HUNDRED
    return risk, f"risk {amount}% of equity {fmt_dec(mkt.equity, 2)} = {fmt_dec(risk, 2)} USDT"


def _risk_qty(
    amount: Decimal, unit: str, side: Side, entry: Decimal | None, sl: Decimal | None, mkt: TicketMarket
) -> tuple[Decimal, str]:
    if sl is None:
        raise TicketError("SL: required for risk sizing — type the stop the risk is measured to")
    if entry is None:
        raise TicketError("qty: no entry price yet to size the risk from")
    if (side is Side.BUY and sl >= entry) or (side is Side.SELL and sl <= entry):
        where = "below" if side is Side.BUY else "above"
        raise TicketError(f"SL: must be {where} the entry {entry} for a {side.value.lower()}")
    risk, said = _risk_amount(amount, unit, mkt)
    step = mkt.instrument.qty_step if mkt.instrument is not None else Decimal("0.001")
    pd, qd = _places(mkt)
    try:
        qty = qty_for_risk(risk, entry, sl, mkt.taker_fee, step)
    except ArithmeticError:  # more contracts than a Decimal holds at this step: no venue takes it
        raise TicketError(f"qty: {said} at SL {fmt_dec(sl, pd)} is far more than any order can be") from None
    if qty <= 0:
        raise TicketError(f"qty: {said} at SL {fmt_dec(sl, pd)} is less than one step ({step})")
    return qty, f"{said} at SL {fmt_dec(sl, pd)} → {fmt_dec(qty, qd)} (fees incl., rounded down)"


def build_request(symbol: str, side: Side, fields: TicketFields, mkt: TicketMarket) -> TicketOrder:
    """Turn the ticket's fields into an order request; raises :class:`TicketError` naming the field."""
    is_limit = fields.kind in ("limit", "stop_limit")
    is_stop = fields.kind in ("stop_limit", "stop_market")
    amount = _num(fields.qty, "qty")
    price = _num(fields.price, "price") if is_limit else None
    trigger = _num(fields.trigger, "trigger") if is_stop else None
    tp = _opt(fields.tp, "take profit")
    sl = _opt(fields.sl, "stop loss")
    if fields.post_only and not is_limit:
        raise TicketError("post-only: only for limit orders")
    basis = price or trigger or mkt.ref_price
    qty, sizing = amount, ""
    if fields.unit == "quote":
        qty, sizing = _quote_qty(amount, basis, mkt)
    elif fields.unit in RISK_UNITS:
        qty, sizing = _risk_qty(amount, fields.unit, side, basis, sl, mkt)
    direction: int | None = None
    if trigger is not None:
        ref = mkt.ref_price if mkt.ref_price is not None else trigger
        direction = RISING if trigger > ref else FALLING
    request = OrderRequest(
        symbol=symbol,
        side=side,
        qty=qty,
        order_type=OrderType.LIMIT if is_limit else OrderType.MARKET,
        price=price,
        time_in_force=TimeInForce.POST_ONLY if fields.post_only else TimeInForce.GTC,
        reduce_only=fields.reduce_only,
        take_profit=tp,
        stop_loss=sl,
        trigger_price=trigger,
        trigger_direction=direction,
    )
    return TicketOrder(request, sizing)


__all__ = [
    "KINDS",
    "RISK_UNITS",
    "UNITS",
    "TicketError",
    "TicketFields",
    "TicketMarket",
    "TicketOrder",
    "build_request",
]
