"""The paired orders of a session: sends both legs through the engine's one order path, feeds each
pair the engine's order events, and carries out unwind and complete.

Every order goes through :meth:`core.api.EngineAPI.place` (builder → risk chain → journal →
executor); a refused leg is refused by a named check like any other order. The desk keeps no
clock of its own: the caller gives the time (the console's clock, a test's virtual clock).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from core.api import CommandResult, RiskPreview
from core.events import Event, OrderUpdated
from core.model import AccountSnapshot, Order, OrderRequest, OrderType, Side
from core.orders import paired_journal as pj
from core.orders.paired import SOURCE, Leg, PairedOrder, PairState

if TYPE_CHECKING:
    from core.journal.journal import JournalRecord

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

    def account(self) -> AccountSnapshot:
        """The latest balance, positions and open orders."""
        ...

    def journal_note(self, kind: str, *, symbol: str = "", data: Mapping[str, Any]) -> None:
        """Journal one record beside the order path."""
        ...

    def journal_notes(self, kinds: tuple[str, ...]) -> list[JournalRecord]:
        """The journal's records of ``kinds``, oldest first."""
        ...

    def held_symbols(self) -> tuple[str, ...]:
        """Symbols whose venue is down since start-up (their positions are not known yet)."""
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
        self._risk_notes: dict[str, str] = {}
        """Pair id -> the note of its last journaled leg risk (while that leg risk lasts)."""

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
        log.info("%s %s sent: %s", pair.pair_id, pair.asset, pair.describe())
        self._journal(pair)
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
        changed = [p for p in self.pairs.values() if not p.state.terminal and p.evaluate(now_ms)]
        for pair in changed:
            self._journal(pair)
        return changed

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
        self._journal(pair)
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
        self._journal(pair)
        return pair

    # --- the journal ----------------------------------------------------------------------------
    def _journal(self, pair: PairedOrder) -> None:
        """Journal a leg risk when it starts (or its reason changes) and how it ended."""
        if pair.state == PairState.LEG_RISK:
            if self._risk_notes.get(pair.pair_id) != pair.note:
                self._risk_notes[pair.pair_id] = pair.note
                log.warning("%s %s: %s", pair.pair_id, pair.asset, pair.note)
                self._note(pj.LEG_RISK, pair, pj.leg_risk_data(pair))
            return
        how = pj.resolution(pair.state)
        if how is not None and self._risk_notes.pop(pair.pair_id, None) is not None:
            self._note(pj.RESOLVED, pair, pj.resolved_data(pair, how))

    def _note(self, kind: str, pair: PairedOrder, data: Mapping[str, Any]) -> None:
        self.engine.journal_note(kind, symbol=pair.a.symbol, data=data)

    def restore(self) -> list[PairedOrder]:
        """After a restart: every journaled pair still in leg risk whose position the venue still
        holds comes back in leg risk (unwind or complete it again); one the venue holds nothing of
        any more is journaled as resolved ``flat``; one with a leg on a venue that is down stays in
        leg risk (nothing is known of it yet). Call once the engine has the account."""
        records = self.engine.journal_notes(pj.KINDS)
        unseen = set(self.engine.held_symbols())
        numbers = [pj.pair_number(str(r.data.get("pair_id", ""))) for r in records]
        self._seq = max([self._seq, *numbers])
        positions = self.engine.account().positions
        back: list[PairedOrder] = []
        for data in pj.unresolved((r.kind, r.data) for r in records):
            try:
                pair = pj.rebuild(data, self.timeout_ms)
            except ValueError as bad:
                log.warning("journal: %s", bad)
                continue
            if pair.pair_id in self.pairs:
                continue
            out_of_sight = any(leg.holding > 0 and leg.symbol in unseen for leg in pair.legs)
            if not out_of_sight and not pj.still_held(pair, positions):
                pair.state, pair.note = PairState.UNWOUND, "flat: the venue holds nothing of this pair"
                self._note(pj.RESOLVED, pair, pj.resolved_data(pair, pj.FLAT))
                continue
            self.pairs[pair.pair_id] = pair
            self._risk_notes[pair.pair_id] = pair.note
            back.append(pair)
        return back

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
