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
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
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
)
from core.resilience.ratelimit import RateLimiter
from core.resilience.retry import RetryPolicy, call_with_retry
from core.venues.base import RestReply, Venue

log = logging.getLogger(__name__)

T = TypeVar("T")

JournalEntry = tuple[str, str, str, Mapping[str, Any]]
"""(kind, symbol, order_link_id, data): one journal record, for batched durable writes."""

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
    unknown: bool = False
    """True when the venue may hold the order but could not be asked: reconcile later by id."""


def ret_code_of(err: VenueError) -> int:
    """Bybit's retCode for a rejection (10006 for rate limits, 0 otherwise)."""
    if isinstance(err, Rejected):
        return err.ret_code
    if isinstance(err, RateLimited):
        return 10006
    if isinstance(err, TimestampError):
        return 10002
    return 0


class _LookupFailed(Exception):
    """The order's fate could not be established (the venue kept failing the status query)."""


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
        on_api_result: Callable[[str, float, VenueError | None], None] | None = None,
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
        started = time.perf_counter()
        try:
            out = await asyncio.to_thread(fn)
        except VenueError as err:
            if isinstance(err, RateLimited):
                self.limiter.note_rate_limited(path, err.reset_ms)
            elif isinstance(err, Transient | Unknown):
                self.breakers.record_failure(path, err)
            else:
                self.breakers.record_success(path)
            self._api(path, time.perf_counter() - started, err)
            raise
        self.breakers.record_success(path)
        self._api(path, time.perf_counter() - started, None)
        if isinstance(out, RestReply):
            self.limiter.update_from_headers(path, out.headers)
        return out

    def _api(self, path: str, seconds: float, err: VenueError | None) -> None:
        if self._on_api_result is not None:
            self._on_api_result(path, seconds, err)

    async def call(
        self,
        method: str,
        fn: Callable[[], T],
        *,
        idempotent: bool = True,
        attempts: int | None = None,
        bypass_breaker: bool = False,
    ) -> T:
        """Any call but order create: retried by the shared tenacity policy (:func:`call_with_retry`).

        Transient failures are retried only when ``idempotent``; rate limits and timestamp errors
        always; an open circuit never. The limiter and breaker run inside each attempt
        (:meth:`_attempt`), so ``bypass_breaker`` applies to every try.
        """
        policy = self.policy if attempts is None else replace(self.policy, max_attempts=attempts)

        def on_retry(attempt: int, err: VenueError, delay: float) -> None:
            log.warning("%s failed (%s); attempt %d, retry in %.2fs", method, err, attempt, delay)

        return await call_with_retry(
            lambda: self._attempt(method, fn, bypass_breaker=bypass_breaker),
            endpoint=self.venue.endpoint_of(method),
            idempotent=idempotent,
            policy=policy,
            on_retry=on_retry,
        )

    # --- the order write path -------------------------------------------------------------------
    async def create(
        self,
        symbol: str,
        order_link_id: str,
        params: dict[str, Any],
        *,
        reduce_only: bool = False,
        pre_records: Sequence[JournalEntry] = (),
    ) -> SendResult:
        """Send one new order idempotently (same orderLinkId on every attempt).

        ``pre_records`` (the intent and the risk decision) are journaled together with the first
        request record, in one durable write, before anything is sent. If the journal cannot take
        that write, a risk-increasing order is not sent at all (``JournalUnwritable`` propagates);
        a reduce-only one still goes out, its records kept in the journal's fallback file.
        """
        try:
            return await self._create(symbol, order_link_id, params, reduce_only, pre_records)
        except _LookupFailed as exc:
            # Never send again without knowing: leave the intent open for reconciliation.
            self.journal.record(
                "reconcile", symbol=symbol, order_link_id=order_link_id, found=False, detail=str(exc)
            )
            return SendResult(False, message=f"outcome unknown: {exc}", unknown=True)

    async def _create(
        self,
        symbol: str,
        order_link_id: str,
        params: dict[str, Any],
        reduce_only: bool,
        pre_records: Sequence[JournalEntry],
    ) -> SendResult:
        assert_endpoint_matches_mode(self.mode, self.venue.rest_url)  # third mode check
        limit = self.policy.max_attempts
        for attempt in range(1, limit + 1):
            request: JournalEntry = ("request", symbol, order_link_id, {"attempt": attempt, "params": params})
            # The intent must be in the journal before a risk-increasing order goes out (the
            # journal raises JournalUnwritable and nothing is sent); a reduce-only order goes out
            # even when SQLite is full, recorded to the journal's fallback file instead.
            first = attempt == 1
            self.journal.record_many(
                [*pre_records, request] if first else [request], required=first and not reduce_only
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
        """Ask the venue whether an order with this id exists (retrying the read itself).

        Raises :class:`_LookupFailed` when the venue cannot be asked: the outcome stays unknown.
        """
        try:
            found = await self.call(
                "open_orders", lambda: self.venue.find_order(symbol, order_link_id), bypass_breaker=True
            )
        except VenueError as err:
            raise _LookupFailed(f"{after}; then the status lookup failed: {err}") from err
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
