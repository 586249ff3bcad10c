"""Where each protection lives, for the positions pane and the header.

``ex``: the venue holds it and it works whether or not this engine runs (a position's TP/SL or
trailing stop, a reduce-only conditional order the venue holds, the dead-man's switch). ``algo``: an algo in
this engine keeps it (a bracket, an OCO, a trailing stop): it stops working when the engine stops,
so the header says how many there are. The positions pane renders :class:`~widgets.positions.Guard`
rows this module builds; the header gets the switch's last state and the in-process count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from core.api import AlgoSnapshot
from core.events import DeadMansSwitchChanged, Event
from core.model import Order, Position, Side
from widgets.positions import ALGO, EX, STOP_LOSS, TAKE_PROFIT, Guard

PROTECTIVE_ALGOS: Mapping[str, tuple[str, ...]] = {
    "bracket": (TAKE_PROFIT, STOP_LOSS),
    "oco": (TAKE_PROFIT, STOP_LOSS),
    "trail": (STOP_LOSS,),
}
"""Algo kinds that protect a position, and which side of it each guards."""

WAITING = "waiting"
"""The state of an algo that has not started working (a bracket before its entry fills)."""


def protective_algos(algos: Iterable[AlgoSnapshot]) -> list[AlgoSnapshot]:
    """The algos still working that protect a position (they live only in this process). A
    bracket still waiting for its entry protects nothing yet: it has no exits until the entry
    fills, and then only for what the entry filled."""
    return [a for a in algos if a.kind in PROTECTIVE_ALGOS and not a.terminal and not _awaits_entry(a)]


def _awaits_entry(algo: AlgoSnapshot) -> bool:
    return algo.kind == "bracket" and algo.state == WAITING and algo.filled <= 0


def _order_role(pos: Position, order: Order) -> str | None:
    """``tp``/``sl`` for a working reduce-only conditional order that closes ``pos`` (by where
    its trigger is against the mark); None for any other order (a resting limit is an exit the
    trader placed, not a trigger the venue watches)."""
    if not order.is_open or not order.reduce_only or order.side is pos.side:
        return None
    ref = pos.mark_price or pos.entry_price
    level = order.trigger_price
    if level is None or not ref:
        return None
    profit_side = level > ref if pos.side is Side.BUY else level < ref
    return TAKE_PROFIT if profit_side else STOP_LOSS


def guards(
    positions: Mapping[str, Position], orders: Mapping[str, Order], algos: Sequence[AlgoSnapshot]
) -> dict[str, tuple[Guard, ...]]:
    """Each open position's protections besides its own TP/SL: venue-held orders (``ex``) first,
    then the engine's algos (``algo``)."""
    out: dict[str, tuple[Guard, ...]] = {}
    working = protective_algos(algos)
    for sym, pos in positions.items():
        if pos.is_flat:
            continue
        found: list[Guard] = []
        if pos.trailing_stop is not None:  # the venue's own trailing stop: it closes the whole position
            found.append(Guard(STOP_LOSS, EX, None, "trail"))  # as an algo's: "trail ex" fits the cell
        for order in orders.values():
            role = _order_role(pos, order) if order.symbol == sym else None
            if role is not None:
                found.append(Guard(role, EX, order.trigger_price, "stop"))
        for algo in working:
            if algo.symbol == sym:
                found.extend(Guard(role, ALGO, None, algo.kind) for role in PROTECTIVE_ALGOS[algo.kind])
        if found:
            out[sym] = tuple(found)
    return out


@dataclass(slots=True)
class SwitchView:
    """The dead-man's switch as the engine last reported it."""

    state: str = ""
    window_s: int | None = None
    reason: str = ""

    def absorb(self, events: Iterable[Event]) -> bool:
        """Take the last :class:`DeadMansSwitchChanged` among ``events``; True when one came."""
        last = None
        for ev in events:
            if isinstance(ev, DeadMansSwitchChanged):
                last = ev
        if last is None:
            return False
        self.state, self.window_s, self.reason = last.state, last.window_s, last.reason
        return True
