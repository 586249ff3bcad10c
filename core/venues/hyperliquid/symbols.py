"""Our symbols (``BTCUSDT``) and Hyperliquid's coins (``BTC``), in one place.

Hyperliquid perps settle in USDC and are named by their coin; the console names every perp as
``<coin>USDT``. Coins whose Hyperliquid name differs from the base coin (``kPEPE`` is 1,000
PEPE, as Bybit's ``1000PEPEUSDT``) are listed in :data:`RENAMED`.
"""

from __future__ import annotations

QUOTE = "USDT"
RENAMED: dict[str, str] = {
    "1000PEPEUSDT": "kPEPE",
    "1000SHIBUSDT": "kSHIB",
    "1000BONKUSDT": "kBONK",
    "1000FLOKIUSDT": "kFLOKI",
}
"""Our symbol -> Hyperliquid coin, where the plain rule does not hold."""
_COINS = {coin: sym for sym, coin in RENAMED.items()}


def coin_of(symbol: str) -> str:
    """The Hyperliquid coin of our ``symbol`` (ValueError when it is not a ``...USDT`` perp)."""
    renamed = RENAMED.get(symbol)
    if renamed is not None:
        return renamed
    if not symbol.endswith(QUOTE) or len(symbol) <= len(QUOTE):
        raise ValueError(f"{symbol!r} is not a perp symbol (<coin>{QUOTE})")
    return symbol[: -len(QUOTE)]


def symbol_of(coin: str) -> str:
    """Our symbol for a Hyperliquid ``coin``."""
    return _COINS.get(coin, coin + QUOTE)
