"""The cross-venue pane on the deterministic fake engine: a console with both venues' BTCUSDT and
a spread alert at 5 bps, and one-level books to put in its store."""

from __future__ import annotations

from decimal import Decimal

from console.app import TradeConsoleApp
from core.model import BookLevel, BookView
from tests.support.console_fakes import make_app

NOW = 1_767_225_600_000
ALERT_BPS = 5


def pair_app() -> TradeConsoleApp:
    """A console on the fake engine with ``venue.name = "multi"`` and BTCUSDT on both venues."""
    return make_app(
        venue={"name": "multi", "legs": ["bybit", "hyperliquid"]},
        risk={"symbols": ["BTCUSDT", "BTCUSDT.HL"]},
        crossvenue={"alert_bps": ALERT_BPS},
    )


def book(symbol: str, bid: str, ask: str, *, stale: bool = False) -> BookView:
    """A one-level book of ``symbol`` at ``NOW`` (``stale``: as the store marks a silent feed's)."""
    one = Decimal(1)
    return BookView(
        symbol, (BookLevel(Decimal(bid), one),), (BookLevel(Decimal(ask), one),), 1, 1, NOW, stale
    )
