"""Hyperliquid's REST rate limits as the engine's rate table (pure).

Per IP, 1200 weight a minute: ``/exchange`` weighs 1 per action (a batch below 40 items), light
``/info`` requests (l2Book, allMids, clearinghouseState, orderStatus) 2, every other ``/info``
request 20 (plus 1 per 20 items returned for fill lists). The groups below split that budget so
their sum stays within it: exchange 4/s (240 weight a minute), light info 5/s (600), heavy info
3 every 10 s (360). The built-in sim limits requests itself, so sim mode uses :data:`SIM_TABLE`.
"""

from __future__ import annotations

from core.resilience.ratelimit import Limit, RateTable

EXCHANGE = "exchange"
INFO_LIGHT = "info.light"
INFO_HEAVY = "info.heavy"
LIGHT_INFO = frozenset({"l2Book", "allMids", "clearinghouseState", "orderStatus"})
"""The ``/info`` request types of weight 2."""
HEAVY_WINDOW_S = 10.0
SIM_PER_S = 100
"""Requests a second per group against the built-in sim (which enforces its own limits)."""

LIMITS: dict[str, Limit] = {
    EXCHANGE: Limit(4),
    INFO_LIGHT: Limit(5),
    INFO_HEAVY: Limit(3, HEAVY_WINDOW_S),
}


def group_for(endpoint: str) -> str:
    """The group of an endpoint name (``/exchange:order``, ``/info:l2Book``)."""
    path, _, kind = endpoint.partition(":")
    if path == "/exchange":
        return EXCHANGE
    return INFO_LIGHT if kind in LIGHT_INFO else INFO_HEAVY


RATE_TABLE = RateTable(limits=LIMITS, group_of=group_for, default=LIMITS[INFO_HEAVY])
"""Hyperliquid's table as the engine's rate limiter takes it."""

SIM_TABLE = RateTable(
    limits={group: Limit(SIM_PER_S) for group in LIMITS}, group_of=group_for, default=Limit(SIM_PER_S)
)
"""The table against the built-in sim."""
