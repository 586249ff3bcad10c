"""Signatures of the sim venue fixtures (``tests/sim/conftest.py``), for annotations."""

from __future__ import annotations

from typing import Any, Protocol

from core.sim.runner import SimVenueThread


class MakeVenue(Protocol):
    """``make_venue(**overrides)``: a started venue on a free loopback port (``limits_scale`` goes to the
    server, the rest to its settings)."""

    def __call__(self, **overrides: Any) -> SimVenueThread: ...


class Admin(Protocol):
    """``admin(venue, path, body, key)``: the venue's admin endpoint (GET, or POST with a JSON body)."""

    def __call__(
        self, venue: SimVenueThread, path: str, body: dict[str, Any] | None = None, key: str = ...
    ) -> Any: ...
