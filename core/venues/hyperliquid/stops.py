"""Position TP/SL on Hyperliquid: reduce-only market triggers sent with ``grouping="positionTpsl"``,
bound to the position (the venue resizes them with it and cancels them once it is closed).

Each carries a client id of its own form (``-tp…``/``-sl…``: the engine's ids never start with
``-``), so every listing and push tells it apart from the engine's orders: it is not an order
the engine placed but the position's TP or SL. :class:`PositionStops` keeps the latest of each per
coin (from ``frontendOpenOrders``, the adapter's own sends and the ``orderUpdates`` pushes) and
puts them on the positions the adapter reports (``Position.take_profit`` / ``stop_loss``).
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from core.model import Order, OrderStatus, Position, Side
from core.venues.hyperliquid import encode

MARK = "-"
"""The first character of a position stop's client id (never of an engine's)."""
TP, SL = "tp", "sl"
KINDS = (TP, SL)
_ENDED = frozenset({OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.DEACTIVATED})
_STAMP = "0123456789abcdefghijklmnopqrstuvwxyz"
_count = itertools.count()


def _base36(n: int) -> str:
    out = ""
    while True:
        n, d = divmod(n, len(_STAMP))
        out = _STAMP[d] + out
        if not n:
            return out


def stop_id(kind: str, now_ms: int) -> str:
    """A fresh client id for a position ``kind`` (``tp``/``sl``) stop."""
    return f"{MARK}{kind}{_base36(now_ms)}{_base36(next(_count) % 1296):0>2}"


def is_stop_id(client_order_id: str) -> bool:
    """True for a position stop's client id."""
    return client_order_id.startswith(MARK) and client_order_id[1:3] in KINDS


def kind_of(client_order_id: str) -> str:
    """``tp`` or ``sl`` of a position stop's client id."""
    return client_order_id[1:3]


def stop_wire(
    asset: int, sz_decimals: int, position: Position, kind: str, trigger: Decimal, link: str
) -> dict[str, Any]:
    """The order wire of one position stop: the whole ``position`` closed at market when the mark
    crosses ``trigger`` (NotEncodable when the price or the size is not valid there)."""
    closing = Side.SELL if position.side is Side.BUY else Side.BUY
    px = encode.checked_price(
        trigger, sz_decimals, closing, f"{'take-profit' if kind == TP else 'stop-loss'}"
    )
    return {
        "a": asset,
        "b": closing is Side.BUY,
        "p": px,
        "s": encode.checked_size(position.size, sz_decimals),
        "r": True,
        "t": {"trigger": {"isMarket": True, "triggerPx": px, "tpsl": kind}},
        "c": encode.cloid_of(link),
    }


class PositionStops:
    """The latest position TP and SL per symbol, as ``(client id, oid, trigger price)``. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_symbol: dict[str, dict[str, tuple[str, str, Decimal]]] = {}

    def adopt(self, orders: Iterable[Order]) -> None:
        """Every open position stop from a whole listing (the ones not in it are gone)."""
        found: dict[str, dict[str, tuple[str, str, Decimal]]] = {}
        for o in orders:
            if is_stop_id(o.order_link_id) and o.trigger_price is not None:
                found.setdefault(o.symbol, {})[kind_of(o.order_link_id)] = (
                    o.order_link_id,
                    o.order_id,
                    o.trigger_price,
                )
        with self._lock:
            self._by_symbol = found

    def placed(self, symbol: str, link: str, oid: str, trigger: Decimal) -> None:
        """A stop this adapter just placed (it replaces the one of its kind)."""
        with self._lock:
            self._by_symbol.setdefault(symbol, {})[kind_of(link)] = (link, oid, trigger)

    def removed(self, symbol: str, kind: str) -> None:
        """The position's ``kind`` stop is gone (cancelled by this adapter)."""
        with self._lock:
            self._by_symbol.get(symbol, {}).pop(kind, None)

    def pushed(self, order: Order) -> None:
        """A stop's ``orderUpdates`` push: an ended one is forgotten, an open one kept."""
        kind = kind_of(order.order_link_id)
        with self._lock:
            mine = self._by_symbol.setdefault(order.symbol, {})
            if order.status in _ENDED:
                if kind in mine and mine[kind][0] == order.order_link_id:
                    del mine[kind]
            elif order.trigger_price is not None or kind not in mine:
                mine[kind] = (order.order_link_id, order.order_id, order.trigger_price or Decimal(0))

    def of(self, symbol: str) -> dict[str, tuple[str, str, Decimal]]:
        """The symbol's stops by kind."""
        with self._lock:
            return dict(self._by_symbol.get(symbol, {}))

    def attach(self, positions: Iterable[Position]) -> list[Position]:
        """``positions`` with their TP and SL trigger prices."""
        out: list[Position] = []
        for p in positions:
            mine = self.of(p.symbol)
            tp, sl = mine.get(TP), mine.get(SL)
            out.append(
                dataclasses.replace(
                    p,
                    take_profit=tp[2] if tp and tp[2] else None,
                    stop_loss=sl[2] if sl and sl[2] else None,
                )
            )
        return out


__all__ = ["KINDS", "SL", "TP", "PositionStops", "is_stop_id", "kind_of", "stop_id", "stop_wire"]
