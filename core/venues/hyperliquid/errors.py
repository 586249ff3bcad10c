"""Hyperliquid's replies and failures -> the port's classified errors (pure, no SDK import).

A reply is ``{"status": "ok", "response": {"type", "data": {"statuses": [...]}}}`` with one status
per item (``{"resting"}``, ``{"filled"}``, ``{"error": "..."}``, ``"success"``), or a whole-action
failure ``{"status": "err", "response": "<text>"}``. The texts matched here are Hyperliquid's own
(``reference/hyperliquid.md`` sections 3, 4.1 and 4.2).
"""

from __future__ import annotations

from typing import Any

from core.resilience.errors import (
    AuthFailed,
    DuplicateClientId,
    OrderGone,
    RateLimited,
    Rejected,
    VenueError,
    malformed_reply,
    maybe_processed_error,
)

HTTP_TOO_MANY = 429
HTTP_SERVER_ERROR = 500
HTTP_UNPROCESSABLE = 422
"""Hyperliquid's answer to a body that did not deserialize (plain text)."""

CODE_ACTION = 1
"""Our display code for a whole-action refusal (Hyperliquid has no numeric codes)."""
CODE_ITEM = 2
"""Our display code for a per-item refusal."""

ORDER_GONE = ("Order was never placed, already canceled, or filled", "Cannot modify canceled or filled order")
AUTH = ("does not exist", "Invalid signature", "signature", "not authorized")
DUPLICATE = ("duplicate", "Cloid already")
RATE_LIMIT = ("Too many", "rate limit", "rate-limited")
NONCE = ("nonce",)


def _has(text: str, words: tuple[str, ...]) -> bool:
    low = text.lower()
    return any(w.lower() in low for w in words)


def classify_text(text: str, *, endpoint: str, item: bool) -> Rejected | RateLimited:
    """A refusal's text -> the port's error (a business answer: never retried blindly)."""
    code = CODE_ITEM if item else CODE_ACTION
    if _has(text, RATE_LIMIT):
        return RateLimited(None, text, endpoint=endpoint, code=code)
    if _has(text, ORDER_GONE):
        return OrderGone(code, text, endpoint=endpoint)
    if _has(text, DUPLICATE):
        return DuplicateClientId(code, text, endpoint=endpoint)
    if not item and _has(text, AUTH):
        return AuthFailed(code, text, endpoint=endpoint)
    return Rejected(code, text, endpoint=endpoint)


def action_statuses(body: Any, *, endpoint: str, idempotent: bool) -> list[Any]:
    """The per-item statuses of an ``/exchange`` reply; raise for a whole-action failure.

    A body that is not Hyperliquid's envelope is a malformed reply (the action may have been
    applied: an order create's outcome is then unknown).
    """
    if not isinstance(body, dict):
        raise malformed_reply(
            f"reply is {type(body).__name__}, not an object", endpoint=endpoint, idempotent=idempotent
        )
    status, response = body.get("status"), body.get("response")
    if status == "err":
        raise classify_text(str(response), endpoint=endpoint, item=False)
    if status != "ok" or not isinstance(response, dict):
        raise malformed_reply(
            f"status {status!r} with response {type(response).__name__}",
            endpoint=endpoint,
            idempotent=idempotent,
        )
    data = response.get("data")
    if data is None:  # {"type": "default"}: updateLeverage, scheduleCancel
        return []
    statuses = data.get("statuses") if isinstance(data, dict) else None
    if not isinstance(statuses, list):
        raise malformed_reply(
            "response.data.statuses is not a list", endpoint=endpoint, idempotent=idempotent
        )
    return statuses


def first_status(body: Any, *, endpoint: str, idempotent: bool) -> Any:
    """The one item's status of a one-item action; its error raised as the port's error.

    A shorter statuses list than the batch (a payload-level error) is unknown for an order
    create: the engine asks by client order id.
    """
    statuses = action_statuses(body, endpoint=endpoint, idempotent=idempotent)
    if not statuses:
        raise malformed_reply("no status for the item", endpoint=endpoint, idempotent=idempotent)
    status = statuses[0]
    if isinstance(status, dict) and "error" in status:
        raise classify_text(str(status["error"]), endpoint=endpoint, item=True)
    return status


def classify_http(status: int, text: str, *, endpoint: str, idempotent: bool) -> VenueError:
    """An HTTP error status: 429 rate limited, 5xx maybe processed, 422 and other 4xx refused."""
    if status == HTTP_TOO_MANY:
        return RateLimited(None, f"HTTP 429 {text}".strip(), endpoint=endpoint, code=status)
    if status >= HTTP_SERVER_ERROR:
        return maybe_processed_error(
            f"HTTP {status}", endpoint=endpoint, idempotent=idempotent, category="http_5xx", code=status
        )
    return Rejected(status, text, endpoint=endpoint, http_status=status, category="http_4xx")
