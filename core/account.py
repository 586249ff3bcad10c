"""The engine's view of the account: orders, positions, balance, fills and today's PnL.

All mutation happens on the event loop. Pushes from the private WebSocket and REST snapshots both
land here; every method returns the events to publish, so callers never forget one.

A REST snapshot races everything else: the venue may answer it before an order that is being
placed right now reaches its matching engine, and a push sent before the snapshot may arrive after
it. Timestamps cannot order these events (a placeholder's local creation time says nothing about
when the venue processed the order, and the venue's clock is not ours), so the state counts what
it hears: :meth:`AccountState.begin_snapshot` marks the moment a snapshot request is about to be
sent, and only what the state had heard *before* that mark can be judged by the snapshot. An order
acknowledged, or a position pushed, after the mark stays as it is until a later snapshot (or the
venue's own word) settles it.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Collection
from dataclasses import replace
from decimal import Decimal

from core.events import BalanceUpdated, Event, FillReceived, OrderUpdated, PositionUpdated
from core.model import ZERO, AccountSnapshot, Balance, Fill, Order, OrderStatus, Position

_STATUS_RANK = {
    OrderStatus.CREATED: 0,
    OrderStatus.UNTRIGGERED: 1,
    OrderStatus.NEW: 1,
    OrderStatus.TRIGGERED: 2,
    OrderStatus.PARTIALLY_FILLED: 2,
    OrderStatus.FILLED: 3,
    OrderStatus.CANCELLED: 3,
    OrderStatus.REJECTED: 3,
    OrderStatus.DEACTIVATED: 3,
}

MAX_FINISHED = 5000
"""Orders the venue reported finished, remembered so an older snapshot cannot reopen them."""
DAY_MS = 86_400_000
"""One UTC day: today's realised PnL and fees start again at each UTC midnight."""
MAX_EXEC_IDS = 20_000
"""Execution ids remembered to drop repeated fills; past this the set is rebuilt from the kept fills."""


def day_start(now_ms: int) -> int:
    """Start (ms) of the UTC day containing ``now_ms``."""
    return now_ms - now_ms % DAY_MS


class AccountState:
    """Latest orders (by orderLinkId), positions (by symbol), balance and fills."""

    def __init__(self, max_fills: int = 2000, max_closed: int = 500) -> None:
        self.orders: dict[str, Order] = {}
        self.closed: deque[Order] = deque(maxlen=max_closed)
        self.positions: dict[str, Position] = {}
        self.balance: Balance | None = None
        self.fills: deque[Fill] = deque(maxlen=max_fills)
        self._exec_ids: set[str] = set()
        self.realised_today = ZERO
        """Realised PnL before fees of the fills of the current UTC day (the fills' own time)."""
        self.fees_today = ZERO
        self._day_ms = 0
        """Start of the UTC day ``realised_today`` and ``fees_today`` add up."""
        self._seq = 0
        self._heard: dict[str, int] = {}
        """Open order key -> the mark at which the venue (or the ack) last spoke of it."""
        self._pos_heard: dict[str, int] = {}
        """Symbol -> the mark at which a position row for it was last adopted."""
        self._finished: OrderedDict[str, None] = OrderedDict()
        self._flat_ms: dict[str, int] = {}
        """Symbol -> the venue time of the last flat row the venue sent for it."""

    # --- snapshot ordering ----------------------------------------------------------------
    def begin_snapshot(self) -> int:
        """Call right before a REST snapshot request is sent; pass the mark to ``replace_*``.

        Everything applied after this call is newer than (or as new as) what that snapshot can
        show, so the snapshot cannot judge it.
        """
        self._seq += 1
        return self._seq

    def _finish(self, key: str) -> None:
        self._finished[key] = None
        self._finished.move_to_end(key)
        while len(self._finished) > MAX_FINISHED:
            self._finished.popitem(last=False)

    # --- orders ---------------------------------------------------------------------------
    def apply_order(self, order: Order, now_ms: int) -> list[Event]:
        """Merge one order update; stale updates (lower status rank, less filled) are ignored.

        An open update for an order the venue already reported finished (filled, cancelled,
        rejected, deactivated: final on Bybit) is an older view, e.g. a snapshot the venue
        answered before the order ended: ignored.
        """
        key = order.order_link_id or order.order_id
        if order.is_open and key in self._finished:
            return []
        prev = self.orders.get(key)
        if prev is not None and (
            (order.updated_ms and prev.updated_ms and order.updated_ms < prev.updated_ms)
            or order.filled_qty < prev.filled_qty
            or (
                _STATUS_RANK.get(order.status, 0) < _STATUS_RANK.get(prev.status, 0)
                and order.updated_ms <= prev.updated_ms
            )
        ):
            return []
        if order.is_open:
            self.orders[key] = order
            self._heard[key] = self._seq
        else:
            self.orders.pop(key, None)
            self._heard.pop(key, None)
            self.closed.append(order)
            if order.updated_ms:  # the venue's word (local rejections carry no venue time)
                self._finish(key)
        if prev == order:
            return []
        return [OrderUpdated(now_ms, order)]

    def replace_open_orders(
        self,
        orders: list[Order],
        now_ms: int,
        since: int,
        keep: Collection[str] = (),
    ) -> list[Event]:
        """Adopt a REST snapshot of open orders whose request was sent after mark ``since``.

        An order we thought open but the venue does not list is gone (filled or cancelled while
        we were not told), but only when all we knew of it was heard before ``since``: an order
        acknowledged or pushed later may have reached the venue after the snapshot was taken. A
        placeholder the venue never acknowledged (being sent, or its outcome unknown) and
        anything in ``keep`` are never judged by a snapshot: their sender or the reconciliation
        by orderLinkId settles them.
        """
        events: list[Event] = []
        seen = set()
        for o in orders:
            seen.add(o.order_link_id or o.order_id)
            events += self.apply_order(o, now_ms)
        stale = [
            k
            for k, o in self.orders.items()
            if k not in seen
            and k not in keep
            and o.status is not OrderStatus.CREATED
            and self._heard.get(k, 0) < since
        ]
        for key in stale:
            gone = replace(self.orders.pop(key), status=OrderStatus.CANCELLED, updated_ms=now_ms)
            self._heard.pop(key, None)
            self.closed.append(gone)
            events.append(OrderUpdated(now_ms, gone))
        return events

    def cancelled_by_venue(self, keys: Collection[str], now_ms: int) -> list[Event]:
        """Orders the venue's reply says it cancelled (a cancel-all's list): finished now, so an
        older open view of them (a push delayed behind the reply) can never bring them back as
        working, where a later cancel or amend would be sent for an order already gone."""
        events: list[Event] = []
        for key in keys:
            self._finish(key)
            order = self.orders.pop(key, None)
            self._heard.pop(key, None)
            if order is None:
                continue
            gone = replace(order, status=OrderStatus.CANCELLED, updated_ms=now_ms)
            self.closed.append(gone)
            events.append(OrderUpdated(now_ms, gone))
        return events

    def unacknowledged(self) -> list[Order]:
        """Placeholders the venue never acknowledged (being sent, or their outcome unknown)."""
        return [o for o in self.orders.values() if o.status is OrderStatus.CREATED]

    # --- fills ----------------------------------------------------------------------------
    def apply_fill(self, fill: Fill, now_ms: int) -> list[Event]:
        """Record one execution once (pushes and REST backfills may repeat it); a fill of the
        current UTC day (by its own time) adds to today's realised PnL and fees."""
        if fill.exec_id in self._exec_ids:
            return []
        self._exec_ids.add(fill.exec_id)
        if len(self._exec_ids) > MAX_EXEC_IDS:
            self._exec_ids = {f.exec_id for f in self.fills}
        self.fills.append(fill)
        today = day_start(now_ms)
        if today != self._day_ms:
            self._day_ms = today
            self.realised_today = self.fees_today = ZERO
        if fill.ts_ms >= today:
            self.realised_today += fill.closed_pnl
            self.fees_today += fill.fee
        return [FillReceived(now_ms, fill)]

    # --- positions & balance --------------------------------------------------------------
    def apply_position(self, pos: Position, now_ms: int) -> list[Event]:
        """Merge one position row from the venue (flat rows remove the symbol).

        A row older (by the venue's time) than the one held, or an open row older than the flat
        row the venue sent last, is an older view and ignored.
        """
        sym = pos.symbol
        prev = self.positions.get(sym)
        if prev is not None and pos.updated_ms and prev.updated_ms and pos.updated_ms < prev.updated_ms:
            return []  # an older snapshot than what a push already told us
        if prev is None and not pos.is_flat and pos.updated_ms and pos.updated_ms < self._flat_ms.get(sym, 0):
            return []  # a snapshot taken before the position was closed
        self._pos_heard[sym] = self._seq
        if pos.is_flat:
            if pos.updated_ms:
                self._flat_ms[sym] = max(pos.updated_ms, self._flat_ms.get(sym, 0))
            if prev is None:
                return []
            del self.positions[sym]
        else:
            self.positions[sym] = pos
        if prev == pos:
            return []
        return [PositionUpdated(now_ms, pos)]

    def replace_positions(self, positions: list[Position], now_ms: int, since: int) -> list[Event]:
        """Adopt a REST snapshot of all open positions whose request was sent after mark ``since``.

        A symbol the snapshot does not list is flat, unless a row for it was adopted after
        ``since`` (a push newer than the snapshot). Listed rows merge like pushes.
        """
        events: list[Event] = []
        live = {p.symbol for p in positions if not p.is_flat}
        gone = [s for s in self.positions if s not in live and self._pos_heard.get(s, 0) < since]
        for sym in gone:
            held = self.positions.pop(sym)
            flat = replace(held, side=None, size=ZERO, unrealised_pnl=ZERO)
            events.append(PositionUpdated(now_ms, flat))
        for p in positions:
            events += self.apply_position(p, now_ms)
        return events

    def mark(self, symbol: str, mark_price: Decimal) -> None:
        """Revalue a position at a new mark price (unrealised PnL for the risk meters)."""
        pos = self.positions.get(symbol)
        if pos is None or mark_price <= 0 or pos.mark_price == mark_price:
            return
        upnl = (mark_price - pos.entry_price) * pos.signed_size
        self.positions[symbol] = replace(pos, mark_price=mark_price, unrealised_pnl=upnl)

    def apply_balance(self, bal: Balance, now_ms: int) -> list[Event]:
        """Adopt a balance update."""
        if bal == self.balance:
            return []
        self.balance = bal
        return [BalanceUpdated(now_ms, bal)]

    # --- derived --------------------------------------------------------------------------
    @property
    def unrealised(self) -> Decimal:
        """Sum of unrealised PnL over positions."""
        return sum((p.unrealised_pnl for p in self.positions.values()), ZERO)

    @property
    def daily_pnl(self) -> Decimal:
        """Today's realised PnL (net of fees) plus current unrealised PnL."""
        return self.realised_today - self.fees_today + self.unrealised

    @property
    def gross_exposure(self) -> Decimal:
        """Sum of absolute position notionals at mark."""
        return sum((p.notional for p in self.positions.values()), ZERO)

    def snapshot(self) -> AccountSnapshot:
        """A copy for the UI."""
        return AccountSnapshot(balance=self.balance, positions=dict(self.positions), orders=dict(self.orders))
