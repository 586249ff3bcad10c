"""A paired order: two legs of one asset on two venues, one bought and one sold, and the leg risk
between them. Pure state: no I/O, no clock of its own.

The machine is told what happened (each leg's send result, each order update, the time) and says
what state the pair is in:

* ``working`` while the legs are out; ``done`` once both are filled in full;
* ``leg risk`` once the legs' fills differ and nothing more will come by itself: one leg filled and
  the other rejected or cancelled, or still not filled ``timeout_ms`` after the send;
* ``failed`` when both legs ended with nothing filled (no position: nothing to do);
* from leg risk the trader either *unwinds* (every filled quantity closed reduce-only at market:
  the pair ends flat, no orphan position) or *completes* (the missing quantity of the short leg
  re-sent at market): ``unwinding`` → ``unwound`` / ``completing`` → ``done``; a recovery order
  that fails puts the pair back in leg risk with the reason.

The order requests it plans (:meth:`PairedOrder.unwind_requests`, :meth:`complete_request`) go
through the engine's one order path like any other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from core.model import OrderRequest, OrderStatus, OrderType, Side

ZERO = Decimal(0)
SOURCE = "paired"
"""The ``source`` of every order a paired order sends (the journal says who asked)."""
ENDED = frozenset({OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.DEACTIVATED})


class PairState(StrEnum):
    """Where a paired order is."""

    WORKING = "working"
    DONE = "done"
    LEG_RISK = "LEG RISK"
    UNWINDING = "unwinding"
    UNWOUND = "unwound"
    COMPLETING = "completing"
    FAILED = "failed"

    @property
    def terminal(self) -> bool:
        """True once nothing more will happen to the pair."""
        return self in (PairState.DONE, PairState.UNWOUND, PairState.FAILED)


@dataclass(slots=True)
class Leg:
    """One leg: what was asked, and every order sent for it (link → filled quantity)."""

    symbol: str
    side: Side
    qty: Decimal
    orders: dict[str, Decimal] = field(default_factory=dict)
    """Client order id → filled quantity, for each order that adds to this leg."""
    working: set[str] = field(default_factory=set)
    """Orders of this leg that can still fill."""
    closing: dict[str, Decimal] = field(default_factory=dict)
    """Reduce-only unwind orders of this leg: client order id → filled quantity."""
    closing_working: set[str] = field(default_factory=set)
    reason: str = ""
    """Why the last order of this leg failed (risk check or venue reason)."""

    @property
    def filled(self) -> Decimal:
        """Quantity this leg holds from its orders."""
        return sum(self.orders.values(), ZERO)

    @property
    def unwound(self) -> Decimal:
        """Quantity of this leg closed again by unwind orders."""
        return sum(self.closing.values(), ZERO)

    @property
    def holding(self) -> Decimal:
        """Filled and not yet unwound."""
        return self.filled - self.unwound


@dataclass(slots=True)
class PairedOrder:
    """One paired order (see the module docs). ``a`` and ``b`` take opposite sides."""

    pair_id: str
    asset: str
    a: Leg
    b: Leg
    sent_ms: int
    timeout_ms: int
    state: PairState = PairState.WORKING
    note: str = ""
    """One line: why the state is what it is (shown in the pane and the log)."""
    busy: bool = True
    """True while its orders are being sent (legs, cancels, unwind or complete): the state waits
    until every answer is in, so a leg not sent yet is never taken for one that failed."""

    @property
    def legs(self) -> tuple[Leg, Leg]:
        """Both legs, A first."""
        return (self.a, self.b)

    # --- what happened ------------------------------------------------------------------------
    def sent(self, leg: Leg, link: str, ok: bool, reason: str = "") -> None:
        """The engine's answer to one leg's order (``ok`` False: refused, with ``reason``)."""
        if ok:
            if link:
                leg.orders.setdefault(link, ZERO)
                leg.working.add(link)
        else:
            leg.reason = reason or "refused"

    def unwind_sent(self, leg: Leg, link: str, ok: bool, reason: str = "") -> None:
        """The engine's answer to one unwind order."""
        if ok and link:
            leg.closing.setdefault(link, ZERO)
            leg.closing_working.add(link)
        elif not ok:
            leg.reason = f"unwind refused: {reason or 'refused'}"

    def order_update(self, link: str, status: OrderStatus, filled_qty: Decimal, reason: str = "") -> bool:
        """An order of this pair changed; True when the link is one of its orders."""
        for leg in self.legs:
            if link in leg.orders:
                leg.orders[link] = filled_qty
                if status in ENDED:
                    leg.working.discard(link)
                    if status != OrderStatus.FILLED:
                        leg.reason = reason or status.value.lower()
                return True
            if link in leg.closing:
                leg.closing[link] = filled_qty
                if status in ENDED:
                    leg.closing_working.discard(link)
                    if status != OrderStatus.FILLED:
                        leg.reason = f"unwind {reason or status.value.lower()}"
                return True
        return False

    def links(self) -> set[str]:
        """Every client order id this pair sent."""
        out: set[str] = set()
        for leg in self.legs:
            out |= set(leg.orders) | set(leg.closing)
        return out

    # --- the state ----------------------------------------------------------------------------
    def describe(self) -> str:
        """The state and its note for a log line, the state said once (most notes start with it)."""
        if not self.note:
            return str(self.state)
        return self.note if self.note.startswith(self.state) else f"{self.state}: {self.note}"

    def evaluate(self, now_ms: int) -> bool:
        """Recompute the state at ``now_ms``; True when it changed."""
        if self.busy:
            return False
        before = (self.state, self.note)
        if self.state in (PairState.UNWINDING, PairState.UNWOUND):
            self._evaluate_unwind()
        elif not self.state.terminal:
            self._evaluate_legs(now_ms)
        return (self.state, self.note) != before

    def _evaluate_legs(self, now_ms: int) -> None:
        a, b = self.a, self.b
        if a.filled >= a.qty and b.filled >= b.qty:
            self.state, self.note = PairState.DONE, "both legs filled"
            return
        working = bool(a.working or b.working)
        if not working and a.filled == b.filled == ZERO:
            self.state, self.note = PairState.FAILED, f"nothing filled: {a.reason or b.reason}"
            return
        # a complete's market order is waited for; only the first send has a deadline
        timed_out = self.state == PairState.WORKING and now_ms - self.sent_ms >= self.timeout_ms
        if a.filled != b.filled and (not working or timed_out):
            short = a if a.filled < b.filled else b
            why = short.reason or "not filled in time"
            self.state = PairState.LEG_RISK
            self.note = f"LEG RISK {short.symbol} {short.filled}/{short.qty}: {why}"
        elif self.state != PairState.COMPLETING:
            self.state, self.note = PairState.WORKING, ""

    def _evaluate_unwind(self) -> None:
        if any(leg.closing_working for leg in self.legs):
            return
        left = [leg for leg in self.legs if leg.holding > 0]
        if not left:
            self.state, self.note = PairState.UNWOUND, "unwound: both legs flat"
            return
        leg = left[0]
        self.state = PairState.LEG_RISK
        self.note = f"LEG RISK {leg.symbol} holds {leg.holding}: {leg.reason or 'unwind not filled'}"

    # --- what to do about leg risk ------------------------------------------------------------
    def start_unwind(self) -> None:
        """The trader chose unwind (the caller cancels working orders and sends the requests)."""
        self.state, self.note = PairState.UNWINDING, "unwinding: closing the filled quantity"

    def start_complete(self) -> None:
        """The trader chose complete (the caller cancels working orders and sends the request)."""
        self.state, self.note = PairState.COMPLETING, "completing: the missing quantity at market"

    def working_links(self) -> list[str]:
        """Orders of the legs still working (cancelled before an unwind or a complete)."""
        return sorted(self.a.working | self.b.working)

    def unwind_requests(self) -> list[tuple[Leg, OrderRequest]]:
        """One reduce-only market order per leg that holds a position from this pair."""
        return [
            (leg, _market(leg.symbol, leg.side.opposite, leg.holding, reduce_only=True))
            for leg in self.legs
            if leg.holding > 0
        ]

    def complete_request(self) -> tuple[Leg, OrderRequest] | None:
        """The short leg's missing quantity at market (None when the legs are level)."""
        a, b = self.a, self.b
        if a.filled == b.filled:
            return None
        short, long_ = (a, b) if a.filled < b.filled else (b, a)
        return short, _market(short.symbol, short.side, long_.filled - short.filled, reduce_only=False)


def _market(symbol: str, side: Side, qty: Decimal, *, reduce_only: bool) -> OrderRequest:
    return OrderRequest(
        symbol=symbol, side=side, qty=qty, order_type=OrderType.MARKET, reduce_only=reduce_only, source=SOURCE
    )


__all__ = ["ENDED", "SOURCE", "Leg", "PairState", "PairedOrder"]
