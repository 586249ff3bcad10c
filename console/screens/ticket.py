"""The order ticket: market, limit, stop (trigger), TP/SL, reduce-only, post-only, qty in contracts
or in quote (USDT). A live risk preview updates as the user types; Enter sends, Escape cancels, and
invalid input says what is wrong in place. The ticket never talks to the engine itself: it gets a
``preview`` function and answers the :class:`~core.model.OrderRequest` to send (or None)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, Static

from core.api import RiskPreview
from core.model import FALLING, RISING, Instrument, OrderRequest, OrderType, Side, TimeInForce
from widgets.choice import Choice
from widgets.fmt import fmt_dec

PreviewFn = Callable[[OrderRequest], RiskPreview]

KINDS = [
    ("Limit", "limit"),
    ("Market", "market"),
    ("Stop limit", "stop_limit"),
    ("Stop market", "stop_market"),
]
UNITS = [("contracts", "contracts"), ("USDT", "quote")]
COMPACT_BELOW_ROWS = 40
"""Terminals shorter than this get the compact preview (passing checks counted, not listed)."""


class TicketError(ValueError):
    """Invalid ticket input; the message names the field and what is wrong."""


def _dec(raw: str, field: str, *, required: bool) -> Decimal | None:
    raw = raw.strip().replace(",", "")
    if not raw:
        if required:
            raise TicketError(f"{field}: required")
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise TicketError(f"{field}: {raw!r} is not a number") from None
    if not value.is_finite():
        raise TicketError(f"{field}: must be a finite number")
    if value <= 0:
        raise TicketError(f"{field}: must be greater than 0")
    return value


def build_request(
    *,
    symbol: str,
    side: Side,
    kind: str,
    qty_raw: str,
    unit: str,
    price_raw: str,
    trigger_raw: str,
    tp_raw: str,
    sl_raw: str,
    reduce_only: bool,
    post_only: bool,
    instrument: Instrument | None,
    ref_price: Decimal | None,
) -> OrderRequest:
    """Turn the ticket's fields into an :class:`OrderRequest`; raises :class:`TicketError`."""
    is_limit = kind in ("limit", "stop_limit")
    is_stop = kind in ("stop_limit", "stop_market")
    qty = _dec(qty_raw, "qty", required=True)
    price = _dec(price_raw, "price", required=True) if is_limit else None
    trigger = _dec(trigger_raw, "trigger", required=True) if is_stop else None
    tp = _dec(tp_raw, "take profit", required=False)
    sl = _dec(sl_raw, "stop loss", required=False)
    if post_only and not is_limit:
        raise TicketError("post-only: only for limit orders")
    assert qty is not None
    if unit == "quote":
        basis = price or trigger or ref_price
        if basis is None:
            raise TicketError("qty: no price to convert USDT into contracts yet")
        qty = qty / basis
        if instrument is not None:
            qty = qty.quantize(instrument.qty_step, rounding=ROUND_DOWN)
            if qty <= 0:
                raise TicketError(f"qty: rounds to 0 contracts at step {instrument.qty_step}")
    direction: int | None = None
    if trigger is not None:
        ref = ref_price if ref_price is not None else trigger
        direction = RISING if trigger > ref else FALLING
    return OrderRequest(
        symbol=symbol,
        side=side,
        qty=qty,
        order_type=OrderType.LIMIT if is_limit else OrderType.MARKET,
        price=price,
        time_in_force=TimeInForce.POST_ONLY if post_only else TimeInForce.GTC,
        reduce_only=reduce_only,
        take_profit=tp,
        stop_loss=sl,
        trigger_price=trigger,
        trigger_direction=direction,
    )


def preview_text(p: RiskPreview, places: int = 2, *, compact: bool = False) -> str:
    """The preview block: figures, then one line per risk check (``compact``: passing checks
    are counted on one line and only the failing ones are listed)."""
    lines = [
        f"notional   {fmt_dec(p.notional, 2)} USDT",
        f"init marg  {fmt_dec(p.initial_margin, 2)} USDT",
        f"est. fee   {fmt_dec(p.est_fee, 4)} USDT",
        f"liq price  {fmt_dec(p.liq_price, places)}",
        f"loss@stop  {fmt_dec(p.loss_at_stop, 2) if p.loss_at_stop is not None else '— (no stop)'}",
    ]
    if p.build_error:
        lines.append(f"✖ build: {p.build_error}")
    passed = [c for c in p.checks if c.passed]
    if compact and passed:
        lines.append(f"✔ {len(passed)} of {len(p.checks)} checks pass")
    for c in p.checks:
        if not c.passed:
            lines.append(f"✖ {c.check}: {c.reason}")
        elif not compact:
            lines.append(f"✔ {c.check}")
    lines.append("READY — Enter sends" if p.allowed else "BLOCKED — will not send")
    return "\n".join(lines)


class OrderTicket(ModalScreen[OrderRequest | None]):
    """Order entry for one symbol with a live risk preview."""

    BINDINGS: ClassVar = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+t", "flip_side", "Buy/Sell"),
    ]

    def __init__(
        self,
        symbol: str,
        side: Side,
        preview: PreviewFn,
        *,
        instrument: Instrument | None = None,
        ref_price: Decimal | None = None,
        price: Decimal | None = None,
        qty: str = "",
    ) -> None:
        super().__init__()
        self.symbol = symbol
        self.side = side
        self._preview_fn = preview
        self.instrument = instrument
        self.ref_price = ref_price
        self.initial_price = price
        self.initial_qty = qty
        self.request: OrderRequest | None = None
        self.preview: RiskPreview | None = None
        self.error = ""
        self._styled_for: tuple[object, ...] | None = None

    def post_message(self, message: Message) -> bool:
        """Skip the full restyle on reopen when nothing it depends on changed.

        Every push resumes a screen with ``refresh_styles=True``: all ~27 nodes of the ticket are
        restyled (about 8 ms, a third of the key→ticket time). The ticket is reused, so its styles
        only go stale when the theme, the app's breakpoint classes or the terminal size changed
        since they were computed; class changes on the ticket itself (buy/sell) restyle at once.
        """
        if isinstance(message, events.ScreenResume) and message.refresh_styles:
            key = (self.app.theme, frozenset(self.app.classes), self.app.size)
            if key == self._styled_for:
                message.refresh_styles = False
            self._styled_for = key
        return super().post_message(message)

    def compose(self) -> ComposeResult:
        """Fields on the left, preview on the right."""
        places = self.instrument.price_decimals if self.instrument else 2
        price = f"{self.initial_price:.{places}f}" if self.initial_price is not None else ""
        with Vertical(classes="modal-box ticket-box"):
            yield Label(self._title(), id="ticket-title", classes="modal-title")
            with Horizontal(id="ticket-body"):
                with Grid(id="ticket-fields"):
                    yield Label("type")
                    yield Choice(KINDS, "limit", id="t-kind")
                    yield Label("qty")
                    yield Input(self.initial_qty, placeholder="size", id="t-qty", compact=True)
                    yield Label("unit")
                    yield Choice(UNITS, "contracts", id="t-unit")
                    yield Label("price")
                    yield Input(price, placeholder="limit price", id="t-price", compact=True)
                    yield Label("trigger")
                    yield Input("", placeholder="stop trigger", id="t-trigger", disabled=True, compact=True)
                    yield Label("TP")
                    yield Input("", placeholder="take profit", id="t-tp", compact=True)
                    yield Label("SL")
                    yield Input("", placeholder="stop loss", id="t-sl", compact=True)
                    yield Label("flags")
                    with Horizontal(id="t-flags"):
                        yield Checkbox("reduce-only", id="t-ro", compact=True)
                        yield Checkbox("post-only", id="t-po", compact=True)
                yield Static("", id="ticket-preview", markup=False)
            yield Static("", id="ticket-error", markup=False)
            yield Static("Enter sends · Esc cancels · ctrl+t flips side", classes="modal-hint")

    def _title(self) -> str:
        ref = f"  (ref {self.ref_price})" if self.ref_price is not None else ""
        return f"{self.side.value.upper()} {self.symbol}{ref}"

    def on_mount(self) -> None:
        """Focus the qty field and show the first preview."""
        self.reset_fields()

    def configure(
        self,
        symbol: str,
        side: Side,
        *,
        instrument: Instrument | None = None,
        ref_price: Decimal | None = None,
        price: Decimal | None = None,
        qty: str = "",
    ) -> None:
        """Re-target a reused ticket (the app keeps one installed: reopening costs ~20 ms, not ~100)."""
        self.symbol, self.side, self.instrument = symbol, side, instrument
        self.ref_price, self.initial_price, self.initial_qty = ref_price, price, qty
        if self.is_mounted:
            self.reset_fields()

    def reset_fields(self) -> None:
        """Every field back to its initial value, focus on qty, fresh preview."""
        places = self.instrument.price_decimals if self.instrument else 2
        price = f"{self.initial_price:.{places}f}" if self.initial_price is not None else ""
        self.query_one("#t-kind", Choice).set_reactive(Choice.index, 0)
        self.query_one("#t-unit", Choice).set_reactive(Choice.index, 0)
        for widget_id, value in (
            ("#t-qty", self.initial_qty),
            ("#t-price", price),
            ("#t-trigger", ""),
            ("#t-tp", ""),
            ("#t-sl", ""),
        ):
            self.query_one(widget_id, Input).value = value
        self.query_one("#t-ro", Checkbox).value = False
        self.query_one("#t-po", Checkbox).value = False
        for choice in self.query(Choice):
            choice.refresh()
        self.query_one("#ticket-title", Label).update(self._title())
        self.set_class(self.side is Side.BUY, "-buy")
        self.set_class(self.side is Side.SELL, "-sell")
        self.query_one("#t-qty", Input).focus()
        self.recompute()

    # --- live preview -----------------------------------------------------------------------
    def _fields(self) -> OrderRequest:
        kind = str(self.query_one("#t-kind", Choice).value)
        return build_request(
            symbol=self.symbol,
            side=self.side,
            kind=kind,
            qty_raw=self.query_one("#t-qty", Input).value,
            unit=str(self.query_one("#t-unit", Choice).value),
            price_raw=self.query_one("#t-price", Input).value,
            trigger_raw=self.query_one("#t-trigger", Input).value,
            tp_raw=self.query_one("#t-tp", Input).value,
            sl_raw=self.query_one("#t-sl", Input).value,
            reduce_only=self.query_one("#t-ro", Checkbox).value,
            post_only=self.query_one("#t-po", Checkbox).value,
            instrument=self.instrument,
            ref_price=self.ref_price,
        )

    def recompute(self) -> None:
        """Re-validate the fields and refresh the preview."""
        kind = str(self.query_one("#t-kind", Choice).value)
        self.query_one("#t-price", Input).disabled = kind not in ("limit", "stop_limit")
        self.query_one("#t-trigger", Input).disabled = kind not in ("stop_limit", "stop_market")
        err_w = self.query_one("#ticket-error", Static)
        prev_w = self.query_one("#ticket-preview", Static)
        try:
            self.request = self._fields()
        except TicketError as exc:
            self.request = None
            self.preview = None
            self.error = str(exc)
            err_w.update(f"✖ {exc}")
            prev_w.update("risk preview: fix the input")
            prev_w.set_class(False, "-ok")
            prev_w.set_class(True, "-blocked")
            return
        self.preview = self._preview_fn(self.request)
        self.error = ""
        err_w.update(f"qty {self.request.qty} contracts" if self.request else "")
        places = self.instrument.price_decimals if self.instrument else 2
        compact = self.app.size.height < COMPACT_BELOW_ROWS
        prev_w.update(preview_text(self.preview, places, compact=compact))
        prev_w.set_class(self.preview.allowed, "-ok")
        prev_w.set_class(not self.preview.allowed, "-blocked")

    def on_input_changed(self, event: Input.Changed) -> None:
        """Every keystroke updates the preview."""
        event.stop()
        self.recompute()

    def on_choice_changed(self, event: Choice.Changed) -> None:
        """Order type / unit changes update the preview."""
        event.stop()
        self.recompute()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        """Flags update the preview."""
        event.stop()
        self.recompute()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter: send when valid and allowed; otherwise say why, in place."""
        event.stop()
        self.action_send()

    def action_send(self) -> None:
        """Answer the request when it is valid and every check passes."""
        self.recompute()
        err_w = self.query_one("#ticket-error", Static)
        if self.request is None:
            err_w.update(f"✖ not sent — {self.error}")
            return
        if self.preview is not None and not self.preview.allowed:
            block = self.preview.blocking
            why = f"{block.check}: {block.reason}" if block else self.preview.build_error
            err_w.update(f"✖ not sent — blocked by {why}")
            return
        self.dismiss(self.request)

    def action_flip_side(self) -> None:
        """Switch between buy and sell."""
        self.side = self.side.opposite
        self.set_class(self.side is Side.BUY, "-buy")
        self.set_class(self.side is Side.SELL, "-sell")
        self.query_one("#ticket-title", Label).update(self._title())
        self.recompute()

    def action_cancel(self) -> None:
        """Close without sending."""
        self.dismiss(None)
