"""A bracket's exits as the position's own TP/SL on the venue (``native=True``).

Rules:

* Native applies to a bracket (an entry) with at most one take-profit; several take-profits, or
  an OCO (no entry: it may protect part of a position), keep engine-side child orders.
* Once the entry has filled something and the position shows it, the algo asks once for the
  position's TP (the take-profit price) and SL (the stop price) on ``trigger_by``, tpslMode Full:
  they govern the whole position, however much of the entry fills later.
* Then it only watches: the position going flat with the entry over finishes it (closed by the
  venue's TP/SL); flat with the entry still working arms the TP/SL again on the next fill (the
  venue cleared them when they fired).
* A refusal (a venue without native TP/SL, or the venue said no) falls back to child orders.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.orders.algos.base import (
    Action,
    AlgoEvent,
    AlgoState,
    ChildFill,
    ChildRejected,
    ChildUpdate,
    MarketView,
    SetPositionStop,
)

if TYPE_CHECKING:
    from core.orders.algos.bracket import Bracket

TPSL_TAG = "tpsl"
NATIVE_OFF, NATIVE_PENDING, NATIVE_SENT = "off", "pending", "sent"


def initial_state(algo: Bracket) -> str:
    """``pending`` when the bracket's exits go natively, else ``off``."""
    p = algo.p
    fits = p.native and algo.kind == "bracket" and len(p.tp_prices) <= 1
    return NATIVE_PENDING if fits else NATIVE_OFF


def step(algo: Bracket, event: AlgoEvent, view: MarketView) -> list[Action] | None:
    """Decisions of a native bracket on one event; None: carry on engine-side from here."""
    if isinstance(event, ChildRejected) and event.child_id == SetPositionStop(TPSL_TAG).child_id:
        algo.native_state = NATIVE_OFF
        algo.progress.note = f"position TP/SL refused ({event.check}: {event.reason}); child orders instead"
        return None
    if isinstance(event, ChildFill):
        algo._on_fill(event)
    elif isinstance(event, ChildUpdate):
        algo._on_update(event)
    elif isinstance(event, ChildRejected):
        algo._on_rejected(event, view)
    if algo.status is AlgoState.PAUSED:
        return []
    return decide(algo, view)


def decide(algo: Bracket, view: MarketView) -> list[Action]:
    """Ask for the position's TP/SL once the entry filled; finish when the position is closed."""
    if algo.entry_done and algo.entry_filled == 0:
        state = AlgoState.FAILED if algo.entry_status.startswith("rejected") else AlgoState.CANCELLED
        return algo._finish(state, f"entry {algo.entry_status or 'over'} with nothing filled")
    pos = view.position(algo.symbol)
    open_ = pos is not None and not pos.is_flat and pos.side is algo.p.side
    if not open_:
        if algo.native_state == NATIVE_SENT or (algo.entry_done and algo.entry_filled > 0):
            if algo.entry_done:
                return algo._finish(AlgoState.DONE, f"position closed; entry filled {algo.entry_filled}")
            algo.native_state = NATIVE_PENDING  # fired with the entry still working
        return []
    if algo.native_state == NATIVE_SENT or algo.entry_filled == 0:
        return []
    p = algo.p
    take_profit = p.tp_prices[0] if p.tp_prices else None
    algo.native_state = NATIVE_SENT
    algo.progress.note = (
        f"entry {algo.entry_filled}/{p.qty}; position TP {take_profit or '-'} SL {p.stop_price or '-'}"
        f" on {p.trigger_by} (venue)"
    )
    action = SetPositionStop(
        TPSL_TAG, take_profit=take_profit, stop_loss=p.stop_price, trigger_by=p.trigger_by_enum
    )
    return [action]
