"""Bybit's per-UID, per-endpoint API rate limits: a rolling 1 s window and the ``X-Bapi-Limit*`` headers.

Every signed response carries ``X-Bapi-Limit`` (the limit), ``X-Bapi-Limit-Status`` (remaining) and
``X-Bapi-Limit-Reset-Timestamp``. When a request is refused (retCode 10006) the reset timestamp is
always strictly in the future: pybit sleeps until it and crashes on a negative sleep.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

WINDOW_MS = 1000

#: UTA defaults for linear (bybit-v5 rate-limit table).
DEFAULT_LIMITS: dict[str, int] = {
    "/v5/order/create": 10,
    "/v5/order/amend": 10,
    "/v5/order/cancel": 10,
    "/v5/order/cancel-all": 10,
    "/v5/order/realtime": 50,
    "/v5/order/history": 50,
    "/v5/execution/list": 50,
    "/v5/position/list": 50,
    "/v5/position/closed-pnl": 50,
    "/v5/position/set-leverage": 10,
    "/v5/position/trading-stop": 10,
    "/v5/account/wallet-balance": 50,
    "/v5/account/fee-rate": 5,
    "/v5/account/info": 50,
}
#: Limit for a signed path missing from the table.
FALLBACK_LIMIT = 50


@dataclass(frozen=True, slots=True)
class RateDecision:
    """The outcome of one check, with the three header values."""

    allowed: bool
    limit: int
    remaining: int
    reset_ms: int

    def headers(self) -> dict[str, str]:
        """The ``X-Bapi-Limit*`` response headers."""
        return {
            "X-Bapi-Limit": str(self.limit),
            "X-Bapi-Limit-Status": str(self.remaining),
            "X-Bapi-Limit-Reset-Timestamp": str(self.reset_ms),
        }


class RateLimiter:
    """Rolling-window counters per (uid, path). Not thread-safe: used from the server's loop only.

    ``enabled=False`` keeps counting and headers but never refuses; ``scale`` multiplies every limit.
    """

    def __init__(
        self,
        limits: Mapping[str, int] | None = None,
        *,
        enabled: bool = True,
        scale: float = 1.0,
        window_ms: int = WINDOW_MS,
    ) -> None:
        if scale <= 0:
            raise ValueError("limits_scale must be > 0")
        base = dict(DEFAULT_LIMITS if limits is None else limits)
        self._limits = {path: max(1, int(n * scale)) for path, n in base.items()}
        self._fallback = max(1, int(FALLBACK_LIMIT * scale))
        self.enabled = enabled
        self._window = window_ms
        self._hits: dict[tuple[str, str], deque[int]] = {}
        self.refused = 0

    def limit_for(self, path: str) -> int:
        """The effective per-second limit of ``path``."""
        return self._limits.get(path, self._fallback)

    def check(self, uid: str, path: str, now_ms: int) -> RateDecision:
        """Count one request and decide whether it passes."""
        limit = self.limit_for(path)
        hits = self._hits.get((uid, path))
        if hits is None:
            hits = self._hits[(uid, path)] = deque()
        cutoff = now_ms - self._window
        while hits and hits[0] <= cutoff:
            hits.popleft()
        if len(hits) >= limit and self.enabled:
            self.refused += 1
            reset = max(hits[0] + self._window, now_ms + 1)
            return RateDecision(False, limit, 0, reset)
        hits.append(now_ms)
        if len(hits) > limit:  # enforcement off: keep the deque bounded
            hits.popleft()
        remaining = max(0, limit - len(hits))
        reset = hits[0] + self._window if remaining == 0 else now_ms
        return RateDecision(True, limit, remaining, reset)

    @staticmethod
    def refusal(limit: int, now_ms: int, hold_ms: int = WINDOW_MS) -> RateDecision:
        """A refusal not caused by counting (fault injection); reset ``hold_ms`` in the future."""
        return RateDecision(False, limit, 0, now_ms + max(1, hold_ms))
