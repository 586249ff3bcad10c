"""The one path of every new order, cancel and cancel-all (invariant 2).

place → build (:mod:`core.engine.pretrade`) → risk chain → journal intent
(:mod:`core.engine.lifecycle`) → executor (:mod:`core.orders.executor`: rate limiter → endpoint
breaker → retry → venue) → the outcome adopted into the account state and reported.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace

from core.account import AccountState
from core.api import CommandResult
from core.clock import Clock
from core.engine.lifecycle import OrderJournal
from core.engine.link import VenueLink
from core.engine.outcomes import Refusals, WriteOutcomes, cancel_applied
from core.engine.pretrade import PreTrade
from core.engine.publisher import Publisher
from core.engine.sent_times import SentTimes
from core.events import Severity, VenueRejected
from core.journal.journal import JournalUnwritable
from core.metrics import Metrics
from core.model import Order, OrderRequest, OrderStatus
from core.orders.built import BuildError, BuiltOrder
from core.orders.executor import JournalEntry, OrderExecutor, SendResult
from core.resilience.errors import VenueError
from core.venues.base import Venue


def placeholder_of(built: BuiltOrder, now_ms: int) -> Order:
    """The local order shown while ``built`` is on its way (no venue time yet: any update wins)."""
    return Order(
        symbol=built.symbol,
        side=built.side,
        order_type=built.order_type,
        qty=built.qty,
        price=built.price,
        order_link_id=built.order_link_id,
        status=OrderStatus.CREATED,
        time_in_force=built.tif,
        reduce_only=built.reduce_only,
        trigger_price=built.trigger_price,
        trigger_direction=built.trigger_direction,
        created_ms=now_ms,
        updated_ms=0,  # 0 = no venue time yet: any venue update supersedes a local placeholder
    )


def open_order_ids(orders: Iterable[Order], symbol: str | None = None) -> frozenset[str]:
    """The ids of the working orders among ``orders`` (on ``symbol``, or all)."""
    return frozenset(o.order_link_id for o in orders if o.is_open and (symbol is None or o.symbol == symbol))


def changed_orders_words(shown: frozenset[str], now: frozenset[str]) -> str:
    """Why a cancel-all previewed on ``shown`` is refused now: counts of what appeared and went."""
    new, gone = len(now - shown), len(shown - now)
    parts = [f"{new} new" if new else "", f"{gone} gone" if gone else ""]
    delta = ", ".join(p for p in parts if p)
    return (
        f"orders changed since shown ({delta}): {len(now)} open now, not {len(shown)}; "
        "nothing cancelled — preview again"
    )


class OrderPath:
    """Places, cancels and cancels all; every order goes down this path and never back up."""

    def __init__(
        self,
        *,
        clock: Clock,
        state: AccountState,
        pretrade: PreTrade,
        lifecycle: OrderJournal,
        refusals: Refusals,
        outcomes: WriteOutcomes,
        executor: OrderExecutor,
        venue: Venue,
        publisher: Publisher,
        metrics: Metrics,
        link: VenueLink,
        refresh_account: Callable[[], Awaitable[object]],
        reconcile_later: Callable[[], None],
        sent_at: SentTimes,
    ) -> None:
        self.clock = clock
        self.state = state
        self.pretrade = pretrade
        self.lifecycle = lifecycle
        self.refusals = refusals
        self.outcomes = outcomes
        self.executor = executor
        self.venue = venue
        self.out = publisher
        self.metrics = metrics
        self.link = link
        self.refresh_account = refresh_account
        self.reconcile_later = reconcile_later
        self.sent_at = sent_at
        """When each order was sent, for the place → fill latency."""

    def _adopt(self, order: Order) -> None:
        self.out.publish_all(self.state.apply_order(order, self.clock.now_ms()), wake=True)

    async def place(self, request: OrderRequest, link_id: str | None = None) -> CommandResult:
        """Build, risk-check, journal and send one order.

        The intent, the risk decision and the first request go to the journal in one durable
        write just before the order is sent (one fsync per order, not three). ``link_id`` is the
        client order id to use (an algo's child, named and journaled by the algo runner before
        this call); by default a fresh one. ``request.source`` and ``request.trigger_by`` go
        down the path with the order.
        """
        link_id = link_id or self.pretrade.builder.new_client_order_id()
        intent = self.lifecycle.intent(request, link_id)
        built = self.pretrade.build(request, link_id)
        if isinstance(built, BuildError):
            return self.refusals.reject(request.symbol, link_id, built.check, built.reason, intent)
        context = self.pretrade.risk_context(request.symbol)
        failure = self.pretrade.risk_chain.first_failure(built, context)
        if failure is not None:
            return self.refusals.reject(request.symbol, link_id, failure.check, failure.reason, intent)
        return await self._send(built, [intent, self.lifecycle.approved(built.symbol, link_id)])

    async def _send(self, built: BuiltOrder, pre_records: list[JournalEntry]) -> CommandResult:
        link_id = built.order_link_id
        placeholder = placeholder_of(built, self.clock.now_ms())
        self._adopt(placeholder)
        started = self.clock.monotonic()
        self.sent_at[link_id] = started
        self.link.in_flight.add(link_id)
        try:
            with self.metrics.timed("order_create"):
                result = await self.executor.create(
                    built,
                    reduce_only=built.reduce_only,
                    pre_records=pre_records,
                )
        except JournalUnwritable as exc:  # the intent could not be recorded: nothing was sent
            self.sent_at.pop(link_id, None)
            self._adopt(replace(placeholder, status=OrderStatus.REJECTED, reject_reason=str(exc)))
            return self.refusals.reject(
                built.symbol, link_id, "journal", f"{exc}; nothing was sent", pre_records[0]
            )
        finally:
            self.link.in_flight.discard(link_id)
        result = self._looked_up(result)
        if result.ok:
            return self._acked(built, result, started)
        self.sent_at.pop(link_id, None)
        if result.unknown:
            self.out.log_line(
                f"{built.describe()} [{link_id}]: {result.message}; will reconcile by orderLinkId",
                Severity.ERROR,
                symbol=built.symbol,
                order_link_id=link_id,
            )
            self.reconcile_later()
            return CommandResult(False, result.message, link_id)
        return self._venue_rejected(built, placeholder, result)

    def _looked_up(self, result: SendResult) -> SendResult:
        """Resolved by a lookup: adopt what the venue holds (it may be filled, or dead)."""
        found = result.order
        if found is None:
            return result
        self._adopt(found)
        if not found.is_open and found.filled_qty == 0:
            reason = found.reject_reason or found.status.value
            return replace(result, ok=False, message=f"order ended {found.status.value}: {reason}")
        return result

    def _acked(self, built: BuiltOrder, result: SendResult, started: float) -> CommandResult:
        link_id = built.order_link_id
        self.metrics.observe_place_ack(self.clock.monotonic() - started)
        order_id = result.order.order_id if result.order else (result.ack.order_id if result.ack else "")
        self.lifecycle.placed(built.symbol, link_id, order_id, result.attempts)
        cur = self.state.orders.get(link_id)
        if cur is not None and cur.status is OrderStatus.CREATED:
            self._adopt(replace(cur, order_id=order_id, status=OrderStatus.NEW))
        self.out.trace(f"sent {built.describe()} [{link_id}]", symbol=built.symbol, order_link_id=link_id)
        return CommandResult(True, f"sent {built.describe()}", link_id)

    def _venue_rejected(self, built: BuiltOrder, placeholder: Order, result: SendResult) -> CommandResult:
        link_id = built.order_link_id
        self.lifecycle.rejected(built.symbol, link_id, result.code, result.message)
        # The rejection first: the console shows it once and knows the order update that follows.
        self.out.publish(
            VenueRejected(self.clock.now_ms(), built.symbol, link_id, result.code, result.message),
            wake=True,
        )
        self._adopt(replace(placeholder, status=OrderStatus.REJECTED, reject_reason=result.message))
        self.out.trace(
            f"venue rejected {built.describe()}: retCode {result.code} {result.message}",
            Severity.ERROR,
            symbol=built.symbol,
            order_link_id=link_id,
        )
        return CommandResult(False, f"venue rejected: {result.message}", link_id, ret_code=result.code)

    async def cancel(self, order_link_id: str) -> CommandResult:
        """Cancel one working order."""
        order = self.state.orders.get(order_link_id)
        if order is None:
            return CommandResult(False, f"no working order {order_link_id}", order_link_id)
        await self.lifecycle.cancel(order.symbol, order_link_id)
        result = await self.executor.write(
            "cancel",
            order.symbol,
            order_link_id,
            lambda: self.venue.cancel(order.symbol, order_link_id),
            bypass_breaker=True,
            applied=cancel_applied,
        )
        return self.outcomes.report("cancel", order.symbol, order_link_id, result)

    async def cancel_all(
        self, symbol: str | None = None, *, expect: frozenset[str] | None = None
    ) -> CommandResult:
        """Cancel every working order (on ``symbol``, or everywhere), then re-read the account.

        With ``expect`` (the order ids the trader was shown), only while exactly those are open:
        an order placed or gone since the preview refuses it unsent, saying the new count.
        """
        if expect is not None:
            now = open_order_ids(self.state.orders.values(), symbol)
            if now != expect:
                why = changed_orders_words(expect, now)
                self.out.log_line(f"cancel all refused: {why}", Severity.WARN)
                return CommandResult(False, why)
        await self.lifecycle.cancel_all(symbol)
        try:
            ids = await self.executor.call(
                "cancel_all", lambda: self.venue.cancel_all(symbol), bypass_breaker=True
            )
        except VenueError as err:
            self.out.log_line(f"cancel all failed: {err}", Severity.ERROR)
            return CommandResult(False, f"cancel all failed: {err}")
        self.lifecycle.ack(symbol or "", action="cancel_all", cancelled=ids)
        self.out.publish_all(self.state.cancelled_by_venue(ids, self.out.now_ms()))
        self.out.trace(f"cancel all: {len(ids)} orders cancelled")  # the console reports the command
        try:
            await self.refresh_account()
        except VenueError as err:
            self.out.log_line(f"account refresh after cancel all failed: {err}", Severity.WARN)
            return CommandResult(True, f"{len(ids)} orders cancelled (account refresh failed: {err})")
        return CommandResult(True, f"{len(ids)} orders cancelled")
