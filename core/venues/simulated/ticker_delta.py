"""A ticker delta applied to the previous ticker, parsing only the fields the delta carries.

The Bybit codec (:func:`core.venues.bybit.parse.ticker`) parses a whole merged ticker, sixteen
fields, at every push. A bar-driven market moves a handful of them (prices and the top of book);
:func:`apply_delta` parses those with the same readers and keeps the rest of the previous ticker,
so the result equals the codec's ticker of the merged fields (a test runs both on the same pushes).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from decimal import Decimal
from functools import partial
from typing import Any

from core.model import Ticker
from core.venues.values import integer, number, positive, price, size

_ZERO = Decimal(0)

Reader = Callable[[Any, str], Any]

FIELDS: Mapping[str, tuple[str, Reader]] = {
    "lastPrice": ("last_price", partial(positive, default=_ZERO)),
    "markPrice": ("mark_price", partial(positive, default=_ZERO)),
    "indexPrice": ("index_price", partial(positive, default=_ZERO)),
    "bid1Price": ("bid1", price),
    "ask1Price": ("ask1", price),
    "volume24h": ("volume_24h", size),
    "price24hPcnt": ("price_24h_pcnt", number),
    "fundingRate": ("funding_rate", number),
    "nextFundingTime": ("next_funding_ms", integer),
    "turnover24h": ("turnover_24h", size),
    "openInterest": ("open_interest", size),
    "openInterestValue": ("open_interest_value", size),
    "highPrice24h": ("high_24h", price),
    "lowPrice24h": ("low_24h", price),
    "prevPrice24h": ("prev_price_24h", price),
}
"""The codec's ticker fields (the symbol aside): the Bybit name, the Ticker attribute, its reader."""


def apply_delta(previous: Ticker, delta: Mapping[str, Any], ts_ms: int) -> Ticker:
    """``previous`` with the fields ``delta`` carries parsed in, stamped ``ts_ms``; a bad value
    raises :class:`~core.venues.values.BadValue` as the codec would."""
    changes: dict[str, Any] = {}
    for key, raw in delta.items():
        known = FIELDS.get(key)
        if known is not None:
            attr, read = known
            changes[attr] = read(raw, key)
    return replace(previous, ts_ms=ts_ms, **changes)
