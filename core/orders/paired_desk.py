"""The paired orders of a session: sends both legs through the engine's one order path, feeds each
pair the engine's order events, and carries out unwind and complete.

Every order goes through :meth:`core.api.EngineAPI.place` (builder → risk chain → journal →
executor); a refused leg is refused by a named check like any other order. The desk keeps no
clock of its own: the caller gives the time (the console's clock, a test's virtual clock).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from core.api import CommandResult, RiskPreview
from core.events import Event, OrderUpdated
from core.model import Order, OrderRequest, OrderType, Side
from core.orders.paired import SOURCE, Leg, PairedOrder, PairState

log = logging.getLogger(__name__)

MS_PER_S = 1000
RECENT_UPDATES = 1000
"""Order updates kept for links no pair knows yet: a leg's fill can be reported while its
``place`` call is still returning the client order id."""


class PairEngine(Protocol):
    """What the desk uses of the engine."""

    def preview(self, request: OrderRequest) -> RiskPreview:
        """Build and risk-check without sending."""
        ...

    async def place(self, request: OrderRequest) -> CommandResult:
        """Build, risk-check, journal and send one order."""
        ...

    async def cancel(self, order_link_id: str) -> CommandResult:
        """Cancel one working order."""
        ...


@dataclass(frozen=True, slots=True)
class PairTicket:
    """What the trader asks for: ``qty`` of ``asset``, bought on ``buy_symbol`` and sold on
    ``sell_symbol``, both at market or both limit at their prices."""

    asset: str
    buy_symbol: str
    sell_symbol: str
    qty: Decimal
    order_type: OrderType = OrderType.MARKET
    buy_price: Decimal | None = None
    sell_price: Decimal | None = None

    def requests(self) -> tuple[OrderRequest, OrderRequest]:
        """The buy leg and the sell leg as order requests."""
        buy = OrderRequest(
            self.buy_symbol, Side.BUY, self.qty, self.order_type, price=self.buy_price, source=SOURCE
        )
        sell = OrderRequest(
            self.sell_symbol, Side.SELL, self.qty, self.order_type, price=self.sell_price, source=SOURCE
        )
        return buy, sell


class PairedDesk:
    """The session's paired orders and what to do with them."""

    def __init__(self, engine: PairEngine, *, timeout_s: float) -> None:
        self.engine = engine
        self.timeout_ms = int(timeout_s * MS_PER_S)
        self.pairs: dict[str, PairedOrder] = {}
        self._seq = 0
        self._recent: OrderedDict[str, Order] = OrderedDict()

    def preview(self, ticket: PairTicket) -> tuple[RiskPreview, RiskPreview]:
        """The engine's own preview of each leg (buy, sell): the risk chain's verdict per leg."""
        buy, sell = ticket.requests()
        return self.engine.preview(buy), self.engine.preview(sell)

    def latest(self, asset: str) -> PairedOrder | None:
        """The asset's most recent paired order."""
        found = [p for p in self.pairs.values() if p.asset == asset]
        return found[-1] if found else None

    async def send(self, ticket: PairTicket, now_ms: int) -> PairedOrder:
        """Send both legs (buy first), each through the engine's order path."""
        self._seq += 1
        buy, sell = ticket.requests()
        pair = PairedOrder(
            f"pair-{self._seq}",
            ticket.asset,
            Leg(buy.symbol, Side.BUY, ticket.qty),
            Leg(sell.symbol, Side.SELL, ticket.qty),
            now_ms,
            self.timeout_ms,
        )
        self.pairs[pair.pair_id] = pair
        try:
            for leg, request in ((pair.a, buy), (pair.b, sell)):
                res = await self.engine.place(request)
                pair.sent(leg, res.order_link_id, res.ok, _reason(res))
                self._catch_up(pair, res.order_link_id)
        finally:
            pair.busy = False
        pair.evaluate(now_ms)
        log.info("%s %s sent: %s %s", pair.pair_id, pair.asset, pair.state, pair.note)
        return pair

    def on_events(self, events: Iterable[Event], now_ms: int) -> list[PairedOrder]:
        """Feed the engine's order events; the pairs whose state changed."""
        for ev in events:
            if not isinstance(ev, OrderUpdated):
                continue
            o = ev.order
            if not any(self._apply(pair, o) for pair in self.pairs.values()):
                self._remember(o)
        return self.tick(now_ms)

    @staticmethod
    def _apply(pair: PairedOrder, order: Order) -> bool:
        return pair.order_update(order.order_link_id, order.status, order.filled_qty, order.reject_reason)

    def _remember(self, order: Order) -> None:
        self._recent[order.order_link_id] = order
        self._recent.move_to_end(order.order_link_id)
        while len(self._recent) > RECENT_UPDATES:
            self._recent.popitem(last=False)

    def _catch_up(self, pair: PairedOrder, link: str) -> None:
        """Apply an update that arrived before the pair knew the link."""
        early = self._recent.pop(link, None)
        if early is not None:
            self._apply(pair, early)

    def tick(self, now_ms: int) -> list[PairedOrder]:
        """Re-evaluate every live pair at ``now_ms`` (the leg timeout); the pairs that changed."""
        return [p for p in self.pairs.values() if not p.state.terminal and p.evaluate(now_ms)]

    async def unwind(self, pair: PairedOrder, now_ms: int) -> PairedOrder:
        """Cancel the legs' working orders, then close every filled quantity reduce-only at market."""
        if pair.state != PairState.LEG_RISK:
            return pair
        pair.start_unwind()
        pair.busy = True
        try:
            await self._cancel_working(pair)
            for leg, request in pair.unwind_requests():
                res = await self.engine.place(request)
                pair.unwind_sent(leg, res.order_link_id, res.ok, _reason(res))
                self._catch_up(pair, res.order_link_id)
        finally:
            pair.busy = False
        pair.evaluate(now_ms)
        return pair

    async def complete(self, pair: PairedOrder, now_ms: int) -> PairedOrder:
        """Cancel the legs' working orders, then send the short leg's missing quantity at market."""
        if pair.state != PairState.LEG_RISK:
            return pair
        pair.start_complete()
        pair.busy = True
        try:
            await self._cancel_working(pair)
            planned = pair.complete_request()
            if planned is not None:
                leg, request = planned
                res = await self.engine.place(request)
                pair.sent(leg, res.order_link_id, res.ok, _reason(res))
                self._catch_up(pair, res.order_link_id)
                if not res.ok:
                    pair.state = PairState.LEG_RISK
        finally:
            pair.busy = False
        pair.evaluate(now_ms)
        return pair

    async def _cancel_working(self, pair: PairedOrder) -> None:
        for link in pair.working_links():
            res = await self.engine.cancel(link)
            if not res.ok:
                log.warning("%s: cancel %s: %s", pair.pair_id, link, res.message)


def _reason(res: CommandResult) -> str:
    if res.ok:
        return ""
    return f"{res.check}: {res.message}" if res.check else res.message


__all__ = ["PairEngine", "PairTicket", "PairedDesk"]
