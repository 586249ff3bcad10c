"""The paired order ticket: one quantity of an asset bought on one venue and sold on the other.

The trader types the quantity; ``ctrl+t`` flips the direction (buy A / sell B or buy B / sell A),
``ctrl+l`` switches market and limit (a limit leg is priced at the touch it crosses: the buy at
its venue's best ask, the sell at its venue's best bid, shown in the preview). The preview is the
engine's own risk preview of each leg, with each blocking check named; Enter answers the
:class:`~core.orders.paired_desk.PairTicket` to send, only when the quantity parses and the
preview refuses neither leg (one leg sent alone would be leg risk from the start). It never talks
to the engine: it is given a ``preview`` function and a ``quote`` function.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from console.screens.backdrop import DimmedModal
from core.api import RiskPreview
from core.market.crossvenue import CrossView
from core.model import OrderType
from core.orders.numparse import NumberError, parse_positive
from core.orders.paired_desk import PairTicket

PreviewFn = Callable[[PairTicket], tuple[RiskPreview, RiskPreview]]
QuoteFn = Callable[[str], CrossView | None]
BOX_WIDTH = 90


def leg_line(verb: str, ticket_qty: Decimal, symbol: str, risk: RiskPreview) -> str:
    """One leg of the preview: the order after rounding, its costs and the risk chain's verdict."""
    price = "market" if risk.price is None else f"@ {risk.price}"
    head = f"{verb} {risk.qty if risk.qty else ticket_qty} {symbol} {price}"
    costs = f"notional {risk.notional:.2f} · fee {risk.est_fee:.2f} · margin {risk.initial_margin:.2f}"
    if risk.build_error:
        return f"{head}\n    NOT BUILT: {risk.build_error}"
    block = risk.blocking
    verdict = "risk checks OK" if block is None else f"BLOCKED by {block.check}: {block.reason}"
    return f"{head}\n    {costs}\n    {verdict}"


def refusal(ticket: PairTicket, buy: RiskPreview, sell: RiskPreview) -> str:
    """Why the pair is not sent (a leg the preview refuses), or "" when both legs may go."""
    for verb, symbol, risk in (("BUY", ticket.buy_symbol, buy), ("SELL", ticket.sell_symbol, sell)):
        if risk.allowed:
            continue
        block = risk.blocking
        why = risk.build_error or (f"{block.check}: {block.reason}" if block else "refused")
        return (
            f"not sent: the {verb} {symbol} leg is refused ({why}); "
            "nothing was sent (the other leg alone would be leg risk)"
        )
    return ""


class PairedTicket(DimmedModal[PairTicket | None]):
    """Paired entry for one asset with the engine's preview of both legs."""

    DEFAULT_CSS = """
    PairedTicket .paired-box { border: thick $primary; }
    PairedTicket #paired-qty { border: none; height: 1; width: 30; }
    PairedTicket #paired-preview { height: auto; min-height: 7; padding: 0 1; }
    PairedTicket #paired-preview.-ok { color: $risk-ok; }
    PairedTicket #paired-preview.-blocked { color: $risk-hot; }
    PairedTicket #paired-error { color: $warning; height: auto; }
    """

    BINDINGS: ClassVar = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+t", "flip", "Direction"),
        Binding("ctrl+l", "order_type", "Market/Limit"),
        Binding("enter", "send", "Send", show=False),
    ]

    def __init__(self, asset: str, sym_a: str, sym_b: str, preview: PreviewFn, quote: QuoteFn) -> None:
        super().__init__()
        self.asset, self.sym_a, self.sym_b = asset, sym_a, sym_b
        self.buy_a = True
        self.order_type = OrderType.MARKET
        self._preview_fn = preview
        self._quote = quote
        self.error = ""
        self.w_title = Label("", id="paired-title", classes="modal-title")
        self.w_qty = Input("", placeholder="qty (each leg)", id="paired-qty", compact=True)
        self.w_preview = Static("", id="paired-preview", markup=False)
        self.w_error = Static("", id="paired-error", markup=False)

    def compose(self) -> ComposeResult:
        """Title, quantity, both legs' preview, errors, key hints."""
        box = Vertical(classes="modal-box paired-box")
        box.styles.width = BOX_WIDTH
        box.styles.max_width = "100%"
        with box:
            yield self.w_title
            yield self.w_qty
            yield self.w_preview
            yield self.w_error
            yield Static(
                "Enter sends both legs · Esc closes · ^t direction · ^l market/limit",
                classes="modal-hint",
                markup=False,
            )

    def on_mount(self) -> None:
        """Focus the quantity at once (keys typed right after ``P`` land there); first preview."""
        self.set_focus(self.w_qty)
        self.recompute()

    @property
    def buy_symbol(self) -> str:
        """The venue symbol bought."""
        return self.sym_a if self.buy_a else self.sym_b

    @property
    def sell_symbol(self) -> str:
        """The venue symbol sold."""
        return self.sym_b if self.buy_a else self.sym_a

    def ticket(self) -> PairTicket:
        """The ticket as typed; NumberError when the quantity does not parse."""
        qty = parse_positive(self.w_qty.value.strip(), "qty")
        buy_px = sell_px = None
        if self.order_type is OrderType.LIMIT:
            view = self._quote(self.asset)
            if view is not None:
                buy_q, sell_q = (view.a, view.b) if self.buy_a else (view.b, view.a)
                buy_px, sell_px = buy_q.ask, sell_q.bid
        return PairTicket(
            self.asset, self.buy_symbol, self.sell_symbol, qty, self.order_type, buy_px, sell_px
        )

    def recompute(self) -> None:
        """Title and the engine's preview of both legs for what is typed now."""
        kind = "market" if self.order_type is OrderType.MARKET else "limit at the touch"
        self.w_title.update(f"PAIRED {self.asset}: BUY {self.buy_symbol} / SELL {self.sell_symbol} ({kind})")
        try:
            ticket = self.ticket()
        except NumberError as exc:
            self.w_preview.update("type the quantity of each leg")
            self.w_preview.set_classes("")
            self.w_error.update(str(exc) if self.w_qty.value.strip() else "")
            return
        buy, sell = self._preview_fn(ticket)
        self.w_preview.update(
            leg_line("BUY", ticket.qty, ticket.buy_symbol, buy)
            + "\n"
            + leg_line("SELL", ticket.qty, ticket.sell_symbol, sell)
        )
        self.w_preview.set_class(buy.allowed and sell.allowed, "-ok")
        self.w_preview.set_class(not (buy.allowed and sell.allowed), "-blocked")
        self.w_error.update(self.error)

    def on_input_changed(self, event: Input.Changed) -> None:
        """Re-preview on every keystroke."""
        event.stop()
        self.error = ""
        self.recompute()

    def action_flip(self) -> None:
        """Buy A / sell B ↔ buy B / sell A."""
        self.buy_a = not self.buy_a
        self.recompute()

    def action_order_type(self) -> None:
        """Market ↔ limit at the touch."""
        self.order_type = OrderType.LIMIT if self.order_type is OrderType.MARKET else OrderType.MARKET
        self.recompute()

    def action_send(self) -> None:
        """Answer the ticket (the desk sends both legs through the risk chain), unless the preview
        already refuses a leg: the other leg alone would be sent and left in leg risk."""
        try:
            ticket = self.ticket()
        except NumberError as exc:
            self.error = str(exc)
            self.recompute()
            return
        refused = refusal(ticket, *self._preview_fn(ticket))
        if refused:
            self.error = refused
            self.recompute()
            return
        self.dismiss(ticket)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the quantity field sends."""
        event.stop()
        self.action_send()

    def action_cancel(self) -> None:
        """Close without sending."""
        self.dismiss(None)
