"""What one step of an algo is: its decision on one inbox item, and each action carried out.

:func:`decide` asks the algo (start, an event, a pause/resume/cancel); :func:`execute` carries
one action out through the engine's one order path. A refused Place or Amend comes back to the
algo as a :class:`~core.orders.algos.base.ChildRejected` naming the check and the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from core.api import CommandResult
from core.engine.algo_protect import set_position_stop
from core.engine.algo_slot import Decided
from core.journal.journal import JournalUnwritable
from core.model import Order, OrderStatus
from core.orders.algos.base import (
    Action,
    AlgoState,
    Amend,
    Cancel,
    ChildRejected,
    ChildUpdate,
    Finish,
    Place,
    SetPositionStop,
    StartAlgo,
    Tick,
    WakeAt,
)

if TYPE_CHECKING:
    from core.engine.algo_slot import AlgoSlot, ControlItem, Item
    from core.engine.algos import AlgoRunner


async def decide(runner: AlgoRunner, slot: AlgoSlot, item: Item) -> list[Action] | None:
    """The algo's decisions on ``item`` (None: nothing was decided, e.g. held while paused)."""
    algo, view = slot.algo, runner.view
    if item is None:
        slot.quiet = None
        return algo.start(view)
    if isinstance(item, tuple):
        slot.quiet = None
        slot.pending_controls -= 1
        if slot.pending_controls <= 0:
            slot.wanted, slot.pending_controls = "", 0
        return await _control(runner, slot, item)
    if isinstance(item, Decided):
        if item.error is not None:
            raise item.error
        return item.actions
    if isinstance(item, Tick):
        slot.tick_queued = False
        return decide_tick(runner, slot, item)
    slot.quiet = None  # anything but a tick may change what the algo's next tick decides
    if algo.status is AlgoState.PAUSED:
        slot.held.append(item)
        return None
    return algo.on_event(item, view)


def decide_tick(runner: AlgoRunner, slot: AlgoSlot, tick: Tick) -> list[Action] | None:
    """The algo's decisions on a market tick or a due timer (None while paused); synchronous, so
    the tick loop can let every moved algo decide before any of them sends.

    A tick whose declared reads (:meth:`~core.orders.algos.base.Algo.tick_reads`) are those of
    the algo's last tick that decided nothing is skipped (no action, ``slot.skipped``); the tick
    loop clears that memory when one of the algo's timers is due, and :func:`decide` on any
    other item."""
    slot.skipped = False
    if slot.algo.status is AlgoState.PAUSED:
        return None
    reads = slot.algo.tick_reads()
    algo = slot.algo
    inputs = None if reads is None else (*runner.view.reads(algo.symbol, reads), algo.tick_zone(runner.view))
    if inputs is not None and inputs == slot.quiet:
        slot.skipped = True
        return []
    actions = slot.algo.on_event(tick, runner.view)
    slot.quiet = inputs if not actions else None
    return actions


async def _control(runner: AlgoRunner, slot: AlgoSlot, item: ControlItem) -> list[Action] | None:
    action, who = item
    algo, view = slot.algo, runner.view
    if action == "cancel":
        await _cancel_working(runner, slot)
        algo.status = AlgoState.CANCELLED
        slot.note = f"cancelled by {who}"
        return []
    if action == "pause" and algo.status is not AlgoState.PAUSED:
        slot.resume_status = algo.status
        actions = algo.on_pause(view)
        algo.status = AlgoState.PAUSED
        return actions
    if action == "resume" and algo.status is AlgoState.PAUSED:
        actions = algo.on_resume(view)
        if algo.status is AlgoState.PAUSED:
            algo.status = slot.resume_status
        for event in slot.held:
            slot.inbox.put_nowait(event)
        slot.held.clear()
        return actions
    return None


async def _cancel_working(runner: AlgoRunner, slot: AlgoSlot) -> None:
    for cid in slot.algo.working_children(runner.view):
        await execute(runner, slot, Cancel(cid))


async def execute(runner: AlgoRunner, slot: AlgoSlot, action: Action) -> None:
    """Carry out one action; what the algo must hear about it goes to its inbox."""
    if isinstance(action, Place):
        await _place(runner, slot, action)
    elif isinstance(action, Amend):
        result = await runner.amend_of(action)
        if not result.ok:
            slot.inbox.put_nowait(ChildRejected(action.child_id, result.check or "amend", result.message))
    elif isinstance(action, Cancel):
        await _cancel(runner, slot, action.child_id)
    elif isinstance(action, WakeAt):
        runner.wake(slot, action)
    elif isinstance(action, Finish):
        runner.finish(slot, action)
        if action.cancel_children:
            await _cancel_working(runner, slot)
    elif isinstance(action, SetPositionStop):
        await set_position_stop(runner, slot, action)
    elif isinstance(action, StartAlgo):
        result = await runner.start_follow_up(slot, action)
        if not result.ok:
            slot.inbox.put_nowait(
                ChildRejected(f"start:{action.kind}", result.check or "params", result.message)
            )


async def _place(runner: AlgoRunner, slot: AlgoSlot, action: Place) -> None:
    algo = slot.algo
    cid = f"{algo.algo_id}-{slot.next_child}"
    slot.next_child += 1
    try:
        await runner.lifecycle.algo_child(algo.algo_id, algo.symbol, action.tag, cid)
    except JournalUnwritable as exc:
        algo.progress.children[action.tag] = cid
        slot.inbox.put_nowait(ChildRejected(cid, "journal", f"{exc}; nothing was sent"))
        return
    algo.progress.children[action.tag] = cid
    runner.owner[cid] = algo.algo_id
    runner.placing.add(cid)
    try:
        result = await runner.ports.place(runner.child_request(slot, action), cid)
    finally:
        runner.placing.discard(cid)
    rejected = _rejection(cid, result, runner.state.orders.get(cid))
    if rejected is not None:
        slot.inbox.put_nowait(rejected)


def _rejection(cid: str, result: CommandResult, order: Order | None) -> ChildRejected | None:
    """What the algo hears about a place that did not work (None: sent, or its outcome is
    unknown and the engine's reconciliation will report the child's fate as an update)."""
    if result.ok:
        return None
    if result.check:
        return ChildRejected(cid, result.check, result.message)
    if result.ret_code:
        return ChildRejected(cid, "venue", result.message)
    if order is not None and order.status is OrderStatus.REJECTED:
        return ChildRejected(cid, "venue", result.message)
    return None


async def _cancel(runner: AlgoRunner, slot: AlgoSlot, cid: str) -> None:
    order = runner.state.orders.get(cid)
    if order is None or not order.is_open:
        return
    result = await runner.ports.cancel(cid)
    if result.ok:
        return
    runner.error(slot, "cancel", f"{cid}: {result.message}")
    now = runner.state.orders.get(cid)
    if now is not None and not now.is_open:
        slot.inbox.put_nowait(ChildUpdate(cid, now))


def start_ends_at_once(actions: Sequence[Action]) -> str:
    """Why an algo whose first decision is ``actions`` would end at once ("" when it would run).

    A failed or cancelled start is an error; a start that is "done" without placing or starting
    anything did nothing. A conditional that fires at start (a follow-up and its end) is a start.
    """
    finish = next((a for a in actions if isinstance(a, Finish)), None)
    if finish is None:
        return ""
    if finish.state is not AlgoState.DONE:
        return f"would end at once ({finish.state.value}): {finish.reason}"
    if not any(isinstance(a, Place | StartAlgo) for a in actions):
        return f"nothing to do: {finish.reason}"
    return ""
