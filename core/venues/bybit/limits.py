"""Bybit V5 REST rate limits: the group table, which path is in which group, and the
``X-Bapi-Limit*`` reply headers read as :class:`~core.venues.base.RateFeedback` (pure).

Bybit limits private endpoints per UID with a *rolling 1 s window* per endpoint (retCode 10006
when exceeded) and every REST request with an IP-level 600 requests / 5 s window (HTTP 403).
"""

from __future__ import annotations

from collections.abc import Mapping

from core.resilience.ratelimit import Limit, RateTable
from core.venues.base import RateFeedback

IP_GROUP = "ip"
"""The IP-level window every request also consumes."""
PUBLIC_GROUP = "public"
"""Public market endpoints: governed by the IP limit only (kept as its own group for headroom)."""
OTHER_GROUP = "private.other"
"""Private endpoints not in the table: a conservative default."""

# Bybit V5 linear, UTA Pro defaults (docs: rate-limit). Group name -> limit.
DEFAULT_LIMITS: dict[str, Limit] = {
    "order.create": Limit(10),
    "order.amend": Limit(10),
    "order.cancel": Limit(10),
    "order.cancel-all": Limit(10),
    "order.create-batch": Limit(10),
    "order.amend-batch": Limit(10),
    "order.cancel-batch": Limit(10),
    "order.pre-check": Limit(10),
    "order.realtime": Limit(50),
    "order.history": Limit(50),
    "execution.list": Limit(50),
    "position.list": Limit(50),
    "position.closed-pnl": Limit(50),
    "position.set-leverage": Limit(10),
    "position.switch-mode": Limit(10),
    "position.trading-stop": Limit(10),
    "position.set-auto-add-margin": Limit(10),
    "position.add-margin": Limit(10),
    "account.wallet-balance": Limit(50),
    "account.fee-rate": Limit(5),
    "account.info": Limit(50),
    "account.transaction-log": Limit(25),
    OTHER_GROUP: Limit(10),
    PUBLIC_GROUP: Limit(600, 5.0),
    IP_GROUP: Limit(600, 5.0),
}

_PATH_GROUPS: dict[str, str] = {
    "/v5/order/create": "order.create",
    "/v5/order/amend": "order.amend",
    "/v5/order/cancel": "order.cancel",
    "/v5/order/cancel-all": "order.cancel-all",
    "/v5/order/create-batch": "order.create-batch",
    "/v5/order/amend-batch": "order.amend-batch",
    "/v5/order/cancel-batch": "order.cancel-batch",
    "/v5/order/pre-check": "order.pre-check",
    "/v5/order/realtime": "order.realtime",
    "/v5/order/history": "order.history",
    "/v5/execution/list": "execution.list",
    "/v5/position/list": "position.list",
    "/v5/position/closed-pnl": "position.closed-pnl",
    "/v5/position/set-leverage": "position.set-leverage",
    "/v5/position/switch-mode": "position.switch-mode",
    "/v5/position/trading-stop": "position.trading-stop",
    "/v5/position/set-auto-add-margin": "position.set-auto-add-margin",
    "/v5/position/add-margin": "position.add-margin",
    "/v5/account/wallet-balance": "account.wallet-balance",
    "/v5/account/fee-rate": "account.fee-rate",
    "/v5/account/info": "account.info",
    "/v5/account/transaction-log": "account.transaction-log",
}


def group_for(path: str) -> str:
    """The limiter group of a REST path (a full URL or a query string is accepted too)."""
    p = path
    if "://" in p:
        p = "/" + p.split("://", 1)[1].split("/", 1)[-1]
    p = p.split("?", 1)[0].rstrip("/")
    group = _PATH_GROUPS.get(p)
    if group is not None:
        return group
    if p.startswith(("/v5/market/", "/v5/announcements")):
        return PUBLIC_GROUP
    return OTHER_GROUP


RATE_TABLE = RateTable(
    limits=DEFAULT_LIMITS, group_of=group_for, ip_group=IP_GROUP, default=DEFAULT_LIMITS[OTHER_GROUP]
)
"""Bybit V5's table as the engine's rate limiter takes it."""

LIMIT_HEADER = "x-bapi-limit"
STATUS_HEADER = "x-bapi-limit-status"
RESET_HEADER = "x-bapi-limit-reset-timestamp"


def _int_or_none(value: object) -> int | None:
    if value is None:
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def reset_ms(headers: Mapping[str, str]) -> int | None:
    """``X-Bapi-Limit-Reset-Timestamp`` (epoch ms) when present and a whole number."""
    for k, v in headers.items():
        if str(k).lower() == RESET_HEADER:
            return _int_or_none(v)
    return None


def feedback(endpoint: str, headers: Mapping[str, str]) -> RateFeedback | None:
    """The rate-limit report in a reply's ``X-Bapi-Limit*`` headers (case-insensitive names);
    None when the reply carries neither the limit nor the remaining count (public endpoints)."""
    lowered = {str(k).lower(): v for k, v in headers.items()}
    limit = _int_or_none(lowered.get(LIMIT_HEADER))
    remaining = _int_or_none(lowered.get(STATUS_HEADER))
    if limit is None and remaining is None:
        return None
    return RateFeedback(endpoint, limit, remaining, _int_or_none(lowered.get(RESET_HEADER)))
