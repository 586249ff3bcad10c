"""Bybit's endpoints per mode, and where its adapter lives. Imports no client library.

Demo is Bybit's demo trading (paper money) on ``api-demo.bybit.com`` and
``stream-demo.bybit.com``; Bybit serves no public stream on the demo host, so public market data
for demo comes from mainnet (read-only, it carries no keys). Live is mainnet (``api.bytick.com``
is Bybit's alternative mainnet host). In sim mode the built-in sim server speaks Bybit V5 on
loopback at the same paths. See ``reference/bybit-v5.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.endpoint_policy import EndpointPolicy
from core.model import Mode

if TYPE_CHECKING:
    from core.config import Settings

PUBLIC_LINEAR_PATH = "/v5/public/linear"
PRIVATE_PATH = "/v5/private"

DEMO_REST_HOSTS = frozenset({"api-demo.bybit.com"})
LIVE_REST_HOSTS = frozenset({"api.bybit.com", "api.bytick.com"})

BYBIT_ENDPOINTS: dict[Mode, dict[str, str]] = {
    Mode.DEMO: {
        "rest": "https://api-demo.bybit.com",
        "ws_public": f"wss://stream.bybit.com{PUBLIC_LINEAR_PATH}",
        "ws_private": f"wss://stream-demo.bybit.com{PRIVATE_PATH}",
    },
    Mode.LIVE: {
        "rest": "https://api.bybit.com",
        "ws_public": f"wss://stream.bybit.com{PUBLIC_LINEAR_PATH}",
        "ws_private": f"wss://stream.bybit.com{PRIVATE_PATH}",
    },
}
"""Fixed endpoints per paper/live mode (a ``venue.rest_url`` override replaces ``rest`` only)."""

POLICY = EndpointPolicy(
    venue="bybit",
    modes=frozenset(Mode),
    hosts={Mode.DEMO: DEMO_REST_HOSTS, Mode.LIVE: LIVE_REST_HOSTS},
    urls=BYBIT_ENDPOINTS,
    sim_paths={"rest": "", "ws_public": PUBLIC_LINEAR_PATH, "ws_private": PRIVATE_PATH},
    titles={Mode.DEMO: "Bybit demo trading", Mode.LIVE: "Bybit MAINNET"},
)
"""Where Bybit may be reached in each mode."""

ADAPTER = "core.venues.bybit.rest:BybitVenue"
"""The callable building the adapter: ``(settings, *, now_ms, bad_data) -> Venue``."""


def endpoints(settings: Settings) -> dict[str, str]:
    """Bybit's named endpoints (``rest``, ``ws_public``, ``ws_private``) for the configured mode."""
    return POLICY.endpoints(settings.mode, (settings.sim.host, settings.sim.port), settings.venue.rest_url)


def rest_url(settings: Settings) -> str:
    """The REST base URL for the configured mode."""
    return endpoints(settings)["rest"]


def ws_public_url(settings: Settings) -> str:
    """The public linear stream URL for the configured mode."""
    return endpoints(settings)["ws_public"]


def ws_private_url(settings: Settings) -> str:
    """The private (account) stream URL for the configured mode."""
    return endpoints(settings)["ws_private"]
