"""The executor: the last step of the one order path, and the only code that sends orders.

builder → risk chain → **executor** → rate limiter → per-endpoint circuit breaker → retry → venue.

Every attempt of every call goes through one pipeline (:meth:`OrderExecutor._attempt`): rate
limiter -> endpoint breaker -> venue call (in a worker thread, or inline for an in-process venue)
-> classify -> record. The tenacity policy (:meth:`OrderExecutor.call`) and the order-create loop
(:meth:`OrderExecutor.create`) both drive it.

Idempotency (invariant 3): the engine assigns the client order id and journals the intent before
the executor runs. The executor journals each request, reuses the same id on every attempt, and
after any attempt whose outcome is unknown (no response, timeout, 5xx) it asks the venue for that
id before it ever sends again. A :class:`DuplicateClientId` reply means an earlier attempt landed,
so it is resolved by the same lookup. Nothing is ever sent twice.

Amends and cancels are idempotent and retried, so a retry can hear "order not exists" or
"unchanged" because the first attempt, whose reply was lost, did the job. After such a loss the
executor asks the venue for the order by id and reports what the venue did (:meth:`write`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, TypeVar

from core.endpoint_policy import check_venue_endpoint
from core.model import Mode, Order
from core.orders.built import BuiltOrder
from core.resilience.breaker import CircuitOpen, EndpointBreaker
from core.resilience.errors import (
    DuplicateClientId,
    OrderGone,
    RateLimited,
    Rejected,
    TimestampError,
    Transient,
    Unknown,
    VenueError,
    malformed_reply,
    maybe_processed,
)
from core.resilience.ratelimit import RateLimiter
from core.resilience.retry import OnRetry, RetryPolicy, call_with_retry
from core.venue_symbols import leg_of_endpoint
from core.venues.base import PlaceAck, Venue

log = logging.getLogger(__name__)

T = TypeVar("T")

JournalEntry = tuple[str, str, str, Mapping[str, Any]]
"""(kind, symbol, order_link_id, data): one journal record, for batched durable writes."""


@dataclass(frozen=True, slots=True)
class SendResult:
    """The outcome of sending one write request."""

    ok: bool
    ack: PlaceAck | None = None
    """The venue's ack of an order create (its order id)."""
    order: Order | None = None
    code: int = 0
    """The venue's own code of the failure, for display only."""
    message: str = ""
    """The venue's reason for a failure (or what happened instead)."""
    attempts: int = 1
    resolved_by_lookup: bool = False
    unknown: bool = False
    """True when the venue may hold the order but could not be asked: reconcile later by id."""
    error: VenueError | None = None
    """The classified error of a failed request (``isinstance`` tells its kind)."""


def order_fields(order: BuiltOrder) -> dict[str, str | bool]:
    """A built order as the journal records a request (venue-neutral, plain strings)."""
    fields: dict[str, str | bool] = {
        "side": order.side.value,
        "order_type": order.order_type.value,
        "qty": format(order.qty, "f"),
        "tif": order.tif.value,
        "reduce_only": order.reduce_only,
    }
    optional = {"price": order.price, "trigger_price": order.trigger_price, "tp": order.tp, "sl": order.sl}
    fields.update({k: format(v, "f") for k, v in optional.items() if v is not None})
    if order.trigger_direction is not None:
        fields["trigger_direction"] = str(order.trigger_direction)
    return fields


class _LookupFailed(Exception):
    """The order's fate could not be established (the venue kept failing the status query)."""


class OrderExecutor:
    """Sends writes through limiter → circuit breaker → retry → venue, idempotently.

    ``bypass_breaker`` calls (cancels and reduce-only closes) still wait for the rate limiter but
    are not stopped by an open endpoint breaker: refusing to *reduce* risk because an endpoint was
    flaky would turn a protection into a hazard (invariant 4).

    The endpoint breaker is asked once per call and told the call's outcome once, after its
    retries (``on_call_result`` hears the same outcome, for the account's ``api_failures``
    breaker): a failure the retry policy absorbed is not a failure of the call. The rate limiter
    and ``on_api_result`` (request metrics) see every attempt.
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
        on_call_result: Callable[[str, VenueError | None], None] | None = None,
    ) -> None:
        self.venue = venue
        self.mode = mode
        self.limiter = limiter
        self.breakers = breakers
        self.journal = journal
        self.policy = policy
        self._on_api_result = on_api_result
        self._on_call_result = on_call_result
        self.sent = 0

    # --- one attempt ---------------------------------------------------------------------------
    async def _attempt(
        self,
        method: str,
        fn: Callable[[], T],
        *,
        write: bool = False,
        guard: bool = False,
        symbol: str | None = None,
    ) -> T:
        """One attempt: rate limiter -> endpoint breaker (when ``guard``) -> venue call -> classify
        -> record. Raises a classified :class:`VenueError`.

        The call runs in a worker thread, or on the loop itself for a venue whose
        ``capabilities.inline_calls`` says it never blocks. For a ``write`` (order create, amend,
        cancel) an exception the venue adapter did not classify still means the request may have
        gone out: it becomes an unknown outcome, logged with its traceback, so the caller asks the
        venue instead of reporting a crash.
        """
        path = self._path(method, symbol)
        await self.limiter.acquire(path)
        if guard:
            self.breakers.check(path)
        started = time.perf_counter()
        try:
            out = fn() if self.venue.capabilities.inline_calls else await asyncio.to_thread(fn)
        except VenueError as err:
            if isinstance(err, RateLimited):
                self.limiter.note_rate_limited(path, err.reset_ms)
            self._api(_blamed(path, err), time.perf_counter() - started, err)
            raise
        except Exception as exc:
            if not write:
                raise
            log.error("%s: the venue adapter failed on the reply; outcome unknown", method, exc_info=exc)
            unread = malformed_reply(
                f"{type(exc).__name__} while reading it", endpoint=path, idempotent=method != "place"
            )
            self._api(path, time.perf_counter() - started, unread)
            raise unread from exc
        self._api(path, time.perf_counter() - started, None)
        return out

    def _api(self, path: str, seconds: float, err: VenueError | None) -> None:
        if self._on_api_result is not None:
            self._on_api_result(path, seconds, err)

    def _path(self, method: str, symbol: str | None) -> str:
        """The endpoint ``method`` uses (for ``symbol``: a composite venue names its leg's own)."""
        routed = getattr(self.venue, "endpoint_for", None)
        if symbol is not None and routed is not None:
            return str(routed(method, symbol))
        return self.venue.endpoint_of(method)

    def _outcome(self, path: str, err: VenueError | None) -> None:
        """One call's final outcome, after its retries: the endpoint circuit and the API breaker."""
        path = _blamed(path, err)
        if isinstance(err, Transient | Unknown):
            self.breakers.record_failure(path, err)
        elif err is None or isinstance(err, Rejected | TimestampError):
            self.breakers.record_success(path)  # the endpoint answered
        if self._on_call_result is not None and not isinstance(err, CircuitOpen):
            self._on_call_result(path, err)

    async def call(
        self,
        method: str,
        fn: Callable[[], T],
        *,
        idempotent: bool = True,
        attempts: int | None = None,
        bypass_breaker: bool = False,
        on_retry: OnRetry | None = None,
        write: bool = False,
        symbol: str | None = None,
    ) -> T:
        """Any call but order create: retried by the shared tenacity policy (:func:`call_with_retry`).

        Transient failures are retried only when ``idempotent``; rate limits and timestamp errors
        always; an open circuit never. The endpoint breaker is asked before the first attempt
        (unless ``bypass_breaker``) and hears the outcome once; the limiter runs in every attempt.
        ``on_retry`` hears each failed attempt that is retried.
        """
        path = self._path(method, symbol)
        policy = self.policy if attempts is None else replace(self.policy, max_attempts=attempts)
        tries = 0

        async def attempt() -> T:
            nonlocal tries
            tries += 1
            return await self._attempt(
                method, fn, write=write, guard=tries == 1 and not bypass_breaker, symbol=symbol
            )

        def retrying(attempt: int, err: VenueError, delay: float) -> None:
            log.warning("%s failed (%s); attempt %d, retry in %.2fs", method, err, attempt, delay)
            if on_retry is not None:
                on_retry(attempt, err, delay)

        try:
            out = await call_with_retry(
                attempt,
                endpoint=path,
                idempotent=idempotent,
                policy=policy,
                on_retry=retrying,
            )
        except VenueError as err:
            self._outcome(path, err)
            raise
        self._outcome(path, None)
        return out

    # --- the order write path -------------------------------------------------------------------
    async def create(
        self,
        order: BuiltOrder,
        *,
        reduce_only: bool = False,
        pre_records: Sequence[JournalEntry] = (),
    ) -> SendResult:
        """Send one new order idempotently (same client order id on every attempt).

        ``pre_records`` (the intent and the risk decision) are journaled together with the first
        request record, in one durable write, before anything is sent. If the journal cannot take
        that write, a risk-increasing order is not sent at all (``JournalUnwritable`` propagates);
        a reduce-only one still goes out, its records kept in the journal's fallback file.
        """
        check_venue_endpoint(self.mode, self.venue)  # third mode check
        symbol, order_link_id = order.symbol, order.order_link_id
        run = _CreateRun(order, reduce_only, pre_records)
        try:
            result = await self._create(run)
        except _LookupFailed as exc:
            # Never send again without knowing: leave the intent open for reconciliation.
            self.journal.record(
                "reconcile", symbol=symbol, order_link_id=order_link_id, found=False, detail=str(exc)
            )
            result = SendResult(False, message=f"outcome unknown: {exc}", attempts=run.attempt, unknown=True)
        self._outcome(self._path("place", symbol), None if result.ok else run.last)
        return result

    async def _create(self, run: _CreateRun) -> SendResult:
        for attempt in range(1, self.policy.max_attempts + 1):
            run.attempt = attempt
            request: JournalEntry = (
                "request",
                run.symbol,
                run.link,
                {"attempt": attempt, "order": order_fields(run.order)},
            )
            # The intent must be in the journal before a risk-increasing order goes out (the
            # journal raises JournalUnwritable and nothing is sent); a reduce-only order goes out
            # even when SQLite is full, recorded to the journal's fallback file instead.
            first = attempt == 1
            await self.journal.record_grouped(
                [*run.pre_records, request] if first else [request], required=first and not run.reduce_only
            )
            try:
                self.sent += 1
                ack = await self._attempt(
                    "place",
                    partial(self.venue.place, run.order),
                    write=True,
                    guard=first and not run.reduce_only,
                    symbol=run.symbol,
                )
            except VenueError as err:
                run.last = err
                done = await self._create_failed(run, err)
                if done is not None:
                    return done
            else:
                return SendResult(True, ack=ack, attempts=attempt)
        return SendResult(False, message="no attempt made", attempts=0)

    async def _create_failed(self, run: _CreateRun, err: VenueError) -> SendResult | None:
        """The result after a failed create attempt, or None to send again (after the backoff)."""
        attempt = run.attempt
        if isinstance(err, DuplicateClientId):  # an earlier attempt landed
            return await self._resolve(run.symbol, run.link, attempt, err)
        if isinstance(err, Rejected):
            return SendResult(
                False, code=err.code, message=err.reason or str(err), attempts=attempt, error=err
            )
        if isinstance(err, CircuitOpen):
            return SendResult(False, message=str(err), attempts=attempt, error=err)
        if maybe_processed(err):
            # Outcome unknown: ask the venue by client order id before ever sending again.
            found = await self._lookup(run.symbol, run.link, str(err))
            if found is not None:
                return SendResult(True, order=found, attempts=attempt, resolved_by_lookup=True)
        # Not processed (rate limited, bad timestamp, never sent) or provably absent: safe to send again.
        if attempt >= self.policy.max_attempts:
            return SendResult(False, code=err.code, message=str(err), attempts=attempt, error=err)
        await self.policy.sleep(self.policy.delay_for(err, attempt))
        return None

    async def _lookup(self, symbol: str, order_link_id: str, after: str) -> Order | None:
        """Ask the venue whether an order with this id exists (retrying the read itself).

        Raises :class:`_LookupFailed` when the venue cannot be asked: the outcome stays unknown.
        """
        found: Order | None = None
        try:
            for method, step in self.venue.order_lookups(symbol, order_link_id):
                found = await self.call(method, step, bypass_breaker=True, symbol=symbol)  # retried
                if found is not None:
                    break
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

    async def _resolve(
        self, symbol: str, order_link_id: str, attempt: int, err: DuplicateClientId
    ) -> SendResult:
        found = await self._lookup(symbol, order_link_id, str(err))
        if found is None:
            return SendResult(False, code=err.code, message=err.reason, attempts=attempt, error=err)
        return SendResult(True, order=found, attempts=attempt, resolved_by_lookup=True)

    async def write(
        self,
        method: str,
        symbol: str,
        order_link_id: str,
        fn: Callable[[], object],
        *,
        bypass_breaker: bool = False,
        applied: Callable[[Order | None], bool] | None = None,
    ) -> SendResult:
        """Amend / cancel / trading stop: journal the request and send it (a repeat is harmless).

        With ``applied`` (a test of the venue's order: did this request take effect?), a failure
        after an attempt whose reply was lost is settled by asking the venue for the order by
        ``order_link_id``: a retry that hears "order not exists" or "unchanged" after the first
        attempt was in fact applied is reported as done (``resolved_by_lookup``), never as
        rejected. A plain rejection that says the order is gone also returns the venue's order.
        """
        check_venue_endpoint(self.mode, self.venue)
        self.journal.record("request", symbol=symbol, order_link_id=order_link_id, action=method)
        lost: list[VenueError] = []

        def note(_attempt: int, err: VenueError, _delay: float) -> None:
            if maybe_processed(err):
                lost.append(err)

        try:
            await self.call(
                method, fn, bypass_breaker=bypass_breaker, on_retry=note, write=True, symbol=symbol
            )
        except VenueError as err:
            failed = _failed_write(err)
            if applied is None or not _worth_asking(err, bool(lost)):
                return failed
            return await self._settle(
                method, symbol, order_link_id, failed, applied, bool(lost) or maybe_processed(err)
            )
        return SendResult(True)

    async def _settle(
        self,
        method: str,
        symbol: str,
        order_link_id: str,
        failed: SendResult,
        applied: Callable[[Order | None], bool],
        maybe_applied: bool,
    ) -> SendResult:
        """Ask the venue what became of the order after a failed ``method``."""
        try:
            found = await self._lookup(symbol, order_link_id, f"{method}: {failed.message}")
        except _LookupFailed as exc:
            self.journal.record(
                "reconcile",
                symbol=symbol,
                order_link_id=order_link_id,
                found=False,
                action=method,
                detail=str(exc),
            )
            return replace(failed, message=f"{method} outcome unknown: {exc}", unknown=True)
        if maybe_applied and applied(found):
            return SendResult(
                True, order=found, attempts=failed.attempts, resolved_by_lookup=True, message=failed.message
            )
        return replace(failed, order=found, resolved_by_lookup=True)


def _blamed(path: str, err: VenueError | None) -> str:
    """Where a failure is counted: the endpoint of the composite's leg that failed, when the
    error names one (a merged listing that failed on its second leg), else ``path``."""
    if err is not None and leg_of_endpoint(err.endpoint) is not None:
        return err.endpoint
    return path


def _failed_write(err: VenueError) -> SendResult:
    msg = err.reason if isinstance(err, Rejected) else str(err)
    return SendResult(False, code=err.code, message=msg, attempts=err.attempts, error=err)


def _worth_asking(err: VenueError, lost: bool) -> bool:
    """Whether a failed amend/cancel is settled by asking the venue for the order."""
    if isinstance(err, CircuitOpen):
        return False
    if lost or maybe_processed(err):
        return True
    return isinstance(err, OrderGone)


@dataclass(slots=True)
class _CreateRun:
    """One order create across its attempts."""

    order: BuiltOrder
    reduce_only: bool
    pre_records: Sequence[JournalEntry]
    attempt: int = 0
    last: VenueError | None = None

    @property
    def symbol(self) -> str:
        """The order's symbol."""
        return self.order.symbol

    @property
    def link(self) -> str:
        """The order's client order id."""
        return self.order.order_link_id
