"""The engine's view of the account: orders, positions, balance, fills and today's PnL.

All mutation happens on the event loop. Pushes from the private WebSocket and REST snapshots both
land here; every method returns the events to publish, so callers never forget one.
"""

from __future__ import annotations

from collections import deque
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
        self.fees_today = ZERO

    # --- orders ---------------------------------------------------------------------------
    def apply_order(self, order: Order, now_ms: int) -> list[Event]:
        """Merge one order update; stale updates (lower status rank, less filled) are ignored."""
        key = order.order_link_id or order.order_id
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
        else:
            self.orders.pop(key, None)
            self.closed.append(order)
        if prev == order:
            return []
        return [OrderUpdated(now_ms, order)]

    def replace_open_orders(
        self,
        orders: list[Order],
        now_ms: int,
        snapshot_ms: int | None = None,
        keep: Collection[str] = (),
    ) -> list[Event]:
        """Adopt a REST snapshot of open orders taken at ``snapshot_ms``.

        Anything we thought open but the venue does not list is gone (filled or cancelled while
        we were disconnected), unless it changed after the snapshot was taken (a push is newer
        than the snapshot) or is in ``keep`` (being sent right now: its sender settles it).
        """
        events: list[Event] = []
        seen = set()
        for o in orders:
            seen.add(o.order_link_id or o.order_id)
            events += self.apply_order(o, now_ms)
        cutoff = now_ms if snapshot_ms is None else snapshot_ms
        stale = [
            k
            for k, o in self.orders.items()
            # created_ms covers local placeholders, whose updated_ms is 0 until the venue speaks
            if k not in seen and k not in keep and max(o.updated_ms, o.created_ms) < cutoff
        ]
        for key in stale:
            gone = replace(self.orders.pop(key), status=OrderStatus.CANCELLED, updated_ms=now_ms)
            self.closed.append(gone)
            events.append(OrderUpdated(now_ms, gone))
        return events

    # --- fills ----------------------------------------------------------------------------
    def apply_fill(self, fill: Fill, now_ms: int) -> list[Event]:
        """Record one execution once (pushes and REST backfills may repeat it)."""
        if fill.exec_id in self._exec_ids:
            return []
        self._exec_ids.add(fill.exec_id)
        if len(self._exec_ids) > 20_000:
            self._exec_ids = {f.exec_id for f in self.fills}
        self.fills.append(fill)
        self.realised_today += fill.closed_pnl
        self.fees_today += fill.fee
        return [FillReceived(now_ms, fill)]

    def reset_day(self) -> None:
        """Start a new trading day for the daily PnL."""
        self.realised_today = ZERO
        self.fees_today = ZERO

    # --- positions & balance --------------------------------------------------------------
    def apply_position(self, pos: Position, now_ms: int) -> list[Event]:
        """Merge one position row (flat rows remove the symbol)."""
        prev = self.positions.get(pos.symbol)
        if prev is not None and pos.updated_ms and prev.updated_ms and pos.updated_ms < prev.updated_ms:
            return []  # an older snapshot than what a push already told us
        if pos.is_flat:
            if prev is None:
                return []
            del self.positions[pos.symbol]
        else:
            self.positions[pos.symbol] = pos
        if prev == pos:
            return []
        return [PositionUpdated(now_ms, pos)]

    def replace_positions(
        self, positions: list[Position], now_ms: int, snapshot_ms: int | None = None
    ) -> list[Event]:
        """Adopt a REST snapshot of all open positions taken at ``snapshot_ms`` (newer pushes win)."""
        events: list[Event] = []
        live = {p.symbol for p in positions if not p.is_flat}
        cutoff = now_ms if snapshot_ms is None else snapshot_ms
        gone = [s for s, p in self.positions.items() if s not in live and p.updated_ms < cutoff]
        for sym in gone:
            flat = replace(self.positions[sym], side=None, size=ZERO, unrealised_pnl=ZERO, updated_ms=now_ms)
            events += self.apply_position(flat, now_ms)
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

    def open_count(self, symbol: str | None = None) -> int:
        """Working orders (on ``symbol`` or everywhere)."""
        if symbol is None:
            return len(self.orders)
        return sum(1 for o in self.orders.values() if o.symbol == symbol)

    def snapshot(self) -> AccountSnapshot:
        """A copy for the UI."""
        return AccountSnapshot(balance=self.balance, positions=dict(self.positions), orders=dict(self.orders))
