"""Hyperliquid's endpoints per mode, and where its adapter lives. Imports no client library.

sim -> the built-in sim's Hyperliquid side on loopback (``/info``, ``/exchange``, ``/ws``);
demo -> Hyperliquid testnet (paper money); live -> mainnet. The URLs are the SDK's own
constants (``hyperliquid.utils.constants``), copied here so that loading settings never imports
the SDK; a test checks they stay equal. The SDK signs for mainnet only when its ``base_url`` is
exactly :data:`MAINNET_URL`, so live never takes a ``rest_url`` override that differs from it.

Keys: the account address is the mode's ``api_key`` and the agent (API) wallet's private key is
its ``api_secret`` (``TRADE_DEMO_API_KEY``/``TRADE_DEMO_API_SECRET`` for testnet,
``TRADE_LIVE_*`` for mainnet, or the ``[demo]``/``[live]`` tables of the 0600 ``secrets_file``).
Testnet keys are only ever read in demo mode, which reaches only the testnet host.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.endpoint_policy import EndpointPolicy
from core.model import Mode

if TYPE_CHECKING:
    from core.config import Settings

TESTNET_URL = "https://api.hyperliquid-testnet.xyz"
"""The SDK's ``TESTNET_API_URL``."""
MAINNET_URL = "https://api.hyperliquid.xyz"
"""The SDK's ``MAINNET_API_URL`` (the only base URL it signs mainnet actions for)."""
WS_PATH = "/ws"

HL_ENDPOINTS: dict[Mode, dict[str, str]] = {
    Mode.DEMO: {"rest": TESTNET_URL, "ws": "wss://api.hyperliquid-testnet.xyz/ws"},
    Mode.LIVE: {"rest": MAINNET_URL, "ws": "wss://api.hyperliquid.xyz/ws"},
}

POLICY = EndpointPolicy(
    venue="hyperliquid",
    modes=frozenset(Mode),
    hosts={
        Mode.DEMO: frozenset({"api.hyperliquid-testnet.xyz"}),
        Mode.LIVE: frozenset({"api.hyperliquid.xyz"}),
    },
    urls=HL_ENDPOINTS,
    sim_paths={"rest": "", "ws": WS_PATH},
    titles={Mode.DEMO: "Hyperliquid testnet", Mode.LIVE: "Hyperliquid MAINNET"},
)
"""Where Hyperliquid may be reached in each mode."""

ADAPTER = "core.venues.hyperliquid.rest:HyperliquidVenue"
"""The callable building the adapter: ``(settings, *, now_ms, bad_data) -> Venue``."""

SIM_AGENT_KEY = "0x8da4ef21b864d2cc526dbdb2a120bd2874c36c9d0a1fb7f8c63d7f7a8b41de8f"
"""The built-in sim's well-known agent key (it only ever signs for loopback: sim mode cannot reach
any other host). The sim registers it for :data:`SIM_ACCOUNT`; both are public knowledge, like
the Bybit sim's key, and written here rather than imported (the adapter never imports the sim)."""
SIM_ACCOUNT = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
"""The built-in sim's account address (the master the agent trades for)."""


def rest_url(settings: Settings) -> str:
    """The base URL (``/info`` and ``/exchange`` hang off it) for the configured mode."""
    return POLICY.endpoints(settings.mode, (settings.sim.host, settings.sim.port), settings.venue.rest_url)[
        "rest"
    ]
