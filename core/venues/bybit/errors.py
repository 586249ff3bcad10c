"""Bybit's error codes and HTTP statuses, mapped onto the classified errors of
:mod:`core.resilience.errors` (pure: no pybit import).

The adapter maps pybit's ``InvalidRequestError`` (``status_code`` = retCode) and
``FailedRequestError`` (``status_code`` = HTTP status) onto :func:`classify` itself. Each error's
``category`` is the ``ret_class`` the request metrics count it as: ``ok``, ``rate_limited``
(10006), ``timestamp`` (10002), ``auth`` (10003/4/5/7, 10010), ``param`` (10001), ``server``
(10000, 10016), ``order`` (110xxx), ``venue_other`` (any other retCode), and for an HTTP status
without a body ``http_403``, ``http_429``, ``http_4xx``, ``http_5xx``; ``network`` when no
response came at all.
"""

from __future__ import annotations

from http import HTTPStatus

from core.resilience.errors import (
    AuthFailed,
    DuplicateClientId,
    OrderGone,
    RateLimited,
    Rejected,
    TimestampError,
    Unchanged,
    VenueError,
    classify_network_exception,
    maybe_processed_error,
)

RC_OK = 0
RC_SERVER_TIMEOUT = 10000
RC_PARAM = 10001
RC_TIMESTAMP = 10002
RC_RATE_LIMIT = 10006
RC_SERVER_ERROR = 10016
RC_WS_IP_LIMIT = 10403
RC_WS_SYSTEM_FREQUENCY = 10429
RC_ORDER_NOT_EXISTS = 110001
RC_ORDER_FINISHED = 110008
RC_LEVERAGE_NOT_MODIFIED = 110043
RC_DUPLICATE_LINK_ID = 110072
RC_TPSL_NOT_MODIFIED = 34040

TRANSIENT_RET_CODES = frozenset({RC_SERVER_TIMEOUT, RC_SERVER_ERROR})
RATE_LIMIT_RET_CODES = frozenset({RC_RATE_LIMIT, RC_WS_IP_LIMIT, RC_WS_SYSTEM_FREQUENCY})
AUTH_RET_CODES = frozenset({10003, 10004, 10005, 10007, 10010})
GONE_RET_CODES = frozenset({RC_ORDER_NOT_EXISTS, RC_ORDER_FINISHED})
""""Order does not exist / too late" and "order completed or cancelled"."""
UNCHANGED_RET_CODES = frozenset({RC_LEVERAGE_NOT_MODIFIED, RC_TPSL_NOT_MODIFIED})
"""Set-leverage and trading-stop "not modified": the setting already is what was asked."""
ORDER_CODES = range(110000, 120000)

HTTP_TOO_MANY = 429
HTTP_FORBIDDEN = 403
HTTP_UNAUTHORIZED = 401
HTTP_SERVER_ERROR = 500
HTTP_CLIENT_ERROR = 400


def _rejection(code: int, reason: str, endpoint: str) -> Rejected:
    """The kind of business refusal a retCode is (duplicate id, order gone, unchanged, auth, other)."""
    message = f"retCode={code} {reason}".strip()
    if code == RC_DUPLICATE_LINK_ID:
        return DuplicateClientId(code, reason, endpoint=endpoint, message=message, category="order")
    if code in GONE_RET_CODES:
        return OrderGone(code, reason, endpoint=endpoint, message=message, category="order")
    if code in UNCHANGED_RET_CODES:
        category = "order" if code in ORDER_CODES else "venue_other"
        return Unchanged(code, reason, endpoint=endpoint, message=message, category=category)
    if code in AUTH_RET_CODES:
        return AuthFailed(code, reason, endpoint=endpoint, message=message)
    if code == RC_PARAM:
        category = "param"
    elif code in ORDER_CODES:
        category = "order"
    else:
        category = "venue_other"
    return Rejected(code, reason, endpoint=endpoint, message=message, category=category)


def classify_ret_code(
    ret_code: int,
    message: str = "",
    *,
    endpoint: str = "",
    idempotent: bool = True,
    reset_ms: int | None = None,
) -> VenueError | None:
    """Classify a Bybit retCode; None for success (0)."""
    if ret_code == RC_OK:
        return None
    if ret_code in RATE_LIMIT_RET_CODES:
        return RateLimited(reset_ms, message or f"retCode={ret_code}", endpoint=endpoint, code=ret_code)
    if ret_code == RC_TIMESTAMP:
        text = message or "retCode=10002 timestamp outside recv_window"
        return TimestampError(text, endpoint=endpoint, code=ret_code)
    if ret_code in TRANSIENT_RET_CODES:
        text = f"retCode={ret_code} {message}".strip()
        return maybe_processed_error(
            text, endpoint=endpoint, idempotent=idempotent, category="server", code=ret_code
        )
    return _rejection(ret_code, message, endpoint)


def _http_category(status: int) -> str:
    if status in (HTTP_FORBIDDEN, HTTP_TOO_MANY):
        return f"http_{status}"
    if HTTP_CLIENT_ERROR <= status < HTTP_SERVER_ERROR:
        return "http_4xx"
    if status >= HTTP_SERVER_ERROR:
        return "http_5xx"
    return "no_body"


def classify_http_status(
    status: int,
    message: str = "",
    *,
    endpoint: str = "",
    idempotent: bool = True,
    reset_ms: int | None = None,
) -> VenueError | None:
    """Classify an HTTP status; None for 2xx.

    429 is Bybit's system-level frequency protection (retried as a rate limit). 403 is the IP ban
    ("access too frequent", wait >= 10 min) or a geo block: retrying only prolongs a ban, so it is a
    :class:`Rejected` with ``http_status=403`` for the engine to surface. 401 is an
    :class:`AuthFailed`.
    """
    if HTTPStatus.OK <= status < HTTPStatus.MULTIPLE_CHOICES:
        return None
    category = _http_category(status)
    if status == HTTP_TOO_MANY:
        return RateLimited(reset_ms, message or "HTTP 429", endpoint=endpoint, category=category, code=status)
    if status >= HTTP_SERVER_ERROR:
        text = f"HTTP {status} {message}".strip()
        return maybe_processed_error(
            text, endpoint=endpoint, idempotent=idempotent, category=category, code=status
        )
    kind = AuthFailed if status == HTTP_UNAUTHORIZED else Rejected
    return kind(
        status,
        message or f"HTTP {status}",
        endpoint=endpoint,
        http_status=status,
        message=f"retCode={status} {message or f'HTTP {status}'}",
        category=category,
    )


def classify_exception(
    exc: BaseException, *, endpoint: str = "", idempotent: bool = True
) -> VenueError | None:
    """Classify a transport exception; None when it is not a venue failure (a bug: let it propagate)."""
    return classify_network_exception(exc, endpoint=endpoint, idempotent=idempotent)


def classify(
    *,
    ret_code: int | None = None,
    http_status: int | None = None,
    exc: BaseException | None = None,
    message: str = "",
    endpoint: str = "",
    idempotent: bool = True,
    reset_ms: int | None = None,
) -> VenueError | None:
    """Classify whichever of retCode / HTTP status / exception is given (retCode wins, then HTTP)."""
    if ret_code is not None:
        return classify_ret_code(
            ret_code, message, endpoint=endpoint, idempotent=idempotent, reset_ms=reset_ms
        )
    if http_status is not None:
        return classify_http_status(
            http_status, message, endpoint=endpoint, idempotent=idempotent, reset_ms=reset_ms
        )
    if exc is not None:
        return classify_exception(exc, endpoint=endpoint, idempotent=idempotent)
    return None
