"""The console's side of execution algos: the preview text of an algo (ticket and command line),
the algos pane's keys (pause, resume, cancel after a confirmation), the algo ticket, and the
count of running algos the panic modal shows. The engine runs the algos; this only asks it."""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from console.screens.modals import ConfirmScreen
from core.api import AlgoChildPreview, AlgoPreview, AlgoSnapshot, CommandResult
from core.model import Side
from core.orders.algo_commands import AlgoCommand
from core.orders.resolve_algos import AlgoOrder, resolve_algo
from widgets.fmt import fmt_dec

if TYPE_CHECKING:
    from console.app import TradeConsoleApp
    from console.screens.algo_ticket import AlgoTicket

ALGO_TICKET_SCREEN = "algo-ticket"

MAX_CHILD_LINES = 12
"""Children listed one a line in a preview; more are counted (a scale of 100 levels)."""


def _child_line(ch: AlgoChildPreview, places: int, qty_places: int) -> str:
    req, risk = ch.request, ch.risk
    built = not risk.build_error
    qty = risk.qty if built else req.qty  # what the builder will send, not what was asked
    what = f"{req.side.value} {fmt_dec(qty, qty_places, sep=False)}"
    if req.price is not None:
        price = risk.price if built and risk.price is not None else req.price
        what += f" @ {fmt_dec(price, places)}"
    if req.trigger_price is not None:
        on = f" on {ch.trigger_by.value.lower()}" if ch.trigger_by is not None else ""
        what += f" trigger {fmt_dec(req.trigger_price, places)}{on}"
    if req.price is None and req.trigger_price is None:
        what += " at market"
    flags = [
        f for f, on in (("post-only", req.time_in_force.value == "PostOnly"), ("RO", req.reduce_only)) if on
    ]
    mark = "✔" if ch.risk.allowed else "✖"
    return f"{mark} {ch.tag:<6} {what}{' ' + ' '.join(flags) if flags else ''}"


def _blocking_lines(ch: AlgoChildPreview) -> list[str]:
    risk = ch.risk
    if risk.build_error:
        return [f"    ✖ {ch.tag}: {risk.build_error}"]
    return [f"    ! {ch.tag} {a}" for a in risk.adjustments] + [
        f"    ✖ {ch.tag} {c.check}: {c.reason}" for c in risk.checks if not c.passed
    ]


def _later_lines(preview: AlgoPreview, places: int, qty_places: int) -> list[str]:
    """The orders placed later, checked against now; what would block one now, as a warning."""
    if not preview.later:
        return []
    lines = ["when it fires (checked against now, and again then):"]
    lines += [_child_line(ch, places, qty_places) for ch in preview.later]
    for ch in preview.later:
        lines += [f"  !{line.lstrip()[1:]}" for line in _blocking_lines(ch)]
    return lines


def algo_preview_text(preview: AlgoPreview, places: int = 2, qty_places: int = 3) -> str:
    """Every child the algo would place now (up to :data:`MAX_CHILD_LINES`), each blocking check
    named, the notes, then the verdict."""
    if preview.error:
        return f"✖ {preview.error}\nBLOCKED — will not start"
    lines = [preview.describe] if preview.describe else []
    shown = preview.children[:MAX_CHILD_LINES]
    lines += [_child_line(ch, places, qty_places) for ch in shown]
    if len(preview.children) > len(shown):
        lines.append(f"  ... and {len(preview.children) - len(shown)} more")
    if not preview.children:
        lines.append("no order at once (it waits for its trigger / the market)")
    for ch in preview.children:
        lines += _blocking_lines(ch)
    lines += _later_lines(preview, places, qty_places)
    lines += [f"! {n}" for n in preview.notes]
    lines.append("READY — Enter starts it" if preview.ok else "BLOCKED — will not start")
    return "\n".join(lines)


_CENT = Decimal("0.01")
_QTY_SHOWN = Decimal("0.000001")


def _price(raw: Any, places: int) -> str:
    return fmt_dec(Decimal(str(raw)), places)


def _pct(fraction: Any) -> str:
    return f"{(Decimal(str(fraction)) * 100).quantize(_CENT).normalize():f}"


def _bracket_plan(params: Mapping[str, Any], places: int) -> list[str]:
    exits = [
        f"TP {i + 1} {_price(p, places)} x {_pct(f)}%"
        for i, (p, f) in enumerate(params.get("take_profits") or [])
    ]
    if params.get("stop_price") is not None:
        exits.append(f"SL {_price(params['stop_price'], places)} on {params.get('trigger_by', 'mark')}")
    return ["exits as the entry fills (reduce-only, scaled to the fill): " + " · ".join(exits)]


def _twap_plan(params: Mapping[str, Any], places: int) -> list[str]:
    slices = int(params["slices"])
    every_s = int(params["duration_ms"]) // slices // 1000
    each = Decimal(str(params["qty"])) / slices
    limit = f"; limit {_price(params['limit_price'], places)}" if params.get("limit_price") else ""
    each_s = f"{each.quantize(_QTY_SHOWN).normalize():f}"
    return [f"{slices} slice(s) of ~{each_s} every {every_s}s, {params.get('mode', 'taker')}{limit}"]


def _trail_plan(params: Mapping[str, Any], places: int) -> list[str]:
    unit = "%" if params.get("distance_type") == "pct" else ""
    start = (
        f" once {_price(params['activation_price'], places)} is reached"
        if params.get("activation_price")
        else ""
    )
    on = params.get("trigger_by", "mark")
    rule = f"stop trails {params['distance']}{unit} behind the best {on} price{start}"
    return [f"{rule}; it only moves in your favour"]


def _cond_plan(params: Mapping[str, Any], places: int) -> list[str]:
    from core.orders.algos.conditions import from_dict

    order = params.get("order") or {}
    price = f" @ {_price(order['price'], places)}" if order.get("price") else " at market"
    what = f"{order.get('side', '')} {order.get('qty', '')}{price}" if order else "the follow-up algo"
    return [f"waits for: {from_dict(params['condition']).describe()} -> then {what}"]


_PLANS = {
    "bracket": _bracket_plan,
    "oco": _bracket_plan,
    "twap": _twap_plan,
    "trail": _trail_plan,
    "cond": _cond_plan,
}


def plan_lines(kind: str, params: Mapping[str, Any], places: int = 2) -> list[str]:
    """What the algo does after its first orders, from its params (a bracket's exits, a TWAP's
    schedule, a trailing stop's rule, a conditional's trigger); empty when the params are bad
    (the preview names the parameter)."""
    plan = _PLANS.get(kind)
    if plan is None:
        return []
    try:
        return plan(params, places)
    except (KeyError, ValueError, ArithmeticError, TypeError):
        return []


def preview_error(preview: AlgoPreview) -> str:
    """Why a preview blocks: the bad parameter, or the first failing check of a child."""
    if preview.error:
        return preview.error
    for ch in preview.children:
        if ch.risk.build_error:
            return f"{ch.tag}: {ch.risk.build_error}"
        block = ch.risk.blocking
        if block is not None:
            return f"{ch.tag} {block.check}: {block.reason}"
    return ""


async def said(coro: Awaitable[CommandResult]) -> CommandResult:
    """An algo command's result, always logged (its id is not an order's, whose own events speak)."""
    return replace(await coro, order_link_id="")


def running_algos(algos: list[AlgoSnapshot]) -> int:
    """Algos that are not over (waiting, running or paused): what a panic will stop."""
    return sum(1 for a in algos if not a.terminal)


class AlgoActions:
    """The algos pane's keys and the algo ticket, for one app."""

    def __init__(self, app: TradeConsoleApp) -> None:
        self.app = app
        self.ticket: AlgoTicket | None = None
        self._states: dict[str, str] = {}

    def state_lines(self, algos: list[AlgoSnapshot]) -> list[str]:
        """One log line per algo whose state changed since the last call (progress alone is the
        pane's to show, not the log's)."""
        lines = []
        for a in algos:
            if self._states.get(a.id) != a.state:
                self._states[a.id] = a.state
                note = f": {a.note}" if a.note else ""
                lines.append(f"algo {a.id} {a.state.upper()} {a.describe}{note}")
        return lines

    # --- the ticket -------------------------------------------------------------------------
    def _resolve(self, cmd: AlgoCommand) -> AlgoOrder:
        return resolve_algo(cmd, self.app.command_line.planner.context(None))

    def prebuild(self) -> Awaitable[None] | None:
        """Compose the (reused) algo ticket off-stack now, so keys typed right after ``A`` land in it;
        returns what to await for it to be mounted (``None`` when it already exists)."""
        from console.screens.algo_ticket import AlgoTicket

        if self.ticket is not None:
            return None
        app = self.app
        ticket = AlgoTicket(app.symbol, Side.BUY, self._resolve, app.engine.preview_algo)
        self.ticket = ticket
        app.install_screen(ticket, ALGO_TICKET_SCREEN)
        return app._get_screen(ALGO_TICKET_SCREEN)[1]

    def open_ticket(self, side: Side = Side.BUY) -> None:
        """The algo ticket for the app's symbol (never twice)."""
        app = self.app
        if self.ticket is None:
            self.prebuild()
        ticket = self.ticket
        assert ticket is not None
        if ticket in app.screen_stack:
            return
        inst = app.engine.instruments.get(app.symbol)
        places, qd = (inst.price_decimals, inst.qty_decimals) if inst is not None else (2, 3)
        ticket.configure(app.symbol, side, places, qd)
        app.push_screen(ALGO_TICKET_SCREEN, self._ticket_done)

    def _ticket_done(self, algo: AlgoOrder | None) -> None:
        if algo is not None:
            self.app.log_line(f"algo ticket: start {algo.kind} {algo.params.get('symbol', '')}")
            self.start(algo.kind, algo.params)

    # --- the pane's keys ----------------------------------------------------------------------
    def _selected(self) -> AlgoSnapshot | None:
        app = self.app
        key = app.main.algos.selected_key
        found = next((a for a in app.bridge.algos if a.id == key), None)
        if found is None:
            app.notify("select an algo in the algos pane first", severity="warning")
        elif found.terminal:  # nothing to pause, resume or cancel: no confirmation, no engine call
            app.notify(f"algo {found.id} is already {found.state}: {found.note}", severity="warning")
            return None
        return found

    def pause_selected(self) -> None:
        """Pause the selected algo."""
        algo = self._selected()
        if algo is not None:
            self._run(f"pause algo {algo.id}", "pause", algo.id)

    def resume_selected(self) -> None:
        """Resume the selected algo."""
        algo = self._selected()
        if algo is not None:
            self._run(f"resume algo {algo.id}", "resume", algo.id)

    def cancel_selected(self) -> None:
        """Cancel the selected algo, after a confirmation naming it."""
        algo = self._selected()
        if algo is None:
            return
        algo_id = algo.id

        def done(ok: bool | None) -> None:
            if ok:
                self._run(f"cancel algo {algo_id}", "cancel", algo_id)

        body = f"{algo.describe}\n{algo.state}: {algo.note}\nIts working orders are cancelled."
        self.app.push_screen(ConfirmScreen(f"Cancel algo {algo_id}?", body), done)

    def _run(self, what: str, verb: str, algo_id: str) -> None:
        engine = self.app.engine
        calls = {"pause": engine.pause_algo, "resume": engine.resume_algo, "cancel": engine.cancel_algo}
        self.app.run_worker(self.app._run_command(what, said(calls[verb](algo_id))), group="algos")

    def start(self, kind: str, params: Mapping[str, Any]) -> None:
        """Start an algo (the ticket or the command line confirmed it)."""
        app = self.app
        app.run_worker(
            app._run_command(f"start {kind}", said(app.engine.start_algo(kind, params))), group="algos"
        )


__all__ = [
    "ALGO_TICKET_SCREEN",
    "MAX_CHILD_LINES",
    "AlgoActions",
    "algo_preview_text",
    "preview_error",
    "running_algos",
    "said",
]
