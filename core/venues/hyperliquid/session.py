"""The SDK's clients for the adapter: signed actions with nonces that are never reused.

The SDK takes each action's nonce from the wall clock in ms with no guard, so two actions in the
same millisecond (or after the clock steps back) would share one and the second would be refused.
:class:`NonceGuard` hands out strictly increasing nonces, fast-forwarded to the (offset-corrected)
wall clock, under a lock (Hyperliquid's recommendation: one atomic counter per signer). Actions
are built by the adapter, signed by the SDK's ``sign_l1_action`` with that nonce and posted by
the SDK's ``Exchange._post_action`` (never with a builder or referral code).

The SDK signs for mainnet only when the base URL is exactly its ``MAINNET_API_URL``; the session
asserts that signing network and mode agree (live: mainnet; demo and sim: testnet-style), so a
testnet key never signs for mainnet.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import eth_account
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info
from hyperliquid.utils.constants import MAINNET_API_URL
from hyperliquid.utils.signing import sign_l1_action

from core.config_files import ConfigError
from core.endpoint_policy import assert_endpoint_matches_mode
from core.model import Mode

VENUE = "hyperliquid"
EMPTY_SPOT_META: dict[str, list[Any]] = {"universe": [], "tokens": []}
"""Passed to the SDK so that building a client makes no spot-meta request."""


def wall_ms() -> int:
    """The wall clock in ms."""
    return time.time_ns() // 1_000_000


class NonceGuard:
    """Strictly increasing nonces for one signer: ``max(now, last + 1)``, thread-safe."""

    def __init__(self, now_ms: Callable[[], int] = wall_ms) -> None:
        self._now_ms = now_ms
        self._last = 0
        self._lock = threading.Lock()

    def next(self) -> int:
        """A nonce never handed out before by this guard."""
        with self._lock:
            self._last = max(self._now_ms(), self._last + 1)
            return self._last


class HLSession:
    """One signer's clients: the SDK's ``Info`` (no socket) and ``Exchange``, pointed at
    ``base_url`` only, with ``meta`` passed in so that building them makes no request."""

    def __init__(
        self,
        mode: Mode,
        base_url: str,
        private_key: str,
        meta: dict[str, Any],
        *,
        timeout_s: float,
        nonces: NonceGuard,
    ) -> None:
        self.mode = mode
        self.venue = None if mode is Mode.SIM else VENUE
        assert_endpoint_matches_mode(mode, base_url, self.venue)
        self.is_mainnet = base_url == MAINNET_API_URL
        if self.is_mainnet != (mode is Mode.LIVE):
            raise ConfigError([("mode", f"{mode.value} mode may not sign for {base_url}")])
        try:
            self.wallet = eth_account.Account.from_key(private_key)
        except (ValueError, TypeError):
            raise ConfigError([(f"{mode.value}_api_secret", "is not an agent wallet private key")]) from None
        self.base_url = base_url
        self.nonces = nonces
        self.exchange = Exchange(
            self.wallet, base_url, meta=meta, spot_meta=EMPTY_SPOT_META, timeout=timeout_s
        )
        self.info: Info = self.exchange.info

    @property
    def signer(self) -> str:
        """The agent wallet's address (lower case)."""
        return str(self.wallet.address).lower()

    def signed(self, action: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """``action``'s signature (by the SDK) and the fresh nonce it was signed with."""
        nonce = self.nonces.next()
        signature = sign_l1_action(self.wallet, action, None, nonce, None, self.is_mainnet)
        return signature, nonce

    def act(self, action: dict[str, Any]) -> Any:
        """Sign and post ``action`` to ``/exchange``; the reply body."""
        # Third mode check, right before the send (cached: one dictionary look-up).
        assert_endpoint_matches_mode(self.mode, self.exchange.base_url, self.venue)
        signature, nonce = self.signed(action)
        return self.exchange._post_action(action, signature, nonce)

    def info_post(self, payload: dict[str, Any]) -> Any:
        """Post ``payload`` to ``/info``; the reply body."""
        return self.info.post("/info", payload)
