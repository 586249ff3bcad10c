"""Position tools: partial close by %, the position's TP/SL, leverage for the symbol.

Each box answers what the engine should do (or None) and never sends anything itself. Numbers
go through :mod:`core.orders.numparse`; the engine checks everything again before the venue.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from console.screens.backdrop import DimmedModal
from console.screens.modals import drop_keys_typed_before
from core.model import Instrument, Position, Side, TriggerBy
from core.orders.closing import close_qty, fmt_pct
from core.orders.numparse import NumberError, parse_number, parse_positive
from core.orders.tick_rules import level_rounding, rounding_note, snap
from core.risk.preview import held_loss_at
from core.risk.sizing import DEFAULT_TAKER_FEE
from widgets.choice import Choice
from widgets.fmt import fmt_dec

CLOSE_FRACTIONS: tuple[Decimal, ...] = (Decimal("0.25"), Decimal("0.5"), Decimal(1))
TRIGGERS = [("mark", TriggerBy.MARK.value), ("last", TriggerBy.LAST.value)]


def side_word(pos: Position) -> str:
    """LONG or SHORT."""
    return "LONG" if pos.side is Side.BUY else "SHORT"


class CloseScreen(DimmedModal[Decimal | None]):
    """Close 25 / 50 / 100 % of a position: ``1``/``2``/``3`` choose, ``y`` confirms."""

    AUTO_FOCUS = None
    BINDINGS: ClassVar = [
        Binding("1", "pick(0)", "25%"),
        Binding("2", "pick(1)", "50%"),
        Binding("3", "pick(2)", "100%"),
        Binding("y", "confirm", "Yes"),
        Binding("n,escape", "cancel", "No"),
    ]

    def __init__(self, position: Position, instrument: Instrument | None) -> None:
        super().__init__()
        self.position = position
        self.instrument = instrument
        self.choice = len(CLOSE_FRACTIONS) - 1
        """Index into CLOSE_FRACTIONS; all of it unless the trader picks less."""

    def qty_for(self, fraction: Decimal) -> Decimal:
        """What the engine will send for ``fraction`` (rounded down to the step; 100% exact)."""
        step = self.instrument.qty_step if self.instrument else Decimal("1e-8")
        return close_qty(self.position.size, fraction, step)

    def body(self) -> str:
        """The options with their exact quantities, the chosen one marked."""
        pos = self.position
        lines = [f"{pos.symbol} {side_word(pos)} {pos.size} — reduce-only at market:"]
        for i, frac in enumerate(CLOSE_FRACTIONS):
            mark = "▶" if i == self.choice else " "
            qty = self.qty_for(frac)
            note = "" if qty > 0 else "  (below the qty step: not possible)"
            lines.append(f"{mark} {i + 1}  {fmt_pct(frac):>4}  {qty}{note}")
        lines.append("1/2/3 choose · y closes the marked amount · n/Esc cancels")
        return "\n".join(lines)

    def compose(self) -> ComposeResult:
        """Title and the option list."""
        with Vertical(classes="modal-box"):
            yield Label("Close position?", classes="modal-title")
            yield Static(self.body(), id="close-body", classes="modal-body", markup=False)

    def on_mount(self) -> None:
        """A burst typed for another screen never picks or confirms (``x :sym ETH`` closed it all)."""
        drop_keys_typed_before(self, "Close position?")

    def action_pick(self, index: int) -> None:
        """Mark one option."""
        self.choice = index
        self.query_one("#close-body", Static).update(self.body())

    def action_confirm(self) -> None:
        """Answer the marked fraction (refused in place when it rounds to nothing)."""
        frac = CLOSE_FRACTIONS[self.choice]
        if self.qty_for(frac) <= 0:
            self.query_one("#close-body", Static).update(self.body() + "\n✖ pick a larger amount")
            return
        self.dismiss(frac)

    def action_cancel(self) -> None:
        """Close nothing."""
        self.dismiss(None)


@dataclass(frozen=True, slots=True)
class TpSlRequest:
    """The position TP/SL change: None = unchanged, 0 = remove."""

    take_profit: Decimal | None
    stop_loss: Decimal | None
    trigger_by: TriggerBy


class TpSlScreen(DimmedModal[TpSlRequest | None]):
    """Edit the position's TP and SL (they govern the whole position) and their trigger price."""

    BINDINGS: ClassVar = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        position: Position,
        instrument: Instrument | None,
        mark: Decimal | None = None,
        taker_fee: Decimal = DEFAULT_TAKER_FEE,
    ) -> None:
        super().__init__()
        self.position = position
        self.instrument = instrument
        self.mark = mark
        self.taker_fee = taker_fee
        self.error = ""

    def _fmt(self, value: Decimal | None) -> str:
        if value is None:
            return ""
        return f"{value:.{self.instrument.price_decimals}f}" if self.instrument else str(value)

    def compose(self) -> ComposeResult:
        """Position summary, TP, SL, trigger price type."""
        pos = self.position
        mark = f" · mark {self._fmt(self.mark)}" if self.mark is not None else ""
        with Vertical(classes="modal-box"):
            yield Label(f"TP/SL {pos.symbol} {side_word(pos)} {pos.size}", classes="modal-title")
            yield Static(
                f"entry {self._fmt(pos.entry_price)}{mark} — applies to the whole position",
                classes="modal-body",
                markup=False,
            )
            yield Static(
                self.risk_text(TpSlRequest(None, None, TriggerBy.MARK)), id="tpsl-risk", markup=False
            )
            yield Label("Take profit")
            yield Input(self._fmt(pos.take_profit), placeholder="none", id="tpsl-tp")
            yield Label("Stop loss")
            yield Input(self._fmt(pos.stop_loss), placeholder="none", id="tpsl-sl")
            yield Label("Trigger on")
            yield Choice(TRIGGERS, TriggerBy.MARK.value, id="tpsl-by")
            yield Static(
                "Enter sends · Esc cancels · blank = unchanged · 0 removes",
                id="tpsl-error",
                classes="modal-hint",
                markup=False,
            )

    def _value(self, widget_id: str, field: str, current: Decimal | None, force: bool) -> Decimal | None:
        raw = self.query_one(widget_id, Input).value
        if not raw.strip():
            return None
        value = parse_number(raw, field)
        if value != 0 and raw.strip() == self._fmt(current) and not force:
            return None  # left as it was
        if value == 0 and current is None:
            return None  # nothing to remove
        return value

    def request(self) -> TpSlRequest:
        """The change, parsed strictly; raises NumberError naming the field."""
        by = TriggerBy(self.query_one("#tpsl-by", Choice).value)
        pos = self.position
        # A new trigger type applies to levels kept as they are, so those are sent again.
        force = by is not TriggerBy.MARK
        tp = self._value("#tpsl-tp", "take profit", pos.take_profit, force)
        sl = self._value("#tpsl-sl", "stop loss", pos.stop_loss, force)
        return TpSlRequest(tp, sl, by)

    def rounding(self, req: TpSlRequest) -> list[str]:
        """One line per typed level the engine will round to the tick (what is sent): a stop
        toward the market, a take profit away from it."""
        inst, long = self.instrument, self.position.side is Side.BUY
        if inst is None:
            return []
        notes = []
        for stop, what, typed in (
            (False, "take profit", req.take_profit),
            (True, "stop loss", req.stop_loss),
        ):
            if typed:  # None unchanged, 0 removes
                sent = snap(typed, inst.tick_size, level_rounding(stop, long))
                notes.append(rounding_note(what, typed, sent, inst.tick_size, "tick"))
        return [f"sends {n}" for n in notes if n]

    def _sent_level(self, typed: Decimal | None, current: Decimal | None, stop: bool) -> Decimal | None:
        """The level in force after the change: typed (rounded to the tick as sent), kept, or
        None when removed or absent."""
        if typed is None:
            return current or None
        if typed == 0:
            return None
        inst = self.instrument
        long = self.position.side is Side.BUY
        return snap(typed, inst.tick_size, level_rounding(stop, long)) if inst is not None else typed

    def risk_text(self, req: TpSlRequest) -> str:
        """The loss at the stop and the profit at the TP for the whole position (what a position
        TP/SL closes), taker fee on the exit included — the ticket's formula for a held position."""
        pos = self.position
        if pos.side is None:
            return ""
        qd = self.instrument.qty_decimals if self.instrument is not None else 3
        on = f"on {fmt_dec(pos.size, qd, sep=False)} (the whole position, fees incl.)"
        sl = self._sent_level(req.stop_loss, pos.stop_loss, stop=True)
        tp = self._sent_level(req.take_profit, pos.take_profit, stop=False)
        lines = []
        if sl is None:
            lines.append("loss@stop  — no stop: the loss is not limited")
        else:
            loss = held_loss_at(pos.side, pos.size, pos.entry_price, sl, self.taker_fee)
            word = "loss@stop " if loss >= 0 else "gain@stop "
            lines.append(f"{word} {fmt_dec(abs(loss), 2)} USDT at {self._fmt(sl)} {on}")
        if tp is not None:
            gain = -held_loss_at(pos.side, pos.size, pos.entry_price, tp, self.taker_fee)
            lines.append(f"profit@TP  {fmt_dec(gain, 2, sign=True)} USDT at {self._fmt(tp)} {on}")
        return "\n".join(lines)

    def _show(self, text: str, notes: list[str] | None = None) -> None:
        self.error = text
        hint = text or "Enter sends · Esc cancels · blank = unchanged · 0 removes"
        self.query_one("#tpsl-error", Static).update("\n".join([*(notes or []), hint]))

    def on_input_changed(self, event: Input.Changed) -> None:
        """Say at once when a field is not a number."""
        event.stop()
        try:
            req = self.request()
        except NumberError as exc:
            self._show(f"✖ {exc}")
            self.query_one("#tpsl-risk", Static).update("loss@stop  — (fix the field first)")
            return
        self.query_one("#tpsl-risk", Static).update(self.risk_text(req))
        self._show("", self.rounding(req))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter: answer the change, or say why not."""
        event.stop()
        self.action_send()

    def action_send(self) -> None:
        """Answer the change when there is one."""
        try:
            req = self.request()
        except NumberError as exc:
            self._show(f"✖ not sent — {exc}")
            return
        if req.take_profit is None and req.stop_loss is None:
            self._show("✖ nothing changed — type a TP or SL (0 removes one)")
            return
        self.dismiss(req)

    def action_cancel(self) -> None:
        """Close without changes."""
        self.dismiss(None)


class LeverageScreen(DimmedModal[Decimal | None]):
    """Leverage for one symbol, with the current value and the allowed range."""

    BINDINGS: ClassVar = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        symbol: str,
        current: Decimal | None,
        instrument: Instrument | None,
        cap: Decimal,
        margin_mode: str,
    ) -> None:
        super().__init__()
        self.symbol = symbol
        self.current = current
        self.instrument = instrument
        self.cap = cap
        self.margin_mode = margin_mode
        self.error = ""

    @property
    def max_leverage(self) -> Decimal:
        """The lower of the instrument's max and risk.max_leverage."""
        return min(self.cap, self.instrument.max_leverage) if self.instrument else self.cap

    def info(self) -> str:
        """Current leverage, margin mode and the allowed maximum."""
        cur = f"{self.current.normalize():f}x" if self.current is not None else "unknown (no position)"
        return (
            f"current {cur} · margin mode {self.margin_mode}\n"
            f"allowed up to {self.max_leverage.normalize():f}x (instrument and risk.max_leverage)"
        )

    def set_margin_mode(self, mode: str) -> None:
        """Show the margin mode once the venue has answered."""
        self.margin_mode = mode
        if self.is_mounted:
            self.query_one("#lev-info", Static).update(self.info())

    def compose(self) -> ComposeResult:
        """Current leverage, margin mode, allowed range and the input."""
        with Vertical(classes="modal-box"):
            yield Label(f"Leverage {self.symbol}", classes="modal-title")
            yield Static(self.info(), id="lev-info", classes="modal-body", markup=False)
            yield Input(
                f"{self.current.normalize():f}" if self.current is not None else "",
                placeholder="e.g. 5",
                id="lev-value",
            )
            yield Static("Enter sets · Esc cancels", id="lev-error", classes="modal-hint", markup=False)

    def on_mount(self) -> None:
        """Show what is known now: the venue's answer may have come between compose and mount,
        when :meth:`set_margin_mode` had no mounted text to update."""
        self.query_one("#lev-info", Static).update(self.info())

    def value(self) -> Decimal:
        """The typed leverage, checked against the allowed range; raises NumberError."""
        lev = parse_positive(self.query_one("#lev-value", Input).value, "leverage")
        if lev > self.max_leverage:
            raise NumberError(f"leverage: {lev} is above the allowed {self.max_leverage.normalize():f}")
        if self.instrument is not None and lev < self.instrument.min_leverage:
            raise NumberError(f"leverage: {lev} is below the instrument's {self.instrument.min_leverage}")
        return lev

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter: answer the leverage, or say why not."""
        event.stop()
        try:
            lev = self.value()
        except NumberError as exc:
            self.error = str(exc)
            self.query_one("#lev-error", Static).update(f"✖ {exc}")
            return
        self.dismiss(lev)

    def action_cancel(self) -> None:
        """Close without changes."""
        self.dismiss(None)
