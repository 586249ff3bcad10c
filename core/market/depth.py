"""A display book's levels as the ladder reads them: floats, no Decimal per level.

Kept apart from :mod:`core.market.books` (which speaks the venue port's events) so the panes can
take these levels without reaching the venue layer.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.market.orderbook import Level


@dataclass(frozen=True, slots=True)
class DepthLevels:
    """A display book's levels as floats, best first (bids descending, asks ascending).

    Market data for the ladder only: never a price to trade at (that is the trading book's view).
    ``stale`` is True when the display book is not to be trusted (its levels are then empty).
    """

    symbol: str
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]
    update_id: int
    ts_ms: int
    stale: bool = False
