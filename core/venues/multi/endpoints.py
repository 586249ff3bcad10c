"""The composite venue's endpoint policy and adapter. Imports no client library.

``venue.name = "multi"`` trades every venue in ``venue.legs`` at once. Each leg is built by the
registry from its own package and checked against the mode by its own policy (at load, at build
and before each send: :func:`core.endpoint_policy.check_venue_endpoint` checks every leg). The
composite itself serves sim mode only: one set of demo/live keys cannot sign for two venues, and
no leg may ever take another venue's keys.
"""

from __future__ import annotations

from core.endpoint_policy import EndpointPolicy
from core.model import Mode

POLICY = EndpointPolicy(venue="multi", modes=frozenset({Mode.SIM}))
"""Sim only; the first leg's loopback endpoint stands for the composite (every leg is checked)."""

ADAPTER = "core.venues.multi.venue:build_multi"
"""The callable building the composite: ``(settings, *, now_ms, bad_data) -> Venue``."""
