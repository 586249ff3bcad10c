"""Venue-qualified symbols: one name per (asset, venue) when several venues trade at once.

The composite venue (``venue.name = "multi"``, :mod:`core.venues.multi`) routes every call by
its symbol. The first leg (the primary, Bybit) keeps its plain symbols (``BTCUSDT``); every other
leg's symbols carry a dot and the leg's suffix (``BTCUSDT.HL`` is BTC on Hyperliquid). The form is
ASCII upper-case letters, digits and one ``.``: it passes the command grammar (typed in any
case), the store's and the journal's keys and the widgets' row keys, and it never enters a client
order id (those carry no symbol).

Pure helpers, no venue imported: the console and widgets may use them (``core.venues.naming``
re-exports them for the adapters).
"""

from __future__ import annotations

import re

SEPARATOR = "."
"""Between an asset's symbol and its venue suffix."""
PRIMARY_VENUE = "bybit"
"""The venue whose symbols carry no suffix."""
SUFFIXES: dict[str, str] = {"hyperliquid": "HL", "bybit": "BY"}
"""Venue name -> its symbol suffix. ``BY`` is accepted on input but a Bybit symbol is written
plain (``BTCUSDT``), as Bybit spells it."""
_VENUES = {suffix: venue for venue, suffix in SUFFIXES.items()}
SHORT_LABELS: dict[str, str] = {"bybit": "BYB", "hyperliquid": "HL"}
"""A venue's label in a narrow column."""
QUALIFIED_RE = re.compile(r"[A-Z0-9]{2,30}(\.[A-Z]{2,4})?")
"""A symbol, plain or venue-qualified (``BTCUSDT``, ``BTCUSDT.HL``)."""


def split(symbol: str) -> tuple[str, str]:
    """``(asset symbol, venue name)`` of ``symbol``: ``BTCUSDT.HL`` -> ``("BTCUSDT", "hyperliquid")``.

    A plain symbol is on the primary venue. ValueError for an unknown suffix.
    """
    asset, sep, suffix = symbol.partition(SEPARATOR)
    if not sep:
        return symbol, PRIMARY_VENUE
    venue = _VENUES.get(suffix)
    if venue is None or not asset:
        raise ValueError(f"{symbol!r}: unknown venue suffix {suffix!r}; use one of {sorted(_VENUES)}")
    return asset, venue


def venue_of(symbol: str) -> str:
    """The venue name ``symbol`` lives on (``bybit`` for a plain symbol)."""
    return split(symbol)[1]


def asset_of(symbol: str) -> str:
    """The venue's own symbol of ``symbol`` (``BTCUSDT.HL`` -> ``BTCUSDT``)."""
    return split(symbol)[0]


def on_venue(asset: str, venue: str) -> str:
    """The qualified symbol of ``asset`` on ``venue`` (``("BTCUSDT", "hyperliquid")`` -> ``BTCUSDT.HL``)."""
    if venue == PRIMARY_VENUE:
        return asset
    suffix = SUFFIXES.get(venue)
    if suffix is None:
        raise ValueError(f"venue {venue!r} has no symbol suffix; known: {sorted(SUFFIXES)}")
    return f"{asset}{SEPARATOR}{suffix}"


def venue_label(symbol: str) -> str:
    """A short label of ``symbol``'s venue for a table column (``BYB``, ``HL``; ``?`` if unknown)."""
    try:
        return SHORT_LABELS.get(venue_of(symbol), "?")
    except ValueError:
        return "?"


def bare_symbol(symbol: str) -> str:
    """``symbol`` without any venue suffix (``BTCUSDT.HL`` -> ``BTCUSDT``); never raises (display)."""
    return symbol.partition(SEPARATOR)[0]


def on_second_venue(symbol: str) -> bool:
    """True when ``symbol`` carries a venue suffix (it is not on the primary venue)."""
    return SEPARATOR in symbol


def is_qualified(symbol: str) -> bool:
    """True when ``symbol`` is written as a plain or venue-qualified symbol."""
    return QUALIFIED_RE.fullmatch(symbol) is not None


LEG_ENDPOINT_SEPARATOR = ":"
"""Between a second venue's name and its own endpoint name (``hyperliquid:/exchange:order``)."""


def leg_endpoint(venue: str, endpoint: str) -> str:
    """The endpoint name of a second venue's endpoint in the composite: its own limits and breakers
    key on it (the primary's endpoints keep their names)."""
    return f"{venue}{LEG_ENDPOINT_SEPARATOR}{endpoint}"


def leg_of_endpoint(endpoint: str) -> str | None:
    """The second venue an endpoint name of :func:`leg_endpoint` is on (None: the primary's, or a
    single venue's)."""
    head, sep, _ = endpoint.partition(LEG_ENDPOINT_SEPARATOR)
    if not sep or head == PRIMARY_VENUE or head not in SUFFIXES:
        return None
    return head


def endpoint_in_leg(endpoint: str) -> str:
    """A :func:`leg_endpoint` name without its venue (the leg's own name); others as they are."""
    if leg_of_endpoint(endpoint) is None:
        return endpoint
    return endpoint.partition(LEG_ENDPOINT_SEPARATOR)[2]
