"""The amend box: the fields the selected order's type has, prefilled and selected.

A limit order offers price and qty; a stop-limit its trigger, price and qty; a stop-market its
trigger and qty (its ``price`` is the venue's hidden slippage protection and is never shown).
Every number goes through :mod:`core.orders.numparse`; a field left as it was (or blank) is
unchanged; a value off the tick or step says, before Enter, what will be sent instead. Enter sends
from any field, Escape cancels, Tab moves between fields; the focused field's value is selected, so
typing replaces it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from console.screens.backdrop import DimmedModal
from core.api import RiskPreview
from core.model import RISING, Instrument, Order, OrderRequest, OrderType
from core.orders.numparse import NumberError, parse_optional_positive
from core.orders.tick_rules import limit_rounding, rounding_note, snap, trigger_rounding
from widgets.fmt import fmt_dec

PreviewFn = Callable[[OrderRequest], RiskPreview]

HINT = "Enter sends · Esc cancels · Tab next field · blank = unchanged"


@dataclass(frozen=True, slots=True)
class AmendRequest:
    """What changes; None leaves a field as it is."""

    qty: Decimal | None = None
    price: Decimal | None = None
    trigger_price: Decimal | None = None


def order_kind(order: Order) -> str:
    """``limit``, ``market``, ``stop-limit`` or ``stop-market``."""
    base = "limit" if order.order_type is OrderType.LIMIT else "market"
    return f"stop-{base}" if order.is_conditional else base


def amend_fields(order: Order) -> list[tuple[str, str]]:
    """``(field id, label)`` for the fields this order's type has, in focus order."""
    fields = []
    if order.is_conditional:
        fields.append(("trigger", "Trigger"))
    if order.order_type is OrderType.LIMIT:
        fields.append(("price", "Price"))
    fields.append(("qty", "Qty"))
    return fields


class AmendScreen(DimmedModal[AmendRequest | None]):
    """New trigger, price and/or quantity for one working order."""

    BINDINGS: ClassVar = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, order: Order, instrument: Instrument | None = None, preview: PreviewFn | None = None
    ) -> None:
        super().__init__()
        self.order = order
        self.instrument = instrument
        self.preview = preview
        """The engine's order preview: the amended order's notional and loss at its stop."""
        self.error = ""

    def _fmt_price(self, value: Decimal | None) -> str:
        if value is None:
            return ""
        return f"{value:.{self.instrument.price_decimals}f}" if self.instrument else str(value)

    def _fmt_qty(self, value: Decimal) -> str:
        return f"{value:.{self.instrument.qty_decimals}f}" if self.instrument else str(value)

    def current(self, field: str) -> str:
        """The order's value of ``field`` as the box shows it."""
        o = self.order
        if field == "trigger":
            return self._fmt_price(o.trigger_price)
        if field == "price":
            return self._fmt_price(o.price)
        return self._fmt_qty(o.qty)

    def heading(self) -> str:
        """``Amend BTCUSDT Sell stop-market 0.010 when <= 94000.0``."""
        o = self.order
        text = f"Amend {o.symbol} {o.side.value} {order_kind(o)} {self._fmt_qty(o.qty)}"
        if o.order_type is OrderType.LIMIT:
            text += f" @ {self._fmt_price(o.price)}"
        if o.is_conditional:
            arrow = ">=" if o.trigger_direction == RISING else "<="
            text += f" when {arrow} {self._fmt_price(o.trigger_price)}"
        if o.filled_qty:
            text += f" (filled {self._fmt_qty(o.filled_qty)})"
        return text

    def compose(self) -> ComposeResult:
        """Order summary and one input per field the order type has."""
        with Vertical(classes="modal-box"):
            yield Label(self.heading(), id="amend-title", classes="modal-title", markup=False)
            for field, label in amend_fields(self.order):
                yield Label(label)
                yield Input(self.current(field), id=f"amend-{field}", select_on_focus=True)
            yield Static(self.risk_text(AmendRequest()), id="amend-risk", markup=False)
            yield Static(HINT, id="amend-error", classes="modal-hint", markup=False)

    def request(self) -> AmendRequest:
        """The fields that change, parsed strictly; raises NumberError naming the field."""
        values: dict[str, Decimal | None] = {}
        for field, label in amend_fields(self.order):
            raw = self.query_one(f"#amend-{field}", Input).value
            value = parse_optional_positive(raw, label.lower())
            values[field] = None if value is None or raw.strip() == self.current(field) else value
        return AmendRequest(values.get("qty"), values.get("price"), values.get("trigger"))

    def rounding(self, req: AmendRequest) -> list[str]:
        """One line per typed value the engine will round to the tick or step (what is sent)."""
        inst, o = self.instrument, self.order
        if inst is None:
            return []
        notes = []
        if req.trigger_price is not None and o.trigger_direction is not None:
            sent = snap(req.trigger_price, inst.tick_size, trigger_rounding(o.trigger_direction))
            notes.append(rounding_note("trigger", req.trigger_price, sent, inst.tick_size, "tick"))
        if req.price is not None:
            sent = snap(req.price, inst.tick_size, limit_rounding(o.side))
            notes.append(rounding_note("price", req.price, sent, inst.tick_size, "tick"))
        if req.qty is not None:
            sent = snap(req.qty, inst.qty_step, ROUND_FLOOR)
            notes.append(rounding_note("qty", req.qty, sent, inst.qty_step, "step"))
        return [f"sends {n}" for n in notes if n]

    def amended(self, req: AmendRequest) -> OrderRequest:
        """The order's unfilled rest as it will stand after ``req`` (to preview, never to send)."""
        o = self.order
        return OrderRequest(
            symbol=o.symbol,
            side=o.side,
            qty=(req.qty if req.qty is not None else o.qty) - o.filled_qty,
            order_type=o.order_type,
            price=req.price if req.price is not None else o.price,
            time_in_force=o.time_in_force,
            reduce_only=o.reduce_only,
            take_profit=o.take_profit,
            stop_loss=o.stop_loss,
            trigger_price=req.trigger_price if req.trigger_price is not None else o.trigger_price,
            trigger_direction=o.trigger_direction,
        )

    def refusal(self, req: AmendRequest) -> str:
        """Why the amended order would be refused (the engine's builder or risk chain, the same
        checks the amend runs before it is sent), or "" when it would go out."""
        if self.preview is None:
            return ""
        request = self.amended(req)
        if request.qty <= 0:
            return "qty: not more than the filled part — nothing would remain"
        p = self.preview(request)
        if p.build_error:
            return p.build_error
        block = p.blocking
        return f"{block.check}: {block.reason}" if block is not None else ""

    def risk_text(self, req: AmendRequest) -> str:
        """The amended order's notional and, when it carries a stop, the loss there — from the
        ticket's preview (after rounding, the stop covering what it will really close) — and the
        risk chain's verdict on it."""
        if self.preview is None:
            return ""
        request = self.amended(req)
        if request.qty <= 0 or (p := self.preview(request)).build_error:
            return f"✖ {self.refusal(req)}"
        qd = self.instrument.qty_decimals if self.instrument is not None else 3
        lines = [f"notional   {fmt_dec(p.notional, 2)} USDT for {fmt_dec(p.qty, qd, sep=False)}"]
        if p.loss_at_stop is not None:
            on = f" on {fmt_dec(p.stop_qty, qd, sep=False)}" if p.stop_qty is not None else ""
            lines.append(f"loss@stop  {fmt_dec(p.loss_at_stop, 2)} USDT{on} (fees incl.)")
        lines += [f"! {n}" for n in p.notes]
        failed = [f"✖ {c.check}: {c.reason}" for c in p.checks if not c.passed]
        lines += failed or [f"✔ {len(p.checks)} of {len(p.checks)} checks pass"]
        return "\n".join(lines)

    def _show(self, text: str, notes: list[str] | None = None) -> None:
        self.error = text
        lines = [*(notes or []), text or HINT]
        self.query_one("#amend-error", Static).update("\n".join(lines))

    def on_input_changed(self, event: Input.Changed) -> None:
        """Say at once when a field is not a number (and what to type)."""
        event.stop()
        try:
            req = self.request()
        except NumberError as exc:
            self._show(f"✖ {exc}")
            self.query_one("#amend-risk", Static).update("")
            return
        self.query_one("#amend-risk", Static).update(self.risk_text(req))
        self._show("", self.rounding(req))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter from any field: send what changed, or say why not."""
        event.stop()
        try:
            req = self.request()
        except NumberError as exc:
            self._show(f"✖ not sent — {exc}")
            return
        if req == AmendRequest():
            self._show("✖ nothing changed — type a new value (Esc cancels)")
            return
        refused = self.refusal(req)
        if refused:
            self._show(f"✖ not sent — {refused}")
            return
        self.dismiss(req)

    def action_cancel(self) -> None:
        """Close without amending."""
        self.dismiss(None)
