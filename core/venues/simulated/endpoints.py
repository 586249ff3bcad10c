"""Where the in-process venue may be used, and where its adapter lives. Imports nothing heavy.

The in-process venue has no network address: its endpoint is ``sim://in-process`` and it is
allowed in sim mode only (never demo or live).
"""

from __future__ import annotations

from core.endpoint_policy import EndpointPolicy
from core.model import Mode

REST_URL = "sim://in-process"
"""The in-process venue's endpoint: no network address."""

POLICY = EndpointPolicy(venue="simulated", modes=frozenset({Mode.SIM}), in_process_url=REST_URL)
"""Sim mode only; nothing leaves the process."""

ADAPTER = "core.venues.simulated.venue:from_settings"
"""The callable building the adapter: ``(settings, *, now_ms, bad_data) -> Venue``."""
