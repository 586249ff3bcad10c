"""Classified failures of venue calls: the only words the engine, the executor and the retry
policy use for what went wrong, whatever the exchange.

Each venue adapter maps its own error codes, HTTP statuses and transport exceptions onto these
classes (the Bybit mapping is ``core/venues/bybit/errors.py``). The distinction that matters for
orders is *was the request possibly processed?*

* :class:`RateLimited`, :class:`TimestampError`: refused before processing; safe to resend.
* :class:`Transient`: an infrastructure failure; retried only for idempotent calls.
* :class:`Unknown`: a non-idempotent call (order create) may or may not have reached the matching
  engine (read timeout, connection reset mid-request, 5xx). The caller must ask the venue by
  client order id before sending anything again.
* :class:`Rejected` (and its kinds :class:`DuplicateClientId`, :class:`OrderGone`,
  :class:`Unchanged`, :class:`AuthFailed`): a business answer; never retried.

Every error carries a ``category``: a short outcome word for the request metrics' ``ret_class``
label (``rate_limited``, ``timestamp``, ``auth``, ``rejected``, ``server``, ``network``,
``http_4xx``, ``http_5xx``, ...). The network helpers here know ``requests`` and the standard
library, never an exchange.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import requests

OK_CATEGORY = "ok"
"""The ``ret_class`` of a call that succeeded."""


class VenueError(Exception):
    """Base class of every classified venue-call failure."""

    retryable_when_idempotent: bool = False
    retryable_always: bool = False
    default_category: str = "error"

    def __init__(
        self, message: str = "", *, endpoint: str = "", category: str | None = None, code: int = 0
    ) -> None:
        super().__init__(message)
        self.message = message
        self.endpoint = endpoint
        self.attempts = 1
        self.category = category or self.default_category
        """The outcome class for request metrics (``ret_class``)."""
        self.code = code
        """The venue's own code for this failure, for display only (0: none); nothing above the
        venue adapters compares it to a number."""

    def __str__(self) -> str:
        where = f" [{self.endpoint}]" if self.endpoint else ""
        return f"{type(self).__name__}{where}: {self.message}"


class RateLimited(VenueError):
    """The venue's rate limit: not processed; wait until ``reset_ms`` (epoch ms) when given."""

    retryable_always = True
    default_category = "rate_limited"

    def __init__(
        self,
        reset_ms: int | None = None,
        message: str = "rate limited",
        *,
        endpoint: str = "",
        category: str | None = None,
        code: int = 0,
    ) -> None:
        super().__init__(message, endpoint=endpoint, category=category, code=code)
        self.reset_ms = reset_ms


class Transient(VenueError):
    """Timeouts, connection failures, server errors on an idempotent call.

    ``sent`` is False when the request provably never left (connection refused, DNS, connect timeout).
    """

    retryable_when_idempotent = True
    default_category = "network"

    def __init__(
        self,
        message: str = "transient failure",
        *,
        endpoint: str = "",
        sent: bool = True,
        category: str | None = None,
        code: int = 0,
    ) -> None:
        super().__init__(message, endpoint=endpoint, category=category, code=code)
        self.sent = sent


class TimestampError(VenueError):
    """The request's timestamp was outside the venue's window: not processed, re-sign and resend."""

    retryable_always = True
    default_category = "timestamp"


class Rejected(VenueError):
    """A business error (insufficient balance, bad qty, ...). Never retried.

    ``code`` is the venue's own code, for display only (nothing above the adapters compares it);
    ``reason`` the venue's words; ``http_status`` set when the refusal was an HTTP status.
    """

    default_category = "rejected"

    def __init__(
        self,
        code: int,
        reason: str = "",
        *,
        endpoint: str = "",
        http_status: int | None = None,
        message: str | None = None,
        category: str | None = None,
    ) -> None:
        shown = message if message is not None else f"code {code} {reason}".strip()
        super().__init__(shown, endpoint=endpoint, category=category, code=code)
        self.reason = reason
        self.http_status = http_status


class DuplicateClientId(Rejected):
    """The client order id was used before: an earlier attempt with it landed (look it up)."""


class OrderGone(Rejected):
    """The order does not exist (any more), or is already completed or cancelled."""


class Unchanged(Rejected):
    """The request would change nothing (the setting is already so)."""


class AuthFailed(Rejected):
    """The key, signature, permissions or IP whitelist were refused."""

    default_category = "auth"


class Unknown(VenueError):
    """A non-idempotent call whose outcome is unknown: ask by client order id before sending again."""

    default_category = "network"


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


def maybe_processed_error(
    message: str,
    *,
    endpoint: str,
    idempotent: bool,
    sent: bool = True,
    category: str = "network",
    code: int = 0,
) -> VenueError:
    """A failure after which the venue may have acted: :class:`Unknown` for a non-idempotent call
    that may have been sent, :class:`Transient` otherwise."""
    if idempotent or not sent:
        return Transient(message, endpoint=endpoint, sent=sent, category=category, code=code)
    return Unknown(message, endpoint=endpoint, category=category, code=code)


def classify_network_exception(
    exc: BaseException, *, endpoint: str = "", idempotent: bool = True
) -> VenueError | None:
    """Classify a transport exception (``requests`` or the standard library); None when it is not
    a venue failure (a bug: let it propagate). A :class:`VenueError` is returned as it is."""
    if isinstance(exc, VenueError):
        return exc
    name = type(exc).__name__
    if isinstance(exc, requests.exceptions.ConnectTimeout) or never_sent(exc):
        return Transient(f"{name}: not sent", endpoint=endpoint, sent=False)
    if isinstance(exc, requests.exceptions.Timeout | TimeoutError):
        return maybe_processed_error(f"{name}: timed out", endpoint=endpoint, idempotent=idempotent)
    if isinstance(exc, requests.exceptions.RequestException | ConnectionError):
        return maybe_processed_error(f"{name}: connection failed", endpoint=endpoint, idempotent=idempotent)
    if isinstance(exc, OSError) and exc.errno is not None:
        return maybe_processed_error(f"{name}: errno {exc.errno}", endpoint=endpoint, idempotent=idempotent)
    return None


def malformed_reply(detail: str, *, endpoint: str = "", idempotent: bool = True) -> VenueError:
    """A reply that arrived but is not the venue's envelope (wrong shape, undecodable body).

    The venue may well have acted on the request, so a non-idempotent call gets :class:`Unknown`
    (resolve by client order id) and an idempotent one a retryable :class:`Transient`.
    """
    message = f"malformed reply: {detail}"
    if idempotent:
        return Transient(message, endpoint=endpoint)
    return Unknown(message, endpoint=endpoint)


def outcome_category(err: VenueError | None) -> str:
    """The ``ret_class`` of a call's outcome: ``ok`` or the error's category."""
    return OK_CATEGORY if err is None else err.category


def maybe_processed(err: VenueError) -> bool:
    """True when the venue may have acted on the request although no usable answer came back."""
    return isinstance(err, Unknown) or (isinstance(err, Transient) and err.sent)


def is_api_failure(err: VenueError | None) -> bool:
    """Whether a call's *final* outcome, after its retries, counts as a failure of the venue's API.

    Infrastructure failures do (timeouts, resets, server errors, unreadable replies). A rate limit
    that came with a reset time is back-pressure the limiter and the retry policy handle, not a
    failure; one without any reset time does count. Business rejections, timestamp errors (our
    clock) and a call stopped by an open circuit (already counted by the failures that opened it)
    do not.
    """
    if isinstance(err, RateLimited):
        return err.reset_ms is None
    return isinstance(err, Transient | Unknown)


def should_retry(err: VenueError, idempotent: bool) -> bool:
    """The retry rule: rate limits and timestamp errors always; transient failures only if idempotent."""
    if err.retryable_always:
        return True
    return idempotent and err.retryable_when_idempotent
