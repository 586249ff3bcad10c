"""Domain orders to Hyperliquid's wire (pure): prices, sizes, client order ids, order wires.

Prices: at most 5 significant figures and at most ``6 - szDecimals`` decimals; an integer price
is always valid. Sizes: at most ``szDecimals`` decimals. Minimum order value $10.

The instrument the engine gets (:func:`core.venues.hyperliquid.parse.instrument`) carries the
tick these rules give at the current price, so the builder's prices are valid as they are. An
order whose price is not valid on Hyperliquid (the price crossed a power of ten since the
instruments were read) is refused here, before anything is sent, naming the nearest valid price
on the order's passive side: the adapter never sends a number other than the one the risk
chain checked and the screen showed. :func:`round_price` gives that passive price (a buy never
rounds up, a sell never rounds down).

Client order ids: Hyperliquid's ``cloid`` is 16 bytes. Ours are up to
:data:`CLIENT_ID_MAX_LEN` characters of ``[A-Za-z0-9_-]``, packed reversibly into the cloid
(:func:`cloid_of` / :func:`client_id_of`): derived, never stored, so a look-up by client id works
after a restart, and an order update's cloid gives back our id.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from core.model import RISING, OrderType, Side, TimeInForce
from core.orders.built import BuiltOrder

SIG_FIGS = 5
"""Most significant figures of a perp price."""
PERP_DECIMALS = 6
"""A perp price has at most ``PERP_DECIMALS - szDecimals`` decimals."""
MIN_NOTIONAL = Decimal(10)
"""Hyperliquid's minimum order value (USDC)."""
MARKET_SLIPPAGE = Decimal("0.05")
"""A market order is an aggressive IOC limit this far through the reference price (the SDK's 5 %)."""

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
_BASE = len(_ALPHABET) + 1
"""Each character is a digit 1..64 of a base-65 number (0 is never a digit, so lengths differ)."""
CLOID_BYTES = 16
CLIENT_ID_MAX_LEN = 21
"""Longest client id that packs into a cloid: 65**21 < 2**128."""
CLIENT_ID_PATTERN = r"^[A-Za-z0-9_-]+$"

TIFS = {TimeInForce.GTC: "Gtc", TimeInForce.IOC: "Ioc", TimeInForce.POST_ONLY: "Alo"}
"""Our time-in-force -> Hyperliquid's (FOK has no Hyperliquid equivalent)."""


class NotEncodable(ValueError):
    """A domain order Hyperliquid cannot take as it is (names the rule and the numbers)."""


# --- numbers ---------------------------------------------------------------------------------
def max_price_decimals(sz_decimals: int) -> int:
    """Most decimals a perp price of an asset with ``sz_decimals`` may carry."""
    return max(0, PERP_DECIMALS - sz_decimals)


def price_step(px: Decimal, sz_decimals: int) -> Decimal:
    """The price increment the rules allow around a positive ``px`` (its 5th significant figure,
    no finer than the decimals limit, never coarser than 1)."""
    magnitude = px.adjusted()  # exponent of the leading digit
    sig_step = Decimal(1).scaleb(magnitude - (SIG_FIGS - 1))
    dec_step = Decimal(1).scaleb(-max_price_decimals(sz_decimals))
    return min(max(sig_step, dec_step), Decimal(1))


def is_valid_price(px: Decimal, sz_decimals: int) -> bool:
    """True when Hyperliquid accepts ``px`` as a perp price for the asset."""
    if px <= 0:
        return False
    if px == px.to_integral_value():
        return True
    digits = px.normalize().as_tuple()
    decimals = -int(digits.exponent)
    significant = len(digits.digits)
    return decimals <= max_price_decimals(sz_decimals) and significant <= SIG_FIGS


def round_price(px: Decimal, sz_decimals: int, side: Side) -> Decimal:
    """The valid price nearest ``px`` on the side's passive side (buy: <= px; sell: >= px)."""
    mode = ROUND_FLOOR if side is Side.BUY else ROUND_CEILING
    step = price_step(px, sz_decimals)
    out = (px / step).to_integral_value(rounding=mode) * step
    if out <= 0:  # a buy below the smallest step: the smallest valid price is above px
        out = step
    if not is_valid_price(out, sz_decimals):  # rounding up crossed a power of ten
        step = price_step(out, sz_decimals)
        out = (out / step).to_integral_value(rounding=mode) * step
    return _plain(out)


def _plain(value: Decimal) -> Decimal:
    """``value`` without trailing zeros and never in exponent form (``1E+5`` is ``100000``)."""
    out = value.normalize()
    return out.quantize(Decimal(1)) if int(out.as_tuple().exponent) > 0 else out


def round_size(sz: Decimal, sz_decimals: int) -> Decimal:
    """``sz`` rounded down to ``sz_decimals`` decimals (never more than asked for)."""
    return sz.quantize(Decimal(1).scaleb(-sz_decimals), rounding=ROUND_FLOOR)


def wire(value: Decimal) -> str:
    """A number as Hyperliquid's wire text: plain, no trailing zeros (``100``, ``2000.5``)."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


# --- client order ids ------------------------------------------------------------------------
def cloid_of(client_order_id: str) -> str:
    """The cloid (``0x`` + 32 hex digits) our ``client_order_id`` packs into."""
    if not 0 < len(client_order_id) <= CLIENT_ID_MAX_LEN:
        raise NotEncodable(f"client order id {client_order_id!r} is not 1-{CLIENT_ID_MAX_LEN} characters")
    n = 0
    for ch in client_order_id:
        digit = _ALPHABET.find(ch)
        if digit < 0:
            raise NotEncodable(f"client order id {client_order_id!r} has {ch!r} (outside [A-Za-z0-9_-])")
        n = n * _BASE + digit + 1
    return f"0x{n:0{2 * CLOID_BYTES}x}"


def client_id_of(cloid: str | None) -> str:
    """Our client order id packed in ``cloid``; the cloid itself when it is not one of ours
    (an order placed elsewhere), ``""`` when there is none."""
    if not cloid:
        return ""
    try:
        n = int(cloid, 16)
    except ValueError:
        return cloid
    chars: list[str] = []
    while n:
        n, digit = divmod(n, _BASE)
        if digit == 0:
            return cloid
        chars.append(_ALPHABET[digit - 1])
    return "".join(reversed(chars)) or cloid


# --- orders ----------------------------------------------------------------------------------
def checked_price(px: Decimal, sz_decimals: int, side: Side, what: str) -> str:
    """``px`` as wire text, or :class:`NotEncodable` naming the nearest valid passive price."""
    if is_valid_price(px, sz_decimals):
        return wire(px)
    nearest = round_price(px, sz_decimals, side)
    raise NotEncodable(
        f"{what} {px} is not a Hyperliquid price (at most {SIG_FIGS} significant figures and "
        f"{max_price_decimals(sz_decimals)} decimals); nearest on the {side.value.lower()} side: {nearest}"
    )


def checked_size(sz: Decimal, sz_decimals: int) -> str:
    """``sz`` as wire text, or :class:`NotEncodable` when it has more than ``sz_decimals`` decimals."""
    if sz <= 0 or round_size(sz, sz_decimals) != sz:
        raise NotEncodable(f"size {sz} is not a positive multiple of {Decimal(1).scaleb(-sz_decimals)}")
    return wire(sz)


def limit_price(order: BuiltOrder, sz_decimals: int) -> Decimal:
    """The limit price sent: the order's price, or for a market order its reference price moved
    :data:`MARKET_SLIPPAGE` through the book, rounded aggressively to a valid price."""
    if order.order_type is OrderType.LIMIT and order.price is not None:
        return order.price
    if order.trigger_price is not None:  # a market trigger: Hyperliquid fills it as a market order
        return order.trigger_price
    factor = 1 + MARKET_SLIPPAGE if order.side is Side.BUY else 1 - MARKET_SLIPPAGE
    return round_price(order.ref_price * factor, sz_decimals, order.side.opposite)


def order_type_wire(order: BuiltOrder, sz_decimals: int) -> dict[str, Any]:
    """``{"limit": {"tif": ...}}`` or ``{"trigger": {"isMarket", "triggerPx", "tpsl"}}``."""
    if order.trigger_price is not None:
        trigger = checked_price(order.trigger_price, sz_decimals, order.side, "trigger price")
        # A buy triggered by a rise, or a sell by a fall, stops a loss; the other way takes profit.
        if order.trigger_direction is not None:
            rising = order.trigger_direction == RISING
        else:
            rising = order.trigger_price >= order.ref_price
        tpsl = "sl" if rising == (order.side is Side.BUY) else "tp"
        return {
            "trigger": {"isMarket": order.order_type is OrderType.MARKET, "triggerPx": trigger, "tpsl": tpsl}
        }
    if order.order_type is OrderType.MARKET:
        return {"limit": {"tif": "Ioc"}}
    tif = TIFS.get(order.tif)
    if tif is None:
        raise NotEncodable(
            f"time in force {order.tif.value} does not exist on Hyperliquid (use GTC, IOC or PostOnly)"
        )
    return {"limit": {"tif": tif}}


def order_wire(order: BuiltOrder, asset: int, sz_decimals: int) -> dict[str, Any]:
    """The order's wire (keys ``a, b, p, s, r, t, c`` in the order Hyperliquid hashes them)."""
    if order.tp is not None or order.sl is not None:
        raise NotEncodable("an attached TP/SL is not sent with a Hyperliquid order; set it on the position")
    px = limit_price(order, sz_decimals)
    out: dict[str, Any] = {
        "a": asset,
        "b": order.side is Side.BUY,
        "p": checked_price(px, sz_decimals, order.side, "price"),
        "s": checked_size(order.qty, sz_decimals),
        "r": order.reduce_only,
        "t": order_type_wire(order, sz_decimals),
        "c": cloid_of(order.order_link_id),
    }
    if order.qty * px < MIN_NOTIONAL:
        raise NotEncodable(f"order value {order.qty * px} is below Hyperliquid's minimum of ${MIN_NOTIONAL}")
    return out


def order_action(wires: list[dict[str, Any]], grouping: str = "na") -> dict[str, Any]:
    """The ``order`` action (never with a builder or referral code)."""
    return {"type": "order", "orders": wires, "grouping": grouping}
