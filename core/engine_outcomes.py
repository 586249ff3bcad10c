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

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from core.api import CommandResult
from core.events import Severity, VenueRejected
from core.model import Order, OrderStatus
from core.orders.executor import SendResult

if TYPE_CHECKING:
    from core.engine import Engine

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


class WriteOutcomes:
    """Turns amend/cancel send results into command results, journal records and events."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def report(self, action: str, symbol: str, link_id: str, result: SendResult) -> CommandResult:
        """The command result for ``action`` on ``link_id``, journaled and published."""
        eng = self.engine
        if result.order is not None:  # the venue's word on the order, from a lookup
            for ev in eng.state.apply_order(result.order, eng.now_ms()):
                eng.publish(ev, wake=True)
        if result.ok:
            return self._done(action, symbol, link_id, result)
        if result.unknown:
            eng.log_line(
                f"{action} [{link_id}]: {result.message}; will reconcile by orderLinkId",
                Severity.ERROR,
                symbol=symbol,
                order_link_id=link_id,
            )
            eng._schedule_reconcile()
            return CommandResult(False, result.message, link_id)
        return self._rejected(action, symbol, link_id, result)

    def _done(self, action: str, symbol: str, link_id: str, result: SendResult) -> CommandResult:
        eng = self.engine
        if not result.resolved_by_lookup:
            eng.journal.record("ack", symbol=symbol, order_link_id=link_id, action=action)
            eng.trace(f"{action} accepted [{link_id}]", symbol=symbol, order_link_id=link_id)
            return CommandResult(True, f"{action} accepted", link_id)
        status = result.order.status.value if result.order is not None else ""
        done = APPLIED_WORD.get(action, f"{action} applied")
        eng.journal.record(
            "ack",
            symbol=symbol,
            order_link_id=link_id,
            action=action,
            resolved_by_lookup=True,
            status=status,
            after=result.message,
        )
        eng.trace(
            f"{done} [{link_id}]: the reply was lost ({result.message}); the venue shows it {status}",
            Severity.WARN,
            symbol=symbol,
            order_link_id=link_id,
        )
        return CommandResult(True, f"{done} (confirmed by the venue after the reply was lost)", link_id)

    def _rejected(self, action: str, symbol: str, link_id: str, result: SendResult) -> CommandResult:
        eng = self.engine
        message = result.message
        if result.resolved_by_lookup:
            now = result.order.status.value if result.order is not None else "not on the venue"
            message = f"{message} (the venue shows the order {now})"
        eng.journal.record(
            "reject",
            symbol=symbol,
            order_link_id=link_id,
            action=action,
            ret_code=result.code,
            message=message,
        )
        eng.publish(VenueRejected(eng.now_ms(), symbol, link_id, result.code, message), wake=True)
        eng.trace(
            f"{action} rejected [{link_id}]: retCode {result.code} {message}",
            Severity.ERROR,
            symbol=symbol,
        )
        return CommandResult(False, f"{action} rejected: {message}", link_id, ret_code=result.code)
