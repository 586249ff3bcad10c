"""The composite venue's endpoint policy and adapter. Imports no client library.

``venue.name = "multi"`` trades every venue in ``venue.legs`` at once, in every mode: sim (the
built-in sims on loopback, leg ``i`` on ``sim.port + i``), demo (each leg's paper-money hosts:
Bybit demo and Hyperliquid testnet) and live (each leg's mainnet, with ``--live`` and the typed
confirmation). The composite has no host of its own: each leg is built by the registry from its
own package, with its own keys for the mode (:mod:`core.config_keys`), and checked against the
mode by its own venue's policy at load (:mod:`core.config_legs`), at build and before each send
(:func:`core.endpoint_policy.check_venue_endpoint` checks every leg).
"""

from __future__ import annotations

from core.endpoint_policy import EndpointPolicy
from core.model import Mode

POLICY = EndpointPolicy(venue="multi", modes=frozenset(Mode))
"""Every mode; no host of its own (every leg is checked by its own venue's hosts)."""

ADAPTER = "core.venues.multi.build:build_multi"
"""The callable building the composite: ``(settings, *, now_ms, bad_data) -> Venue``."""
