"""The executor: the last step of the one order path, and the only code that sends orders.

builder → risk chain → **executor** → rate limiter → per-endpoint circuit breaker → retry → venue.

Idempotency (invariant 3): the engine assigns the ``orderLinkId`` and journals the intent before
the executor runs. The executor journals each request, reuses the same id on every attempt, and
after any attempt whose outcome is unknown (no response, timeout, 5xx) it asks the venue for that
id before it ever sends again. A ``110072`` (duplicate orderLinkId) reply means an earlier attempt
landed, so it is resolved by the same lookup. Nothing is ever sent twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from core.config import assert_endpoint_matches_mode
from core.model import Mode, Order
from core.resilience.breaker import CircuitOpen, EndpointBreaker
from core.resilience.errors import (
    RateLimited,
    Rejected,
    TimestampError,
    Transient,
    Unknown,
    VenueError,
    should_retry,
)
from core.resilience.ratelimit import RateLimiter
from core.resilience.retry import RetryPolicy
from core.venues.base import RestReply, Venue

log = logging.getLogger(__name__)

T = TypeVar("T")

DUPLICATE_LINK_ID = 110072


@dataclass(frozen=True, slots=True)
class SendResult:
    """The outcome of sending one write request."""

    ok: bool
    reply: RestReply | None = None
    order: Order | None = None
    ret_code: int = 0
    message: str = ""
    attempts: int = 1
    resolved_by_lookup: bool = False


def ret_code_of(err: VenueError) -> int:
    """Bybit's retCode for a rejection (10006 for rate limits, 0 otherwise)."""
    if isinstance(err, Rejected):
        return err.ret_code
    if isinstance(err, RateLimited):
        return 10006
    if isinstance(err, TimestampError):
        return 10002
    return 0


class OrderExecutor:
    """Sends writes through limiter → circuit breaker → retry → venue, idempotently.

    ``bypass_breaker`` calls (cancels and reduce-only closes) still wait for the rate limiter but
    are not stopped by an open endpoint breaker: refusing to *reduce* risk because an endpoint was
    flaky would turn a protection into a hazard (invariant 4).
    """

    def __init__(
        self,
        venue: Venue,
        mode: Mode,
        limiter: RateLimiter,
        breakers: EndpointBreaker,
        journal: Any,
        *,
        policy: RetryPolicy,
        on_api_result: Callable[[str, bool, str], None] | None = None,
    ) -> None:
        self.venue = venue
        self.mode = mode
        self.limiter = limiter
        self.breakers = breakers
        self.journal = journal
        self.policy = policy
        self._on_api_result = on_api_result
        self.sent = 0

    # --- one attempt --------------------------------------------------------------------------
    async def _attempt(self, method: str, fn: Callable[[], T], *, bypass_breaker: bool = False) -> T:
        """limiter → breaker → worker thread. Raises a classified VenueError."""
        path = self.venue.endpoint_of(method)
        await self.limiter.acquire(path)
        if not bypass_breaker:
            self.breakers.check(path)
        try:
            out = await asyncio.to_thread(fn)
        except VenueError as err:
            if isinstance(err, RateLimited):
                self.limiter.note_rate_limited(path, err.reset_ms)
            elif isinstance(err, Transient | Unknown):
                self.breakers.record_failure(path, err)
            else:
                self.breakers.record_success(path)
            self._api(path, isinstance(err, Rejected), str(err))
            raise
        self.breakers.record_success(path)
        self._api(path, True, "")
        if isinstance(out, RestReply):
            self.limiter.update_from_headers(path, out.headers)
        return out

    def _api(self, path: str, ok: bool, detail: str) -> None:
        if self._on_api_result is not None:
            self._on_api_result(path, ok, detail)

    async def call(
        self,
        method: str,
        fn: Callable[[], T],
        *,
        idempotent: bool = True,
        attempts: int | None = None,
        bypass_breaker: bool = False,
    ) -> T:
        """Any call but order create: retry per the policy (transient failures only if idempotent)."""
        limit = attempts or self.policy.max_attempts
        for attempt in range(1, limit + 1):
            try:
                return await self._attempt(method, fn, bypass_breaker=bypass_breaker)
            except CircuitOpen:
                raise
            except VenueError as err:
                err.attempts = attempt
                if not should_retry(err, idempotent) or attempt == limit:
                    raise
                delay = self.policy.delay_for(err, attempt)
                log.warning("%s failed (%s); attempt %d, retry in %.2fs", method, err, attempt, delay)
                await self.policy.sleep(delay)
        raise AssertionError("unreachable")

    # --- the order write path -------------------------------------------------------------------
    async def create(
        self, symbol: str, order_link_id: str, params: dict[str, Any], *, reduce_only: bool = False
    ) -> SendResult:
        """Send one new order idempotently (same orderLinkId on every attempt)."""
        assert_endpoint_matches_mode(self.mode, self.venue.rest_url)  # third mode check
        limit = self.policy.max_attempts
        for attempt in range(1, limit + 1):
            self.journal.record(
                "request", symbol=symbol, order_link_id=order_link_id, attempt=attempt, params=params
            )
            self.sent += 1
            try:
                reply = await self._attempt(
                    "place", lambda: self.venue.place(params), bypass_breaker=reduce_only
                )
            except Rejected as err:
                if err.ret_code == DUPLICATE_LINK_ID:
                    return await self._resolve(symbol, order_link_id, attempt, err)
                return SendResult(False, ret_code=err.ret_code, message=err.msg or str(err), attempts=attempt)
            except CircuitOpen as err:
                return SendResult(False, message=str(err), attempts=attempt)
            except (RateLimited, TimestampError) as err:
                # Refused before it reached the matching engine: safe to send again.
                if attempt == limit:
                    return SendResult(False, ret_code=ret_code_of(err), message=str(err), attempts=attempt)
                await self.policy.sleep(self.policy.delay_for(err, attempt))
            except Transient as err:
                if err.sent:
                    # Outcome unknown: ask the venue by orderLinkId before ever sending again.
                    found = await self._lookup(symbol, order_link_id, str(err))
                    if found is not None:
                        return SendResult(True, order=found, attempts=attempt, resolved_by_lookup=True)
                if attempt == limit:
                    return SendResult(False, message=str(err), attempts=attempt)
                await self.policy.sleep(self.policy.delay_for(err, attempt))
            except Unknown as err:
                found = await self._lookup(symbol, order_link_id, str(err))
                if found is not None:
                    return SendResult(True, order=found, attempts=attempt, resolved_by_lookup=True)
                if attempt == limit:
                    return SendResult(False, message=str(err), attempts=attempt)
                await self.policy.sleep(self.policy.delay_for(err, attempt))
            else:
                return SendResult(True, reply=reply, attempts=attempt)
        return SendResult(False, message="no attempt made", attempts=0)

    async def _lookup(self, symbol: str, order_link_id: str, after: str) -> Order | None:
        """Ask the venue whether an order with this id exists (retrying the read itself)."""
        found = await self.call(
            "open_orders", lambda: self.venue.find_order(symbol, order_link_id), bypass_breaker=True
        )
        self.journal.record(
            "reconcile",
            symbol=symbol,
            order_link_id=order_link_id,
            found=found is not None,
            status=found.status.value if found else "",
            after=after,
        )
        return found

    async def _resolve(self, symbol: str, order_link_id: str, attempt: int, err: Rejected) -> SendResult:
        found = await self._lookup(symbol, order_link_id, str(err))
        if found is None:
            return SendResult(False, ret_code=err.ret_code, message=err.msg, attempts=attempt)
        return SendResult(True, order=found, attempts=attempt, resolved_by_lookup=True)

    async def write(
        self,
        method: str,
        symbol: str,
        order_link_id: str,
        fn: Callable[[], RestReply],
        *,
        bypass_breaker: bool = False,
    ) -> SendResult:
        """Amend / cancel: journal the request and send it; a repeat of either is harmless."""
        assert_endpoint_matches_mode(self.mode, self.venue.rest_url)
        self.journal.record("request", symbol=symbol, order_link_id=order_link_id, action=method)
        try:
            reply = await self.call(method, fn, bypass_breaker=bypass_breaker)
        except VenueError as err:
            msg = err.msg if isinstance(err, Rejected) else str(err)
            return SendResult(False, ret_code=ret_code_of(err), message=msg, attempts=err.attempts)
        return SendResult(True, reply=reply)
