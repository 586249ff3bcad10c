"""Hyperliquid's perp rules as the exchange applies them: assets, price and size checks, wire numbers.

Prices: at most 5 significant figures and at most ``6 - szDecimals`` decimals; an integer price is
always allowed. Sizes: at most ``szDecimals`` decimals. An order's value (price x size) must be at
least $10 unless it only reduces.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

MAX_SIG_FIGS = 5
PERP_MAX_DECIMALS = 6
MIN_NOTIONAL = Decimal(10)

ERR_TICK = "Price must be divisible by tick size."
ERR_MIN_NOTIONAL = "Order must have minimum value of $10."
ERR_MARGIN = "Insufficient margin to place order."
ERR_REDUCE_ONLY = "Reduce only order would increase position."
ERR_IOC = "Order could not immediately match against any resting orders."
ERR_BAD_ALO = "Post only order would have immediately matched, bbo was {bbo}."
ERR_TRIGGER = "Invalid TP/SL price."
ERR_SIZE = "Order has invalid size."
ERR_NO_LIQUIDITY = "Order could not immediately match against any resting orders."
ERR_CANCEL_MISS = "Order was never placed, already canceled, or filled."
ERR_MODIFY_MISS = "Cannot modify canceled or filled order"


@dataclass(frozen=True)
class HlAsset:
    """One perp of the Hyperliquid front-end and the core market it trades on."""

    index: int
    coin: str
    symbol: str
    sz_decimals: int
    max_leverage: int

    def meta(self) -> dict[str, object]:
        """The ``meta.universe`` item."""
        return {"name": self.coin, "szDecimals": self.sz_decimals, "maxLeverage": self.max_leverage}


ASSETS: tuple[HlAsset, ...] = (
    # szDecimals follow the core market's lot (BTC 0.001, ETH 0.01, SOL 0.1): a client reads them
    # from meta, as it must on Hyperliquid, where each perp has its own.
    HlAsset(0, "BTC", "BTCUSDT", 3, 50),
    HlAsset(1, "ETH", "ETHUSDT", 2, 50),
    HlAsset(2, "SOL", "SOLUSDT", 1, 20),
)
BY_COIN = {a.coin: a for a in ASSETS}


def parse_dec(value: object) -> Decimal | None:
    """A wire number (a string, or an int) as a Decimal; None if it does not parse or is not finite."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    try:
        d = Decimal(value)
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


def _decimals(d: Decimal) -> int:
    exp = d.normalize().as_tuple().exponent
    return -exp if isinstance(exp, int) and exp < 0 else 0


def _sig_figs(d: Decimal) -> int:
    return len(d.normalize().as_tuple().digits)


def price_ok(px: Decimal, sz_decimals: int) -> bool:
    """True when ``px`` is a positive price Hyperliquid accepts for a perp with ``sz_decimals``."""
    if px <= 0:
        return False
    if px == px.to_integral_value():
        return True
    return _sig_figs(px) <= MAX_SIG_FIGS and _decimals(px) <= PERP_MAX_DECIMALS - sz_decimals


def size_ok(sz: Decimal, sz_decimals: int) -> bool:
    """True when ``sz`` is positive with at most ``sz_decimals`` decimals."""
    return sz > 0 and _decimals(sz) <= sz_decimals


def wire(d: Decimal) -> str:
    """A number as Hyperliquid prints it: no exponent, no trailing zeros (``"100"``, ``"2000.5"``)."""
    n = d.normalize()
    if n == 0:
        return "0"
    return f"{n:f}"


def round_to_rules(px: Decimal, sz_decimals: int) -> Decimal:
    """``px`` rounded to a valid price (5 significant figures, then the decimal cap)."""
    if px >= Decimal(10) ** MAX_SIG_FIGS:
        return px.to_integral_value()
    adjusted = px.adjusted()
    q = Decimal(1).scaleb(adjusted - MAX_SIG_FIGS + 1)
    out = px.quantize(q)
    cap = Decimal(1).scaleb(-(PERP_MAX_DECIMALS - sz_decimals))
    return out.quantize(cap) if _decimals(out) > PERP_MAX_DECIMALS - sz_decimals else out
