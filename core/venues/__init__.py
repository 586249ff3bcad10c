"""Exchange adapters behind the venue port (:mod:`core.venues.base`).

One package per venue (``bybit/``, ...); :mod:`core.venues.registry` builds the configured one by
name, so nothing above this package imports an adapter or its client library.
"""
