"""Failure classes for venue calls and the classifier that maps raw failures onto them.

The classifier works on generic inputs (a Bybit retCode, an HTTP status, an exception from
``requests`` or the standard library). It never imports pybit: the venue layer maps pybit's
``InvalidRequestError`` (``status_code`` = retCode) and ``FailedRequestError`` (``status_code`` = HTTP
status) onto :func:`classify` itself.

The distinction that matters for orders is *was the request possibly processed?*

* :class:`RateLimited`, :class:`TimestampError`: Bybit refused before processing; safe to resend.
* :class:`Transient`: an infrastructure failure; retried only for idempotent calls.
* :class:`Unknown`: a non-idempotent call (order create) may or may not have reached the matching
  engine (read timeout, connection reset mid-request, 5xx, retCode 10000/10016). The caller must
  query the venue by ``orderLinkId`` before sending anything again.
* :class:`Rejected`: a business error; never retried.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import requests

RC_OK = 0
RC_SERVER_TIMEOUT = 10000
RC_TIMESTAMP = 10002
RC_RATE_LIMIT = 10006
RC_SERVER_ERROR = 10016
RC_WS_IP_LIMIT = 10403
RC_WS_SYSTEM_FREQUENCY = 10429

TRANSIENT_RET_CODES = frozenset({RC_SERVER_TIMEOUT, RC_SERVER_ERROR})
RATE_LIMIT_RET_CODES = frozenset({RC_RATE_LIMIT, RC_WS_IP_LIMIT, RC_WS_SYSTEM_FREQUENCY})


class VenueError(Exception):
    """Base class of every classified venue-call failure."""

    retryable_when_idempotent: bool = False
    retryable_always: bool = False

    def __init__(self, message: str = "", *, endpoint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.endpoint = endpoint
        self.attempts = 1

    def __str__(self) -> str:
        where = f" [{self.endpoint}]" if self.endpoint else ""
        return f"{type(self).__name__}{where}: {self.message}"


class RateLimited(VenueError):
    """retCode 10006 (or 10403/10429 on WS, HTTP 429): not processed; wait until ``reset_ms``."""

    retryable_always = True

    def __init__(
        self, reset_ms: int | None = None, message: str = "rate limited", *, endpoint: str = ""
    ) -> None:
        super().__init__(message, endpoint=endpoint)
        self.reset_ms = reset_ms


class Transient(VenueError):
    """Timeouts, connection failures, HTTP 5xx, retCode 10000/10016 on an idempotent call.

    ``sent`` is False when the request provably never left (connection refused, DNS, connect timeout).
    """

    retryable_when_idempotent = True

    def __init__(self, message: str = "transient failure", *, endpoint: str = "", sent: bool = True) -> None:
        super().__init__(message, endpoint=endpoint)
        self.sent = sent


class TimestampError(VenueError):
    """retCode 10002: the request timestamp was outside recvWindow; not processed, re-sign and resend."""

    retryable_always = True


class Rejected(VenueError):
    """A business error (insufficient balance, bad qty, ...). Never retried."""

    def __init__(
        self, ret_code: int, msg: str = "", *, endpoint: str = "", http_status: int | None = None
    ) -> None:
        super().__init__(f"retCode={ret_code} {msg}".strip(), endpoint=endpoint)
        self.ret_code = ret_code
        self.msg = msg
        self.http_status = http_status


class Unknown(VenueError):
    """A non-idempotent call whose outcome is unknown: query by orderLinkId before sending again."""


# Exception class names (anywhere in the cause chain) proving the request never left the host.
_NEVER_SENT_NAMES = frozenset(
    {
        "ConnectTimeout",
        "ConnectTimeoutError",
        "NewConnectionError",
        "NameResolutionError",
        "ConnectionRefusedError",
        "gaierror",
        "ClientConnectorError",
    }
)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, its causes/contexts, and exceptions nested in args or ``reason`` (urllib3)."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        e = stack.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        for nxt in (e.__cause__, e.__context__, getattr(e, "reason", None), *e.args):
            if isinstance(nxt, BaseException):
                stack.append(nxt)


def never_sent(exc: BaseException) -> bool:
    """True when ``exc`` proves the request never reached the server."""
    return any(type(e).__name__ in _NEVER_SENT_NAMES or isinstance(e, socket.gaierror) for e in _chain(exc))


def _maybe_processed(message: str, endpoint: str, idempotent: bool, sent: bool = True) -> VenueError:
    if idempotent or not sent:
        return Transient(message, endpoint=endpoint, sent=sent)
    return Unknown(message, endpoint=endpoint)


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
        return RateLimited(reset_ms, message or f"retCode={ret_code}", endpoint=endpoint)
    if ret_code == RC_TIMESTAMP:
        return TimestampError(message or "retCode=10002 timestamp outside recv_window", endpoint=endpoint)
    if ret_code in TRANSIENT_RET_CODES:
        return _maybe_processed(f"retCode={ret_code} {message}".strip(), endpoint, idempotent)
    return Rejected(ret_code, message, endpoint=endpoint)


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
    :class:`Rejected` with ``http_status=403`` for the engine to surface.
    """
    if 200 <= status < 300:
        return None
    if status == 429:
        return RateLimited(reset_ms, message or "HTTP 429", endpoint=endpoint)
    if status >= 500:
        return _maybe_processed(f"HTTP {status} {message}".strip(), endpoint, idempotent)
    return Rejected(status, message or f"HTTP {status}", endpoint=endpoint, http_status=status)


def classify_exception(
    exc: BaseException, *, endpoint: str = "", idempotent: bool = True
) -> VenueError | None:
    """Classify a transport exception; None when it is not a venue failure (a bug: let it propagate)."""
    if isinstance(exc, VenueError):
        return exc
    name = type(exc).__name__
    if isinstance(exc, requests.exceptions.ConnectTimeout) or never_sent(exc):
        return Transient(f"{name}: not sent", endpoint=endpoint, sent=False)
    if isinstance(exc, requests.exceptions.Timeout | TimeoutError):
        return _maybe_processed(f"{name}: timed out", endpoint, idempotent)
    if isinstance(exc, requests.exceptions.RequestException | ConnectionError):
        return _maybe_processed(f"{name}: connection failed", endpoint, idempotent)
    if isinstance(exc, OSError) and exc.errno is not None:
        return _maybe_processed(f"{name}: errno {exc.errno}", endpoint, idempotent)
    return None


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


def malformed_reply(detail: str, *, endpoint: str = "", idempotent: bool = True) -> VenueError:
    """A reply that arrived but is not Bybit's envelope (a JSON list, a non-integer ``retCode``, no
    ``retMsg`` beside an error code, a ``result`` that is not an object, an undecodable body).

    The venue may well have acted on the request, so a non-idempotent call gets :class:`Unknown`
    (resolve by ``orderLinkId``) and an idempotent one a retryable :class:`Transient`.
    """
    message = f"malformed reply: {detail}"
    if idempotent:
        return Transient(message, endpoint=endpoint)
    return Unknown(message, endpoint=endpoint)


def maybe_processed(err: VenueError) -> bool:
    """True when the venue may have acted on the request although no usable answer came back."""
    return isinstance(err, Unknown) or (isinstance(err, Transient) and err.sent)


def is_api_failure(err: VenueError | None) -> bool:
    """Whether a call's *final* outcome, after its retries, counts as a failure of the venue's API.

    Infrastructure failures do (timeouts, resets, 5xx, 10000/10016, unreadable replies). A 10006
    that came with a reset time is back-pressure the limiter and the retry policy handle, not a
    failure; one without any reset time does count. Business rejections, 10002 (our clock) and a
    call stopped by an open circuit (already counted by the failures that opened it) do not.
    """
    if isinstance(err, RateLimited):
        return err.reset_ms is None
    return isinstance(err, Transient | Unknown)


def should_retry(err: VenueError, idempotent: bool) -> bool:
    """The retry rule: rate limits and timestamp errors always; transient failures only if idempotent."""
    if err.retryable_always:
        return True
    return idempotent and err.retryable_when_idempotent
