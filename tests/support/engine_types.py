"""Call signatures of the shared engine fixtures (``tests/fixtures/engine_support.py``), for annotations."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from pybit.unified_trading import HTTP

from core.config import Settings, SimSettings
from core.engine import Engine
from core.sim.runner import SimVenueThread

SYM = "BTCUSDT"
"""The symbol the engine scenarios trade."""


class SimSettingsFactory(Protocol):
    """``sim_settings(**overrides)``: sim settings on a free port with fast acks and a lively market."""

    def __call__(self, **overrides: Any) -> SimSettings: ...


class EngineSettingsFactory(Protocol):
    """``engine_settings(venue, tmp_path, **overrides)``: settings pointing at ``venue``."""

    def __call__(self, venue: SimVenueThread, tmp_path: Path, **overrides: Any) -> Settings: ...


class WaitFor(Protocol):
    """``await wait_for(cond, timeout, what)``: poll ``cond`` on the loop until it holds."""

    async def __call__(
        self, cond: Callable[[], bool], timeout: float = 10.0, what: str = "condition"
    ) -> None: ...


class Ready(Protocol):
    """``await ready(engine, symbol)``: wait for a fresh book and ticker; the mark price."""

    async def __call__(self, engine: Engine, symbol: str = SYM) -> Decimal: ...


class Below(Protocol):
    """``below(mark, pct)``: a price ``pct`` of ``mark`` on BTCUSDT's tick."""

    def __call__(self, mark: Decimal, pct: str = "0.98") -> Decimal: ...


VenueHttp = Callable[[SimVenueThread], HTTP]
"""``venue_http(venue)``: an independent pybit session on the sim (the venue's own view)."""

VenueRows = Callable[[SimVenueThread], list[dict[str, Any]]]
"""``venue_open_orders(venue)`` / ``venue_positions(venue)``: the venue's rows."""


class VenuePosition(Protocol):
    """``venue_position(venue, symbol)``: the venue's position row (present even when flat)."""

    def __call__(self, venue: SimVenueThread, symbol: str = SYM) -> dict[str, Any]: ...


class PushMarket(Protocol):
    """``push_market(venue, factor, symbol)``: move the sim's fair price by ``factor``."""

    def __call__(self, venue: SimVenueThread, factor: float, symbol: str = SYM) -> None: ...


FastRetries = Callable[[Engine], None]
"""``fast_retries(engine)``: give ``engine`` the fast retry policy."""
