"""The algo ticket: pick the kind (TWAP, chase, scale, iceberg, bracket, trail, when), fill its fields,
read the engine's live preview of every child it would place now (each blocking check named),
and Enter starts it — only when the preview allows. Escape closes; ``ctrl+t`` flips the side;
``ctrl+n`` / the kind field (shift+tab from the quantity, then left/right) changes the kind.

Like the order ticket it is composed off-stack once and reused, and it focuses the quantity the
moment it is pushed (``Screen.set_focus``), so keys typed in a burst right after the key that
opened it land in the fields they were typed for (:mod:`console.keygate`). It never talks to the
engine: it is given a ``resolve`` function (command -> ``(kind, params)`` against the market) and a
``preview`` function, and answers the :class:`~core.orders.resolve_algos.AlgoOrder` to start.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Checkbox, Input, Label, Static

from console.algo_actions import algo_preview_text, plan_lines, preview_error
from console.screens.algo_form import (
    ALGO_KINDS,
    FIELDS,
    FLAG2,
    NO_QTY,
    NO_RO,
    SIZES,
    AlgoFields,
    AlgoFormError,
    build_command,
)
from console.screens.backdrop import DimmedModal
from console.screens.text_update import set_text
from console.screens.ticket import FlagBox
from core.api import AlgoPreview
from core.model import Side
from core.orders.algo_commands import AlgoCommand
from core.orders.resolve import ResolveError
from core.orders.resolve_algos import AlgoOrder
from widgets.choice import Choice

Resolver = Callable[[AlgoCommand], AlgoOrder]
AlgoPreviewFn = Callable[[str, Mapping[str, Any]], AlgoPreview]
REPREVIEW_S = 0.5
"""While open, the preview (offsets from the touch, risk checks) follows the market this often."""
N_FIELDS = 4
BOX_WIDTH = 110
"""Cells of the ticket (the whole terminal when narrower)."""


class AlgoTicket(DimmedModal[AlgoOrder | None]):
    """Algo entry for one symbol with the engine's live preview."""

    DEFAULT_CSS = """
    AlgoTicket.-buy .algo-box { border: thick $bid; }
    AlgoTicket.-sell .algo-box { border: thick $ask; }
    AlgoTicket.-buy #algo-title { background: $bid; color: $background; }
    AlgoTicket.-sell #algo-title { background: $ask; color: $background; }
    AlgoTicket #algo-body { height: auto; }
    AlgoTicket #algo-fields {
        grid-size: 2; grid-columns: 7 30; grid-rows: 1; grid-gutter: 0 1; width: 40; height: auto;
    }
    AlgoTicket #algo-fields Input { border: none; height: 1; }
    AlgoTicket #algo-flags { height: 1; }
    AlgoTicket #algo-flags Checkbox { margin-right: 1; }
    AlgoTicket #algo-preview {
        width: 1fr; height: auto; min-height: 8; max-height: 18; padding: 0 1;
        border-left: solid $panel-lighten-1;
    }
    AlgoTicket #algo-preview.-ok { color: $risk-ok; }
    AlgoTicket #algo-preview.-blocked { color: $risk-hot; }
    AlgoTicket #algo-error { color: $warning; height: auto; }
    """

    BINDINGS: ClassVar = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+t", "flip_side", "Buy/Sell"),
        Binding("ctrl+n", "next_kind", "Kind"),
        Binding("enter", "send", "Start", show=False),
    ]

    def __init__(self, symbol: str, side: Side, resolve: Resolver, preview: AlgoPreviewFn) -> None:
        super().__init__()
        self.symbol = symbol
        self.side = side
        self.kind = ALGO_KINDS[0][1]
        self._resolve = resolve
        self._preview_fn = preview
        self.places, self.qty_places = 2, 3
        self.algo: AlgoOrder | None = None
        self.preview: AlgoPreview | None = None
        self.error = ""
        self._not_sent = ""
        self._timer: Timer | None = None
        self.w_title = Label("", id="algo-title", classes="modal-title")
        self.w_kind = Choice(ALGO_KINDS, self.kind, id="a-kind")
        self.w_qty = Input("", placeholder="qty (contracts)", id="a-qty", compact=True)
        self.w_fields = [Input("", id=f"a-f{i}", compact=True) for i in range(N_FIELDS)]
        self.w_labels = [Label("", id=f"a-l{i}") for i in range(N_FIELDS)]
        self.w_sizes = Choice(SIZES, "flat", id="a-sizes")
        self.w_sizes_label = Label("sizes", id="a-sizes-label")
        self.w_ro = FlagBox("reduce-only", id="a-ro", compact=True)
        self.w_flag2 = FlagBox("post-only", id="a-flag2", compact=True)
        self.w_preview = Static("", id="algo-preview", markup=False)
        self.w_error = Static("", id="algo-error", markup=False)

    def compose(self) -> ComposeResult:
        """Fields on the left, the preview on the right, errors below."""
        box = Vertical(classes="modal-box algo-box")
        # Inline: the app's .modal-box width (72) would otherwise win over this screen's CSS.
        box.styles.width = BOX_WIDTH
        box.styles.max_width = "100%"
        with box:
            yield self.w_title
            with Horizontal(id="algo-body"):
                with Grid(id="algo-fields"):
                    yield Label("algo")
                    yield self.w_kind
                    yield Label("qty")
                    yield self.w_qty
                    for label, field in zip(self.w_labels, self.w_fields, strict=True):
                        yield label
                        yield field
                    yield self.w_sizes_label
                    yield self.w_sizes
                    yield Label("flags")
                    with Horizontal(id="algo-flags"):
                        yield self.w_ro
                        yield self.w_flag2
                yield self.w_preview
            yield self.w_error
            yield Static(
                "Enter starts · Esc closes · Tab next · ^n algo · ^t side",
                classes="modal-hint",
                markup=False,
            )

    def on_mount(self) -> None:
        """Fields for the kind, focus on the quantity, first preview; follow the market."""
        self._timer = self.set_interval(REPREVIEW_S, self._tick, name="algo-ticket-preview")
        self.reset_fields()

    def _tick(self) -> None:
        if self.is_current:
            self.recompute()

    def configure(self, symbol: str, side: Side, places: int = 2, qty_places: int = 3) -> None:
        """Re-target the reused ticket (the kind stays the last one used)."""
        self.symbol, self.side, self.places, self.qty_places = symbol, side, places, qty_places
        self._not_sent = ""
        if self.is_mounted:
            self.reset_fields()

    def reset_fields(self) -> None:
        """Every field empty, the kind's labels, focus on the first field (at once), fresh preview."""
        self.w_qty.value = ""
        for field in self.w_fields:
            field.value = ""
        self.w_ro.value = self.w_flag2.value = False
        self._apply_kind()
        self._focus_first()
        self.recompute()

    def _focus_first(self) -> None:
        # Synchronous: the key after the one that opened the ticket is routed to this field.
        self.set_focus(self.w_fields[0] if self.kind in NO_QTY else self.w_qty)

    def _apply_kind(self) -> None:
        kind = self.kind
        for spec, label, field in zip(FIELDS[kind], self.w_labels, self.w_fields, strict=True):
            label.update(spec.label if spec else "")
            field.placeholder = spec.placeholder if spec else ""
            field.disabled = spec is None
            field.display = spec is not None
            label.display = spec is not None
        self.w_qty.disabled = kind in NO_QTY
        self.w_sizes.display = kind == "scale"
        self.w_sizes_label.display = kind == "scale"
        self.w_ro.disabled = kind in NO_RO
        self.w_flag2.label = FLAG2.get(kind, "-")
        self.w_flag2.disabled = kind not in FLAG2
        self._title()

    def _title(self) -> None:
        label = dict((v, k) for k, v in ALGO_KINDS)[self.kind]
        side = "" if self.kind in NO_QTY else f"{self.side.value.upper()} "
        set_text(self.w_title, f"ALGO {label}: {side}{self.symbol}")
        buy = self.kind not in NO_QTY and self.side is Side.BUY
        self.set_class(buy, "-buy")
        self.set_class(self.kind not in NO_QTY and not buy, "-sell")

    # --- preview ------------------------------------------------------------------------------
    def fields(self) -> AlgoFields:
        """The raw fields as typed."""
        a, b, c, d = (f.value for f in self.w_fields)
        return AlgoFields(
            self.kind,
            self.side,
            self.w_qty.value,
            a,
            b,
            c,
            d,
            self.w_sizes.value,
            self.w_ro.value,
            self.w_flag2.value,
        )

    def _blocked(self, why: str) -> None:
        self.algo = None
        self.preview = None
        self.error = why
        set_text(self.w_error, f"✖ {why}")
        set_text(self.w_preview, "preview: fix the input")
        self.w_preview.set_class(False, "-ok")
        self.w_preview.set_class(True, "-blocked")

    def recompute(self) -> None:
        """Re-validate the fields, resolve against the market and ask the engine for the preview."""
        try:
            algo = self._resolve(build_command(self.fields()))
        except (AlgoFormError, ResolveError) as exc:
            self._blocked(str(exc))
            return
        self.algo = algo
        self.preview = preview = self._preview_fn(algo.kind, algo.params)
        self.error = preview_error(preview)
        text = algo_preview_text(preview, self.places, self.qty_places)
        plan = plan_lines(algo.kind, algo.params, self.places)
        # The verdict and the orders first, the plan in words after: on a short screen the
        # preview's height cuts the end, and what Enter does and sends must stay on it.
        set_text(self.w_preview, "\n".join(_verdict_first(text) + [*algo.notes, *plan]))
        set_text(self.w_error, self._not_sent or (f"✖ {self.error}" if self.error else ""))
        self.w_preview.set_class(preview.ok, "-ok")
        self.w_preview.set_class(not preview.ok, "-blocked")

    def on_input_changed(self, event: Input.Changed) -> None:
        """Every keystroke updates the preview."""
        event.stop()
        self._edited()

    def on_choice_changed(self, event: Choice.Changed) -> None:
        """A new kind relabels the fields; the sizes choice re-previews."""
        event.stop()
        if event.choice is self.w_kind and event.value != self.kind:
            self.kind = event.value
            self._apply_kind()
        self._edited()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        """Flags update the preview."""
        event.stop()
        self._edited()

    def _edited(self) -> None:
        self._not_sent = ""
        self.recompute()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in a field: start when the preview allows; otherwise say why, in place."""
        event.stop()
        self.action_send()

    # --- actions ------------------------------------------------------------------------------
    def action_send(self) -> None:
        """Answer the algo when it is valid and its preview allows (Enter, from any field)."""
        self.recompute()
        if self.algo is None or self.preview is None:
            set_text(self.w_error, f"✖ not started — {self.error}")
            return
        if not self.preview.ok:
            self._not_sent = f"✖ not started — blocked by {self.error}"
            set_text(self.w_error, self._not_sent)
            return
        self.dismiss(self.algo)

    def action_next_kind(self) -> None:
        """The next algo kind."""
        self.w_kind.action_step(1)

    def action_flip_side(self) -> None:
        """Switch between buy and sell."""
        self.side = self.side.opposite
        self._title()
        self.recompute()

    def action_cancel(self) -> None:
        """Close without starting anything."""
        self.dismiss(None)


__all__ = ["AlgoPreviewFn", "AlgoTicket", "Resolver"]


def _verdict_first(text: str) -> list[str]:
    """The preview's lines with its last line (the verdict: READY or BLOCKED) moved to the top."""
    lines = text.split("\n")
    return [lines[-1], *lines[:-1]]
