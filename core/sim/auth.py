"""Bybit V5 request authentication for the sim venue: HMAC-SHA256 over the exact received bytes.

REST: ``sign = hex(HMAC_SHA256(secret, timestamp + api_key + recv_window + payload))`` where
``payload`` is the raw query string (GET, exactly as received, never re-encoded) or the raw body
(POST). WebSocket: ``hex(HMAC_SHA256(secret, "GET/realtime" + expires))``.

The timestamp rule is Bybit's: ``server_time - recv_window <= timestamp < server_time + 1000``.
Bybit's V5 guide publishes that rule but no numeric ceiling for ``recv_window``; the sim caps the
window it applies at :data:`MAX_RECV_WINDOW` so an old timestamp cannot be replayed by sending a
huge window. Header values are checked as ASCII before any comparison: a non-ASCII signature,
timestamp or window is Bybit's 10001/10004, never a server error.
Nothing here ever puts a secret or a signature into an exception message or a log line.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

#: Bybit's default recvWindow when the header is absent.
DEFAULT_RECV_WINDOW = 5000
#: How far a client clock may run ahead of the server before 10002.
FUTURE_TOLERANCE_MS = 1000
#: The largest recv_window the sim applies (a larger header value is clamped to it).
MAX_RECV_WINDOW = 60_000
#: The most digits a timestamp or recv_window header may have (more is never a real value).
MAX_INT_DIGITS = 20
#: A WebSocket ``auth`` frame's args: api key, expiry (ms) and signature.
WS_AUTH_ARGS = 3


class AuthError(Exception):
    """An authentication failure, as Bybit reports it (``ret_code``/``ret_msg``, HTTP status)."""

    def __init__(self, ret_code: int, ret_msg: str, http_status: int = 200) -> None:
        super().__init__(ret_code, ret_msg)
        self.ret_code = ret_code
        self.ret_msg = ret_msg
        self.http_status = http_status

    def __str__(self) -> str:
        return f"{self.ret_code}: {self.ret_msg}"


def _ascii_int(raw: str) -> int | None:
    """``raw`` as a non-negative integer when it is ASCII digits only (``int()`` alone takes "١٢٣")."""
    if not raw or len(raw) > MAX_INT_DIGITS or not raw.isascii() or not raw.isdigit():
        return None
    return int(raw)


def same_token(given: str, expected: str) -> bool:
    """Constant-time equality of a header value and a known token; False for non-ASCII input."""
    if not given.isascii():
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def sign(secret: str, payload: str | bytes) -> str:
    """Lowercase hex HMAC-SHA256 of ``payload`` keyed by ``secret``."""
    data = payload.encode() if isinstance(payload, str) else payload
    return hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


def rest_signature(secret: str, timestamp: str, api_key: str, recv_window: str, payload: bytes) -> str:
    """The V5 REST signature for one request (``payload`` = raw query string or raw body bytes)."""
    prefix = f"{timestamp}{api_key}{recv_window}".encode()
    return sign(secret, prefix + payload)


def ws_signature(secret: str, expires: int | str) -> str:
    """The V5 WebSocket ``auth`` signature for an ``expires`` timestamp (ms)."""
    return sign(secret, f"GET/realtime{expires}")


class Authenticator:
    """Verifies signed REST requests and WebSocket ``auth`` frames against known API keys."""

    def __init__(self, keys: Mapping[str, str]) -> None:
        """``keys`` maps api_key -> api_secret."""
        self._keys = dict(keys)

    def add_key(self, api_key: str, api_secret: str) -> None:
        """Register another key (e.g. a second simulated user)."""
        self._keys[api_key] = api_secret

    def knows(self, api_key: str) -> bool:
        """True when ``api_key`` is registered."""
        return api_key in self._keys

    def verify_rest(self, headers: Mapping[str, str], payload: bytes, now_ms: int) -> str:
        """Check the ``X-BAPI-*`` headers of one request; return the api key or raise :class:`AuthError`.

        ``headers`` lookups must be case-insensitive (aiohttp's ``CIMultiDict`` is).
        """
        api_key = headers.get("X-BAPI-API-KEY")
        sig = headers.get("X-BAPI-SIGN")
        ts = headers.get("X-BAPI-TIMESTAMP")
        if not api_key or not sig or not ts:
            raise AuthError(10003, "Missing authentication headers (X-BAPI-API-KEY/SIGN/TIMESTAMP).", 401)
        secret = self._keys.get(api_key)
        if secret is None:
            raise AuthError(10003, "API key is invalid.")
        sign_type = headers.get("X-BAPI-SIGN-TYPE")
        if sign_type not in (None, "", "2"):
            raise AuthError(10004, "Error sign, only HMAC_SHA256 (X-BAPI-SIGN-TYPE 2) is supported.")
        recv_raw = headers.get("X-BAPI-RECV-WINDOW")
        recv_str = recv_raw if recv_raw is not None else ""
        ts_ms = _ascii_int(ts)
        recv_window = _ascii_int(recv_raw) if recv_raw else DEFAULT_RECV_WINDOW
        if ts_ms is None or recv_window is None:
            raise AuthError(10001, "Invalid X-BAPI-TIMESTAMP or X-BAPI-RECV-WINDOW header.")
        recv_window = min(recv_window, MAX_RECV_WINDOW)
        if not (now_ms - recv_window <= ts_ms < now_ms + FUTURE_TOLERANCE_MS):
            raise AuthError(
                10002,
                "invalid request, please check your server timestamp or recv_window param. "
                f"req_timestamp[{ts_ms}],server_timestamp[{now_ms}],recv_window[{recv_window}]",
            )
        expected = rest_signature(secret, ts, api_key, recv_str, payload)
        if not same_token(sig.lower(), expected):
            raise AuthError(10004, "error sign! please check your signature generation algorithm.")
        return api_key

    def verify_ws(self, args: object, now_ms: int) -> str:
        """Check the ``args`` of a WebSocket ``auth`` frame: ``[api_key, expires_ms, signature]``."""
        if not isinstance(args, list) or len(args) != WS_AUTH_ARGS:
            raise AuthError(10001, "Params Error")
        api_key, expires, sig = args
        if not isinstance(api_key, str) or not isinstance(sig, str):
            raise AuthError(10001, "Params Error")
        secret = self._keys.get(api_key)
        if secret is None:
            raise AuthError(10003, "Invalid apikey")
        try:
            expires_ms = int(expires)
        except (TypeError, ValueError):
            raise AuthError(10001, "Params Error") from None
        if expires_ms <= now_ms:
            raise AuthError(10002, "Params Error: request expired")
        if not same_token(sig.lower(), ws_signature(secret, expires)):
            raise AuthError(10004, "Invalid sign")
        return api_key
