"""pybit ``HTTP`` sessions for the adapter: one attempt per call, and signing on the adapter's
own corrected clock.

pybit's own blocking retries would fight the engine's retry policy (it ``time.sleep``s inside the
call, on the worker thread, and crashes on a past reset timestamp), so every session is built with

* ``retry_codes={-1}`` — an empty set would silently mean "the default set", so a dummy code
  disables pybit's retCode retries (10002/10006/...); the engine's tenacity policy retries instead;
* ``max_retries=1`` — one attempt per call (``0`` crashes pybit with UnboundLocalError);
* ``force_retry=False`` — network errors surface at once as ``requests`` exceptions;
* ``return_response_headers=True`` — so the rate limiter hears ``X-Bapi-Limit-*``.

Clock offset: pybit signs with ``pybit._helpers.generate_timestamp()``, a module function shared
by every session in the process. :class:`SignedHTTP` instead signs with ``local time + offset``
read from its adapter, so two adapters (or an adapter and a test) never share a correction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from pybit import _helpers as pybit_helpers
from pybit.unified_trading import HTTP

from core.config import Settings, assert_endpoint_matches_mode


def _no_offset() -> int:
    return 0


class SignedHTTP(HTTP):  # type: ignore[misc]  # pybit ships no type hints, so HTTP is Any
    """pybit's ``HTTP`` signing every request with ``local time + clock_offset()`` (ms)."""

    clock_offset: Callable[[], int] = staticmethod(_no_offset)

    def _prepare_headers(
        self, payload: Any, recv_window: int, content_type: str = "application/json"
    ) -> dict[str, str]:
        """pybit's signed headers, with this session's corrected timestamp."""
        timestamp = int(pybit_helpers.generate_timestamp()) + int(self.clock_offset())
        sign = self._auth_binary if isinstance(payload, bytes) else self._auth
        signature = sign(payload=payload, recv_window=recv_window, timestamp=timestamp)
        return {
            "Content-Type": content_type,
            "X-BAPI-API-KEY": self.api_key,
            "X-BAPI-SIGN": signature,
            "X-BAPI-SIGN-TYPE": "2",
            "X-BAPI-TIMESTAMP": str(timestamp),
            "X-BAPI-RECV-WINDOW": str(recv_window),
        }


def make_http(settings: Settings, clock_offset: Callable[[], int] = _no_offset) -> SignedHTTP:
    """A pybit session for the configured mode, pointed at that mode's endpoint only, signing
    with ``local time + clock_offset()``."""
    assert_endpoint_matches_mode(settings.mode, settings.rest_url, "bybit")  # Bybit's own hosts only
    key, secret = settings.credentials()
    session = SignedHTTP(
        testnet=False,
        demo=settings.mode.value == "demo",
        api_key=key,
        api_secret=secret,
        recv_window=settings.venue.recv_window_ms,
        timeout=settings.venue.timeout_s,
        max_retries=1,
        retry_codes={-1},
        force_retry=False,
        return_response_headers=True,
        log_requests=False,
        logging_level=logging.WARNING,
    )
    session.clock_offset = clock_offset
    session.endpoint = settings.rest_url
    return session
