"""Amending a working order: the fields its type has, rebuilt and risk-checked like a new order.

A plain limit order has a price and a quantity; a stop-limit has a trigger, a price and a
quantity; a stop-market has a trigger and a quantity (its ``price`` is the venue's hidden
slippage protection, never the trader's to amend). The amended order is rebuilt by the same
builder (tick/step snapping, trigger on the side of the market it was placed for), checked by the
same risk chain with the order itself left out of the open-order totals, journaled, and sent as
exactly the numbers the chain checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core.account import AccountState
from core.api import CommandResult
from core.engine.lifecycle import OrderJournal
from core.engine.outcomes import AmendCheck, Refusals, WriteOutcomes
from core.engine.pretrade import PreTrade
from core.model import Order, OrderRequest, OrderType
from core.orders.built import BuildError, BuiltOrder
from core.orders.executor import OrderExecutor
from core.orders.values import amend_problem
from core.venues.base import Venue


@dataclass(frozen=True, slots=True)
class AmendSend:
    """The venue strings to send; None leaves a field as it is."""

    qty: str | None
    price: str | None
    trigger: str | None

    @property
    def empty(self) -> bool:
        """True when nothing would change."""
        return self.qty is None and self.price is None and self.trigger is None


def amend_refusal(
    order: Order, qty: Decimal | None, price: Decimal | None, trigger_price: Decimal | None
) -> str:
    """Why these fields cannot be amended on ``order`` ("" when they can)."""
    if not order.is_open:
        return f"order is {order.status.value}; only a working order can be amended"
    if price is not None and order.order_type is OrderType.MARKET:
        kind = "a stop-market order" if order.is_conditional else "a market order"
        return f"{kind} has no limit price to amend; change its trigger or qty"
    if trigger_price is not None and not order.is_conditional:
        return "not a stop order: it has no trigger price to amend"
    if qty is not None and qty <= order.filled_qty:
        return f"qty {qty} must be above the {order.filled_qty} already filled"
    if qty is None and price is None and trigger_price is None:
        return "nothing to amend: give a new qty, price or trigger"
    return ""


def changed_since_shown(shown: Order, now: Order) -> str:
    """``order changed since shown: qty 0.010 -> 0.050; nothing sent`` ("" when it has not): an
    amend sends only the fields it changes, so the venue would apply it to an order the trader
    never saw (changed from another device, or by the venue)."""
    diffs = [
        f"{name} {before} -> {after}"
        for name, before, after in (
            ("qty", shown.qty, now.qty),
            ("price", shown.price, now.price),
            ("trigger", shown.trigger_price, now.trigger_price),
        )
        if before != after
    ]
    return f"order changed since shown: {', '.join(diffs)}; nothing sent" if diffs else ""


class OrderAmender:
    """Amends working orders (through the builder, the risk chain, the journal and the executor)."""

    def __init__(
        self,
        *,
        state: AccountState,
        pretrade: PreTrade,
        refusals: Refusals,
        lifecycle: OrderJournal,
        executor: OrderExecutor,
        venue: Venue,
        outcomes: WriteOutcomes,
    ) -> None:
        self.state = state
        self.pretrade = pretrade
        self.refusals = refusals
        self.lifecycle = lifecycle
        self.executor = executor
        self.venue = venue
        self.outcomes = outcomes

    def _request(
        self, order: Order, qty: Decimal | None, price: Decimal | None, trigger_price: Decimal | None
    ) -> OrderRequest:
        new_qty = qty if qty is not None else order.qty
        return OrderRequest(
            symbol=order.symbol,
            side=order.side,
            qty=new_qty - order.filled_qty,
            order_type=order.order_type,
            price=(price if price is not None else order.price)
            if order.order_type is OrderType.LIMIT
            else None,
            time_in_force=order.time_in_force,
            reduce_only=order.reduce_only,
            trigger_price=trigger_price if trigger_price is not None else order.trigger_price,
            trigger_direction=order.trigger_direction,
        )

    def _to_send(
        self,
        order: Order,
        built: BuiltOrder,
        qty: Decimal | None,
        price: Decimal | None,
        trigger_price: Decimal | None,
    ) -> AmendSend:
        """Exactly what the risk chain checked, for the fields that change after snapping."""
        inst = self.pretrade.instruments[order.symbol]
        pd = inst.price_decimals
        send_qty = built.qty + order.filled_qty
        send_price = built.price if price is not None else None
        send_trigger = built.trigger_price if trigger_price is not None else None
        return AmendSend(
            qty=f"{send_qty:.{inst.qty_decimals}f}" if qty is not None and send_qty != order.qty else None,
            price=f"{send_price:.{pd}f}" if send_price is not None and send_price != order.price else None,
            trigger=(
                f"{send_trigger:.{pd}f}"
                if send_trigger is not None and send_trigger != order.trigger_price
                else None
            ),
        )

    async def amend(
        self,
        order_link_id: str,
        qty: Decimal | None,
        price: Decimal | None,
        trigger_price: Decimal | None,
        *,
        expect: Order | None = None,
    ) -> CommandResult:
        """Rebuild, risk-check, journal and send one amend (refused unsent when the order is no
        longer the ``expect`` the trader saw)."""
        order = self.state.orders.get(order_link_id)
        if order is None:
            return CommandResult(False, f"no working order {order_link_id}", order_link_id)
        changed = changed_since_shown(expect, order) if expect is not None else ""
        if changed:
            return self._refuse(order, "changed_since_shown", changed)
        send = self._checked(order, qty, price, trigger_price)
        if isinstance(send, CommandResult):
            return send
        fields = {"qty": send.qty or "", "price": send.price or "", "trigger_price": send.trigger or ""}
        # An amend of a reduce-only order goes out on an unwritable journal (fallback file); any
        # other is refused unsent (JournalUnwritable).
        await self.lifecycle.amend(order.symbol, order_link_id, fields, required=not order.reduce_only)
        venue = self.venue
        result = await self.executor.write(
            "amend",
            order.symbol,
            order_link_id,
            lambda: venue.amend(
                order.symbol,
                order_link_id,
                qty=_decimal(send.qty),
                price=_decimal(send.price),
                trigger_price=_decimal(send.trigger),
            ),
            applied=AmendCheck.of(send.qty, send.price, send.trigger),
        )
        res = self.outcomes.report("amend", order.symbol, order_link_id, result)
        if res.ok:
            return CommandResult(True, f"{res.message}: {describe(send)}", order_link_id)
        return res

    def _checked(
        self, order: Order, qty: Decimal | None, price: Decimal | None, trigger_price: Decimal | None
    ) -> AmendSend | CommandResult:
        """What to send, rebuilt and risk-checked; or the refusal (journaled and published)."""
        link = order.order_link_id
        bad = amend_problem(qty, price, trigger_price)  # NaN/Infinity/<= 0, before any arithmetic
        if bad is not None:
            return self._refuse(order, bad.check, bad.reason)
        refusal = amend_refusal(order, qty, price, trigger_price)
        if refusal:
            return self._refuse(order, "amend_fields", refusal)
        built = self.pretrade.build(self._request(order, qty, price, trigger_price), link)
        if isinstance(built, BuildError):
            return self._refuse(order, built.check, built.reason)
        context = self.pretrade.risk_context(order.symbol, exclude=link)
        failure = self.pretrade.risk_chain.first_failure(built, context)
        if failure is not None:
            return self._refuse(order, failure.check, failure.reason)
        send = self._to_send(order, built, qty, price, trigger_price)
        if send.empty:
            return self._refuse(order, "amend_fields", "nothing changes after rounding to tick/step")
        return send

    def _refuse(self, order: Order, check: str, reason: str) -> CommandResult:
        return self.refusals.reject(order.symbol, order.order_link_id, check, reason, action="amend")


def describe(send: AmendSend) -> str:
    """``qty 0.020, trigger 94100.0`` for the fields being sent."""
    parts = [
        f"{k} {v}" for k, v in (("qty", send.qty), ("price", send.price), ("trigger", send.trigger)) if v
    ]
    return ", ".join(parts)


def _decimal(value: str | None) -> Decimal | None:
    """An amend field's venue string as a Decimal (None stays None: unchanged)."""
    return None if value is None else Decimal(value)
