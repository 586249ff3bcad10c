"""The order ticket: market, limit, stop (trigger), TP/SL, reduce-only, post-only; size in contracts,
in quote (USDT), or by the amount risked at the stop-loss (USDT or % of equity). A live preview
shows the order exactly as it will be sent and follows the market while the ticket is open; Enter
sends from every field, Escape cancels, and invalid input says what is wrong in place. The ticket
never talks to the engine itself: it gets a ``preview`` function and answers the
:class:`~core.model.OrderRequest` to send (or None).

Keys typed in a burst reach the field they were typed for because the app delivers keys one at
a time (:mod:`console.keygate`); the ticket's part is to be focused the moment it is pushed
(``Screen.set_focus``, not the deferred ``Widget.focus``) and to select a field's value when it
is entered, so typing replaces it.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Checkbox, Input, Label, Static

from console.screens.backdrop import DimmedModal
from console.screens.text_update import set_text
from console.screens.ticket_form import (
    KINDS,
    UNITS,
    TicketError,
    TicketFields,
    TicketMarket,
    TicketOrder,
    build_request,
)
from console.screens.ticket_preview import preview_notes, preview_text
from core.api import RiskPreview
from core.model import Instrument, OrderRequest, Side
from core.risk.sizing import DEFAULT_TAKER_FEE
from widgets.choice import Choice
from widgets.fmt import fmt_dec

PreviewFn = Callable[[OrderRequest], RiskPreview]

COMPACT_BELOW_ROWS = 40
"""Terminals shorter than this get the compact preview (passing checks counted, not listed)."""


class FlagBox(Checkbox, inherit_bindings=False):
    """A ticket flag: Space toggles it; Enter is left to the ticket (it sends).

    Its state is drawn in text, ``[x]`` ticked and ``[ ]`` not (the stock box draws the same
    character both ways and only colour tells them apart: unreadable on a monochrome terminal,
    with ``NO_COLOR`` or in a plain-text capture).
    """

    DEFAULT_CSS = """
    FlagBox > .toggle--button { color: $text-muted; }
    FlagBox.-on > .toggle--button { color: $text-success; text-style: bold; }
    """
    BINDINGS: ClassVar = [Binding("space", "toggle_button", "Toggle", show=False)]
    TICKED = "[x]"
    UNTICKED = "[ ]"

    @property
    def _button(self) -> Content:
        """The box with its state in text, keeping the theme's button style."""
        box = self.TICKED if self.value else self.UNTICKED
        return Content.styled(box, self.get_visual_style("toggle--button"))


class OrderTicket(DimmedModal[OrderRequest | None]):
    """Order entry for one symbol with a live risk preview."""

    BINDINGS: ClassVar = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+t", "flip_side", "Buy/Sell"),
        Binding("enter", "send", "Send", show=False),
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
        equity: Decimal | None = None,
    ) -> None:
        super().__init__()
        self.symbol = symbol
        self.side = side
        self._preview_fn = preview
        self.instrument = instrument
        self.ref_price = ref_price
        self.initial_price = price
        self.initial_qty = qty
        self.equity = equity
        self.taker_fee = DEFAULT_TAKER_FEE
        """The account's taker rate for the symbol (risk sizing prices fees in and out at it)."""
        self.best_bid: Decimal | None = None
        self.best_ask: Decimal | None = None
        self.order: TicketOrder | None = None
        self.preview: RiskPreview | None = None
        self.error = ""
        self._not_sent = ""
        """Why the last Enter sent nothing; kept until a field changes (market ticks keep it)."""
        self._styled_for: tuple[object, ...] | None = None
        # Fields are created here so updates hold stable references (no DOM queries per market
        # tick, and no lookup failures while the app tears the screen down).
        self.w_title = Label(self._title(), id="ticket-title", classes="modal-title")
        self.w_kind = Choice(KINDS, "limit", id="t-kind")
        self.w_qty = Input(qty, placeholder="size", id="t-qty", compact=True)
        self.w_unit = Choice(UNITS, "contracts", id="t-unit")
        self.w_price = Input(self._price_text(), placeholder="limit price", id="t-price", compact=True)
        self.w_trigger = Input("", placeholder="stop trigger", id="t-trigger", disabled=True, compact=True)
        self.w_tp = Input("", placeholder="take profit", id="t-tp", compact=True)
        self.w_sl = Input("", placeholder="stop loss", id="t-sl", compact=True)
        self.w_ro = FlagBox("reduce-only", id="t-ro", compact=True)
        self.w_po = FlagBox("post-only", id="t-po", compact=True)
        self.w_preview = Static("", id="ticket-preview", markup=False)
        self.w_notes = Static("", id="ticket-notes", markup=False)
        self.w_error = Static("", id="ticket-error", markup=False)

    @property
    def request(self) -> OrderRequest | None:
        """The request the fields describe right now (None while they are invalid)."""
        return self.order.request if self.order is not None else None

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
        """Fields on the left, preview on the right, notes and errors full width below."""
        with Vertical(classes="modal-box ticket-box"):
            yield self.w_title
            with Horizontal(id="ticket-body"):
                with Grid(id="ticket-fields"):
                    for label, widget in (
                        ("type", self.w_kind),
                        ("qty", self.w_qty),
                        ("unit", self.w_unit),
                        ("price", self.w_price),
                        ("trigger", self.w_trigger),
                        ("TP", self.w_tp),
                        ("SL", self.w_sl),
                    ):
                        yield Label(label)
                        yield widget
                    yield Label("flags")
                    with Horizontal(id="t-flags"):
                        yield self.w_ro
                        yield self.w_po
                yield self.w_preview
            yield self.w_notes
            yield self.w_error
            yield Static("Enter sends · Esc cancels · Tab next · Space flag · ^t side", classes="modal-hint")

    @property
    def _inputs(self) -> tuple[Input, ...]:
        return (self.w_qty, self.w_price, self.w_trigger, self.w_tp, self.w_sl)

    @property
    def _places(self) -> int:
        return self.instrument.price_decimals if self.instrument else 2

    def _price_text(self) -> str:
        return f"{self.initial_price:.{self._places}f}" if self.initial_price is not None else ""

    def _title(self) -> str:
        ref = f"  ref {fmt_dec(self.ref_price, self._places)}" if self.ref_price is not None else ""
        book = ""
        if self.best_bid is not None and self.best_ask is not None:
            pd = self._places
            book = f"  bid {fmt_dec(self.best_bid, pd)} / ask {fmt_dec(self.best_ask, pd)}"
        return f"{self.side.value.upper()} {self.symbol}{ref}{book}"

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
        equity: Decimal | None = None,
        best_bid: Decimal | None = None,
        best_ask: Decimal | None = None,
    ) -> None:
        """Re-target a reused ticket (the app keeps one installed: reopening costs ~20 ms, not ~100)."""
        self.symbol, self.side, self.instrument = symbol, side, instrument
        self.ref_price, self.initial_price, self.initial_qty = ref_price, price, qty
        self.equity, self.best_bid, self.best_ask = equity, best_bid, best_ask
        self._not_sent = ""
        if self.is_mounted:
            self.reset_fields()

    def reset_fields(self) -> None:
        """Every field back to its initial value, focus on qty (at once), fresh preview."""
        for choice in (self.w_kind, self.w_unit):
            choice.set_reactive(Choice.index, 0)
            choice.refresh()
        values = (self.initial_qty, self._price_text(), "", "", "")
        for field, value in zip(self._inputs, values, strict=True):
            field.value = value
        self.w_ro.value = self.w_po.value = False
        set_text(self.w_title, self._title())
        self.set_class(self.side is Side.BUY, "-buy")
        self.set_class(self.side is Side.SELL, "-sell")
        self._enable_fields()
        # Synchronous: the key after the one that opened the ticket is routed to this field.
        self.set_focus(self.w_qty)
        self.recompute()

    # --- live market ------------------------------------------------------------------------
    def market_update(
        self,
        ref_price: Decimal | None,
        best_bid: Decimal | None,
        best_ask: Decimal | None,
        equity: Decimal | None = None,
    ) -> bool:
        """The latest market (called by the app's refresh timer while the ticket is open).

        Recomputes the preview when anything it depends on moved; never touches a field.
        Returns True when it recomputed.
        """
        new = (ref_price, best_bid, best_ask, equity)
        if new == (self.ref_price, self.best_bid, self.best_ask, self.equity):
            return False
        self.ref_price, self.best_bid, self.best_ask, self.equity = new
        set_text(self.w_title, self._title())
        self.recompute()
        return True

    # --- live preview -----------------------------------------------------------------------
    def _fields(self) -> TicketOrder:
        fields = TicketFields(
            kind=self.w_kind.value,
            qty=self.w_qty.value,
            unit=self.w_unit.value,
            price=self.w_price.value,
            trigger=self.w_trigger.value,
            tp=self.w_tp.value,
            sl=self.w_sl.value,
            reduce_only=self.w_ro.value,
            post_only=self.w_po.value,
        )
        market = TicketMarket(self.instrument, self.ref_price, self.equity, self.taker_fee)
        return build_request(self.symbol, self.side, fields, market)

    def _enable_fields(self) -> None:
        kind = self.w_kind.value
        self.w_price.disabled = kind not in ("limit", "stop_limit")
        self.w_trigger.disabled = kind not in ("stop_limit", "stop_market")

    def recompute(self) -> None:
        """Re-validate the fields and refresh the preview."""
        self._enable_fields()
        err_w, prev_w = self.w_error, self.w_preview
        try:
            self.order = self._fields()
        except TicketError as exc:
            self.order = None
            self.preview = None
            self.error = str(exc)
            set_text(err_w, f"✖ {exc}")
            set_text(prev_w, "risk preview: fix the input")
            self._show_notes([])
            prev_w.set_class(False, "-ok")
            prev_w.set_class(True, "-blocked")
            return
        self.preview = self._preview_fn(self.order.request)
        self.error = ""
        set_text(err_w, self._not_sent or self.order.sizing)
        compact = self.app.size.height < COMPACT_BELOW_ROWS
        qd = self.instrument.qty_decimals if self.instrument else 3
        text = preview_text(self.preview, self._places, compact=compact, qty_places=qd, notes=False)
        set_text(prev_w, text)
        self._show_notes(preview_notes(self.preview))
        prev_w.set_class(self.preview.allowed, "-ok")
        prev_w.set_class(not self.preview.allowed, "-blocked")

    def _show_notes(self, lines: list[str]) -> None:
        set_text(self.w_notes, "\n".join(lines))
        self.w_notes.display = bool(lines)

    def on_input_changed(self, event: Input.Changed) -> None:
        """Every keystroke updates the preview."""
        event.stop()
        self._edited()

    def on_choice_changed(self, event: Choice.Changed) -> None:
        """Order type / unit changes update the preview."""
        event.stop()
        self._edited()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        """Flags update the preview."""
        event.stop()
        self._edited()

    def _edited(self) -> None:
        self._not_sent = ""
        self.recompute()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in a text field: send when valid and allowed; otherwise say why, in place."""
        event.stop()
        self.action_send()

    def action_send(self) -> None:
        """Answer the request when it is valid and every check passes (Enter, from any field)."""
        self.recompute()
        err_w = self.w_error
        if self.order is None:
            set_text(err_w, f"✖ not sent — {self.error}")
            return
        if self.preview is not None and not self.preview.allowed:
            block = self.preview.blocking
            why = f"{block.check}: {block.reason}" if block else self.preview.build_error
            self._not_sent = f"✖ not sent — blocked by {why}"
            set_text(err_w, self._not_sent)
            return
        self.dismiss(self.order.request)

    def action_flip_side(self) -> None:
        """Switch between buy and sell."""
        self.side = self.side.opposite
        self.set_class(self.side is Side.BUY, "-buy")
        self.set_class(self.side is Side.SELL, "-sell")
        set_text(self.w_title, self._title())
        self.recompute()

    def action_cancel(self) -> None:
        """Close without sending."""
        self.dismiss(None)


__all__ = ["COMPACT_BELOW_ROWS", "OrderTicket", "PreviewFn", "TicketError", "build_request", "preview_text"]
