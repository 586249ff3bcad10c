"""Reporting an amend's or a cancel's outcome as the venue has it (invariant 8).

Amends and cancels are retried, so a retry can hear "order not exists" (110001) or "unchanged"
because the first attempt, whose reply was lost, did the job. The executor then asks the venue for
the order by ``orderLinkId`` (:meth:`core.orders.executor.OrderExecutor.write`); this module turns
its :class:`~core.orders.executor.SendResult` into the command's result, the journal record and
the console's events:

* applied (the venue shows the order cancelled, or carrying the amended values): reported done,
  journaled as an ``ack`` with ``resolved_by_lookup`` and the venue's status;
* not applied: a rejection naming the venue's reason and what the venue shows now;
* the venue could not be asked: unknown, logged, reconciled in the background; never "rejected".
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ParamSpec

from core.account import AccountState
from core.api import CommandResult
from core.engine.lifecycle import OrderJournal
from core.engine.publisher import Publisher
from core.events import RiskRejected, Severity, VenueRejected
from core.journal.journal import JournalUnwritable
from core.metrics import Metrics
from core.model import Order, OrderStatus
from core.orders.executor import JournalEntry, SendResult
from core.resilience.errors import VenueError

log = logging.getLogger(__name__)
P = ParamSpec("P")


def guarded(
    fn: Callable[P, Coroutine[Any, Any, CommandResult]],
) -> Callable[P, Coroutine[Any, Any, CommandResult]]:
    """A command never raises to its caller: any failure becomes a failed CommandResult, logged."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> CommandResult:
        try:
            return await fn(*args, **kwargs)
        except JournalUnwritable as exc:  # nothing was sent: the write it needed first was refused
            log.error("%s refused: %s", fn.__name__, exc)
            return CommandResult(False, f"rejected by journal: {exc}", check="journal")
        except VenueError as err:
            log.warning("%s failed: %s", fn.__name__, err)
            return CommandResult(False, f"{fn.__name__} failed: {err}")
        except Exception as exc:
            log.exception("%s failed unexpectedly", fn.__name__)
            return CommandResult(False, f"{fn.__name__} failed: {type(exc).__name__}: {exc}")

    return wrapper


APPLIED_WORD = {"cancel": "cancelled", "amend": "amended"}
"""What an amend or a cancel the venue shows applied is reported as."""


def cancel_applied(order: Order | None) -> bool:
    """True when the venue shows the order cancelled (a stop cancelled before it triggered is
    ``Deactivated``)."""
    return order is not None and order.status in (OrderStatus.CANCELLED, OrderStatus.DEACTIVATED)


@dataclass(frozen=True, slots=True)
class AmendCheck:
    """Callable test: the venue's order carries the amended qty, price and trigger (those sent).

    An amended order may have filled or been cancelled since; its qty and prices still show
    whether the amend took effect.
    """

    qty: Decimal | None
    price: Decimal | None
    trigger: Decimal | None

    @classmethod
    def of(cls, qty: str | None, price: str | None, trigger: str | None) -> AmendCheck:
        """The test for an amend that sent these venue strings (None = field not sent)."""

        def dec(value: str | None) -> Decimal | None:
            return Decimal(value) if value is not None else None

        return cls(dec(qty), dec(price), dec(trigger))

    def __call__(self, order: Order | None) -> bool:
        if order is None:
            return False
        sent = ((self.qty, order.qty), (self.price, order.price), (self.trigger, order.trigger_price))
        return all(want is None or have == want for want, have in sent)


class Refusals:
    """Refusals by a named check (ours) or by the venue: journaled, published, counted, logged."""

    def __init__(self, lifecycle: OrderJournal, publisher: Publisher, metrics: Metrics) -> None:
        self.lifecycle = lifecycle
        self.out = publisher
        self.metrics = metrics

    def reject(
        self,
        symbol: str,
        link_id: str,
        check: str,
        reason: str,
        intent: JournalEntry | None = None,
        *,
        action: str = "",
    ) -> CommandResult:
        """Refuse a command by a named check: journaled, published, counted.

        ``action`` names a command on an existing order (``amend``): its refusal is journaled under
        that order's id with ``action`` set, so it never reads as the order's own rejection (the
        order is live on the venue) and never settles the order's intent.
        """
        self.lifecycle.refused(symbol, link_id, check, reason, intent, action=action)
        self.out.publish(RiskRejected(self.out.now_ms(), symbol, link_id, check, reason), wake=True)
        self.out.trace(
            f"REJECTED {symbol} by {check}: {reason}", Severity.WARN, symbol=symbol, order_link_id=link_id
        )
        self.metrics.risk_rejection(check)
        return CommandResult(False, f"rejected by {check}: {reason}", link_id, check=check)

    def venue_refused(self, symbol: str, action: str, ret_code: int, message: str) -> CommandResult:
        """The venue refused a position command (no order id): journaled, published, logged."""
        self.lifecycle.rejected(symbol, "", ret_code, message, action=action)
        self.out.publish(VenueRejected(self.out.now_ms(), symbol, "", ret_code, message), wake=True)
        self.out.log_line(f"{action} rejected: retCode {ret_code} {message}", Severity.ERROR, symbol=symbol)
        return CommandResult(False, f"{action} rejected: {message}", ret_code=ret_code)


class WriteOutcomes:
    """Turns amend/cancel send results into command results, journal records and events."""

    def __init__(
        self,
        state: AccountState,
        lifecycle: OrderJournal,
        publisher: Publisher,
        reconcile_later: Callable[[], None],
    ) -> None:
        self.state = state
        self.lifecycle = lifecycle
        self.out = publisher
        self.reconcile_later = reconcile_later

    def report(self, action: str, symbol: str, link_id: str, result: SendResult) -> CommandResult:
        """The command result for ``action`` on ``link_id``, journaled and published."""
        out = self.out
        if result.order is not None:  # the venue's word on the order, from a lookup
            out.publish_all(self.state.apply_order(result.order, out.now_ms()), wake=True)
        if result.ok:
            return self._done(action, symbol, link_id, result)
        if result.unknown:
            out.log_line(
                f"{action} [{link_id}]: {result.message}; will reconcile by orderLinkId",
                Severity.ERROR,
                symbol=symbol,
                order_link_id=link_id,
            )
            self.reconcile_later()
            return CommandResult(False, result.message, link_id)
        return self._rejected(action, symbol, link_id, result)

    def _done(self, action: str, symbol: str, link_id: str, result: SendResult) -> CommandResult:
        out = self.out
        if not result.resolved_by_lookup:
            self.lifecycle.ack(symbol, link_id, action=action)
            out.trace(f"{action} accepted [{link_id}]", symbol=symbol, order_link_id=link_id)
            return CommandResult(True, f"{action} accepted", link_id)
        status = result.order.status.value if result.order is not None else ""
        done = APPLIED_WORD.get(action, f"{action} applied")
        self.lifecycle.ack(
            symbol, link_id, action=action, resolved_by_lookup=True, status=status, after=result.message
        )
        out.trace(
            f"{done} [{link_id}]: the reply was lost ({result.message}); the venue shows it {status}",
            Severity.WARN,
            symbol=symbol,
            order_link_id=link_id,
        )
        return CommandResult(True, f"{done} (confirmed by the venue after the reply was lost)", link_id)

    def _rejected(self, action: str, symbol: str, link_id: str, result: SendResult) -> CommandResult:
        message = result.message
        if result.resolved_by_lookup:
            now = result.order.status.value if result.order is not None else "not on the venue"
            message = f"{message} (the venue shows the order {now})"
        self.lifecycle.rejected(symbol, link_id, result.code, message, action=action)
        self.out.publish(VenueRejected(self.out.now_ms(), symbol, link_id, result.code, message), wake=True)
        self.out.trace(
            f"{action} rejected [{link_id}]: retCode {result.code} {message}",
            Severity.ERROR,
            symbol=symbol,
        )
        return CommandResult(False, f"{action} rejected: {message}", link_id, ret_code=result.code)
