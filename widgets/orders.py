"""Open-orders pane: keyed, diffed DataTable rows (type, side, price, qty, filled, status,
reduce-only, age). The row key is the order's ``orderLinkId``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from core.model import Instrument, Order, Side
from widgets.fmt import fmt_age, fmt_dec
from widgets.table_diff import Cell, DiffTable


def order_type_label(o: Order) -> str:
    """Market / Limit, with a ``Stop`` prefix for conditional orders and ``PO``/``IOC`` flags."""
    label = o.order_type.value
    if o.trigger_price is not None:
        label = "Stop" + ("Mkt" if label == "Market" else "Lmt")
    tif = o.time_in_force.value
    if tif == "PostOnly":
        label += " PO"
    elif tif in ("IOC", "FOK"):
        label += f" {tif}"
    return label


def order_cells(o: Order, inst: Instrument | None, now_ms: int) -> tuple[Cell, ...]:
    """The row for one order."""
    pp = inst.price_decimals if inst else 2
    qp = inst.qty_decimals if inst else 3
    price = o.price if o.trigger_price is None else o.trigger_price
    side_cls = "ord--buy" if o.side is Side.BUY else "ord--sell"
    age_ms = now_ms - o.created_ms if o.created_ms else 0
    return (
        (o.symbol, ""),
        (order_type_label(o), ""),
        (o.side.value, side_cls),
        (fmt_dec(price, pp) if price is not None else "MKT", ""),
        (fmt_dec(o.qty, qp), ""),
        (fmt_dec(o.filled_qty, qp), ""),
        (o.status.value, "ord--status"),
        ("RO" if o.reduce_only else "", ""),
        (fmt_age(age_ms), ""),
    )


class OrdersTable(DiffTable):
    """Working orders; select a row, then amend (``a``) or cancel (``c``)."""

    COLUMNS: ClassVar = (
        ("symbol", "Symbol", 9),
        ("type", "Type", 10),
        ("side", "Side", 4),
        ("price", "Price", 10),
        ("qty", "Qty", 8),
        ("filled", "Filled", 8),
        ("status", "Status", 11),
        ("ro", "RO", 2),
        ("age", "Age", 5),
    )
    COMPONENT_CLASSES: ClassVar[set[str]] = DiffTable.COMPONENT_CLASSES | {
        "ord--buy",
        "ord--sell",
        "ord--status",
    }
    DEFAULT_CSS = """
    OrdersTable > .ord--buy { color: $bid; text-style: bold; }
    OrdersTable > .ord--sell { color: $ask; text-style: bold; }
    OrdersTable > .ord--status { color: $fg-muted; }
    """

    def update_orders(
        self, orders: Mapping[str, Order], now_ms: int, instruments: Mapping[str, Instrument] | None = None
    ) -> int:
        """Show the open ``orders``; returns the number of table operations."""
        instruments = instruments or {}
        open_orders = (o for o in orders.values() if o.is_open)
        ordered = sorted(open_orders, key=lambda o: (o.created_ms, o.order_link_id))
        rows = {o.order_link_id: order_cells(o, instruments.get(o.symbol), now_ms) for o in ordered}
        return self.apply_rows(rows)
