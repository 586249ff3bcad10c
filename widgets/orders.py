"""Open-orders pane: keyed, diffed DataTable rows (type, side, price, qty, filled, status,
reduce-only, age). The row key is the order's ``orderLinkId``.

Every profile, down to 80 columns, shows the order's status: ``Sending`` until the venue
acknowledges it, then ``New``, ``Part`` (partly filled), ``Untrig``/``Trig`` for stops. With
several venues at once (``BTCUSDT.HL``) every profile gains a venue column (``BYB``, ``HL``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from core.model import Instrument, Order, OrderStatus, Side
from core.venue_symbols import bare_symbol, on_second_venue, venue_label
from widgets.fmt import fmt_age, fmt_dec, short_symbol
from widgets.table_diff import Cell, Column, DiffTable

R = "right"


VENUE_COLUMN = Column("venue", "Ven", 4)
"""The venue of a row (``BYB``, ``HL``), shown when several venues trade at once."""


def _with_venue(profiles: Sequence[Sequence[Column]]) -> tuple[tuple[Column, ...], ...]:
    """``profiles`` with the venue column after the symbol (which then shows the venue's own)."""
    out = []
    for profile in profiles:
        cols: list[Column] = []
        for col in profile:
            cols.append(col._replace(key="asset") if col.key == "symbol" else col)
            if col.key in ("symbol", "sym"):
                cols.append(VENUE_COLUMN)
        out.append(tuple(cols))
    return tuple(out)


STATUS_LABELS: dict[OrderStatus, tuple[str, str]] = {
    OrderStatus.CREATED: ("Sending", "Sending"),
    OrderStatus.NEW: ("New", "New"),
    OrderStatus.PARTIALLY_FILLED: ("Part-filled", "Part"),
    OrderStatus.UNTRIGGERED: ("Untriggered", "Untrig"),
    OrderStatus.TRIGGERED: ("Triggered", "Trig"),
}
"""Status as shown (full, compact); closed statuses never reach the pane."""


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


def short_type_label(o: Order) -> str:
    """Compact type: ``Lmt``, ``Mkt``, ``StpL``, ``StpM`` plus ``PO``/``IOC``/``FOK`` and ``RO``."""
    market = o.order_type.value == "Market"
    label = ("StpM" if market else "StpL") if o.trigger_price is not None else ("Mkt" if market else "Lmt")
    tif = o.time_in_force.value
    flags = ["PO"] if tif == "PostOnly" else ([tif] if tif in ("IOC", "FOK") else [])
    if o.reduce_only:
        flags.append("RO")
    return " ".join([label, *flags])


def order_cells(o: Order, inst: Instrument | None, now_ms: int) -> dict[str, Cell]:
    """The row for one order, by column key (every profile picks its columns from it)."""
    pp = inst.price_decimals if inst else 2
    qp = inst.qty_decimals if inst else 3
    price = o.price if o.trigger_price is None else o.trigger_price
    side_cls = "ord--buy" if o.side is Side.BUY else "ord--sell"
    age_ms = now_ms - o.created_ms if o.created_ms else 0
    status, status_short = STATUS_LABELS.get(o.status, (o.status.value, o.status.value))
    return {
        "symbol": (o.symbol, ""),
        "sym": (short_symbol(bare_symbol(o.symbol)), ""),
        "asset": (bare_symbol(o.symbol), ""),
        "venue": (venue_label(o.symbol), "ord--status"),
        "type": (order_type_label(o), ""),
        "stype": (short_type_label(o), ""),
        "side": (o.side.value, side_cls),
        "price": (fmt_dec(price, pp) if price is not None else "MKT", ""),
        "qty": (fmt_dec(o.qty, qp), ""),
        "filled": (fmt_dec(o.filled_qty, qp), ""),
        "status": (status, "ord--status"),
        "sstatus": (status_short, "ord--status"),
        "ro": ("RO" if o.reduce_only else "", ""),
        "age": (fmt_age(age_ms), ""),
    }


class OrdersTable(DiffTable):
    """Working orders; select a row (Tab to focus the table, ↑/↓), then amend (``a``) or cancel (``c``)."""

    PROFILES: ClassVar = (
        (
            Column("symbol", "Symbol", 9),
            Column("type", "Type", 11),
            Column("side", "Side", 5),
            Column("price", "Price", 11, R),
            Column("qty", "Qty", 9, R),
            Column("filled", "Filled", 9, R),
            Column("status", "Status", 14),
            Column("ro", "RO", 3),
            Column("age", "Age", 6, R),
        ),
        (
            Column("sym", "Sym", 5),
            Column("stype", "Type", 10),
            Column("side", "Side", 5),
            Column("price", "Price", 10, R),
            Column("qty", "Qty", 8, R),
            Column("sstatus", "Status", 8),
            Column("age", "Age", 5, R),
        ),
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
    MULTI_PROFILES: ClassVar = _with_venue(PROFILES)
    """The profiles with a venue column, used once an order lives on a second venue."""
    venues_shown: bool = False
    """True once a row from a second venue was shown: the venue column stays from then on."""

    def pick_profile(self, width: int) -> Sequence[Column]:
        """The profile for ``width`` (its venue-column twin once several venues are shown)."""
        base = super().pick_profile(width)
        return self.MULTI_PROFILES[self.PROFILES.index(base)] if self.venues_shown else base

    def update_orders(
        self, orders: Mapping[str, Order], now_ms: int, instruments: Mapping[str, Instrument] | None = None
    ) -> int:
        """Show the open ``orders``; returns the number of table operations."""
        instruments = instruments or {}
        open_orders = (o for o in orders.values() if o.is_open)
        ordered = sorted(open_orders, key=lambda o: (o.created_ms, o.order_link_id))
        rows = {o.order_link_id: order_cells(o, instruments.get(o.symbol), now_ms) for o in ordered}
        if any(on_second_venue(o.symbol) for o in orders.values()) and not self.venues_shown:
            self.venues_shown = True
            self._use_profile(self.pick_profile(self.size.width))
        return self.apply_rows(rows)
