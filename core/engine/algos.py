"""The algo runner: execution algos live in the engine, journaled, and resumed after a restart.

Each algo (:mod:`core.orders.algos`) decides; the runner does. It feeds an algo its events one at
a time through the algo's own inbox — a :class:`~core.orders.algos.base.Tick` when the algo's
market moved (at most every ``tick_s``) or a timer it asked for is due, its children's updates
and fills (routed by client order id), other orders' events, the trader's pause/resume/cancel —
and carries out what it answers through the engine's one order path: every child is placed with
its own client order id (``<algo id>-<n>``, journaled by ``algo_child`` before it is sent) and
``source="algo:<id>"``; amends and cancels take the engine's amend and cancel. A refused action
comes back to the algo as a :class:`~core.orders.algos.base.ChildRejected`; an action that fails
is journaled and the algo is told; neither ever stops the runner.

Journal (through :class:`~core.engine.lifecycle.OrderJournal`): ``algo_start`` (kind, params),
``algo_child`` (before the child is sent), ``algo_state`` (after each step that changed it, with
the tags of children decided but not yet sent and the timers), ``algo_control``, ``algo_end``.
After a restart :mod:`core.engine.algo_resume` rebuilds every algo without an ``algo_end``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from core.account import AccountState
from core.api import AlgoChildPreview, AlgoPreview, AlgoSnapshot, CommandResult, RiskPreview
from core.clock import Clock
from core.engine.algo_exec import decide, decide_tick, execute, start_ends_at_once
from core.engine.algo_protect import PositionStopPort
from core.engine.algo_slot import AlgoSlot, Decided, Item, control_refusal
from core.engine.algo_states import StateWriter
from core.engine.algo_ticks import TICK_S, AlgoTicks
from core.engine.algo_view import StaticView
from core.engine.lifecycle import OrderJournal
from core.engine.publisher import Publisher
from core.events import AlgoUpdated, Event, FillReceived, OrderUpdated, Severity
from core.journal.journal import JournalUnwritable
from core.market.books import BookKeeper
from core.model import Instrument, OrderRequest, OrderStatus
from core.orders.algos.base import (
    Action,
    Algo,
    AlgoState,
    Amend,
    Cancel,
    ChildFill,
    ChildRejected,
    ChildUpdate,
    Finish,
    OrderEvent,
    Place,
    StartAlgo,
    Tick,
    WakeAt,
)
from core.orders.algos.registry import build_algo
from core.orders.ids import ClientIdRule
from core.store import MarketStore

log = logging.getLogger(__name__)

STOP_WAIT_S = 5.0
"""How long stopping every algo (panic, flatten) waits for them to cancel their children."""
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_BASE = len(_ALPHABET)


def _no_books() -> BookKeeper | None:
    """No books yet (the engine builds them with its feeds)."""
    return None


def _base36(n: int) -> str:
    out = ""
    while True:
        n, r = divmod(n, _BASE)
        out = _ALPHABET[r] + out
        if not n:
            return out


@dataclass(slots=True)
class AlgoPorts:
    """The engine commands the runner carries an algo's actions out with (the one order path)."""

    place: Callable[[OrderRequest, str], Awaitable[CommandResult]]
    """Place ``request`` with the given client order id."""
    amend: Callable[[str, Decimal | None, Decimal | None, Decimal | None], Awaitable[CommandResult]]
    cancel: Callable[[str], Awaitable[CommandResult]]
    preview: Callable[[OrderRequest], RiskPreview]
    position_stop: PositionStopPort | None = None
    """The position's own TP/SL and trailing stop (an algo's ``SetPositionStop``); None: refused."""


class AlgoRunner:
    """Holds the engine's algos by id and runs each on its own worker task."""

    def __init__(
        self,
        *,
        clock: Clock,
        store: MarketStore,
        state: AccountState,
        instruments: Mapping[str, Instrument],
        lifecycle: OrderJournal,
        publisher: Publisher,
        ports: AlgoPorts,
        client_ids: ClientIdRule,
        tick_s: float = TICK_S,
        books: Callable[[], BookKeeper | None] | None = None,
    ) -> None:
        self.clock = clock
        self.store = store
        self.state = state
        self.instruments = instruments
        self.lifecycle = lifecycle
        self.out = publisher
        self.ports = ports
        self.client_ids = client_ids
        self.view = StaticView(clock.now_ms, store, instruments, state.positions, state.orders)
        self.slots: dict[str, AlgoSlot] = {}
        self.owner: dict[str, str] = {}
        """Child client order id -> algo id."""
        self.placing: set[str] = set()
        """Children whose place is under way (their rejection is reported when it returns)."""
        self._seq = itertools.count()
        self.states = StateWriter(lifecycle, self.error)
        self.ticks = AlgoTicks(clock, store, self.view, self.slots, books or _no_books, tick_s)
        self.ticks.decide = self._decide_now

    @property
    def tick_s(self) -> float:
        """The longest the tick loop sleeps without a market update or a due timer."""
        return self.ticks.tick_s

    @tick_s.setter
    def tick_s(self, value: float) -> None:
        self.ticks.tick_s = value

    # --- commands ----------------------------------------------------------------------------
    def new_id(self) -> str:
        """A short algo id (``a`` + base-36 ms + a sequence), unique in this journal."""
        while True:
            algo_id = f"a{_base36(self.clock.now_ms())}{_base36(next(self._seq))}"
            if algo_id not in self.slots:
                return algo_id

    async def start_algo(self, kind: str, params: Mapping[str, Any], who: str = "user") -> CommandResult:
        """Build ``kind`` from ``params``, journal it and start it; the message names its id."""
        algo_id = self.new_id()
        try:
            algo = build_algo(kind, algo_id, params)
        except ValueError as err:
            return CommandResult(False, str(err), check="params")
        problem = self._refusal(algo)
        if problem:
            return CommandResult(False, problem, algo_id, check="params")
        try:
            self.lifecycle.algo_start(algo_id, kind, algo.symbol, algo.params(), who)
        except JournalUnwritable as exc:
            return CommandResult(False, f"{exc}; the algo was not started", algo_id, check="journal")
        slot = self.add(algo, self.clock.now_ms())
        slot.inbox.put_nowait(None)
        self.out.log_line(f"algo {algo_id} started by {who}: {algo.describe()}", algo_id=algo_id)
        return CommandResult(True, f"algo {algo_id} started: {algo.describe()}", algo_id)

    def _refusal(self, algo: Algo) -> str:
        if algo.symbol not in self.instruments:
            return f"symbol: {algo.symbol} is not a configured, listed symbol"
        problem = self.client_ids.problem(f"{algo.algo_id}-999")
        return f"algo id: {problem}" if problem else ""

    def add(self, algo: Algo, started_ms: int) -> AlgoSlot:
        """Register ``algo`` and start its worker (start-up resume adds rebuilt algos here)."""
        slot = AlgoSlot(algo, started_ms)
        self.slots[algo.algo_id] = slot
        self.ticks.track(slot)
        for cid in algo.progress.children.values():
            self.owner[cid] = algo.algo_id
        slot.task = asyncio.get_running_loop().create_task(self._work(slot), name=f"algo-{algo.algo_id}")
        self._published(slot)
        return slot

    async def control(self, algo_id: str, action: str, who: str = "user") -> CommandResult:
        """Pause, resume or cancel one algo (journaled with who asked)."""
        slot = self.slots.get(algo_id)
        if slot is None or slot.ended:
            return CommandResult(False, f"no running algo {algo_id}", algo_id)
        refused = control_refusal(slot, action)
        if refused:
            return CommandResult(False, f"algo {algo_id} {refused}", algo_id)
        self.lifecycle.algo_control(algo_id, slot.algo.symbol, action, who)
        slot.wanted, slot.pending_controls = action, slot.pending_controls + 1
        slot.inbox.put_nowait((action, who))
        return CommandResult(True, f"algo {algo_id}: {action} requested", algo_id)

    async def stop_all(self, who: str = "panic") -> int:
        """Cancel every algo (journaled) and wait for them to end; how many there were."""
        live = [s for s in self.slots.values() if not s.ended]
        for slot in live:
            await self.control(slot.algo_id, "cancel", who)
        tasks = [s.task for s in live if s.task is not None]
        if tasks:
            await asyncio.wait(tasks, timeout=STOP_WAIT_S)
        return len(live)

    async def shutdown(self) -> None:
        """Stop the workers (engine stop): algos stay journaled as they are and resume next start."""
        tasks = [s.task for s in self.slots.values() if s.task is not None and not s.task.done()]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.states.flush()

    def algos(self) -> list[AlgoSnapshot]:
        """Every algo of this session: live ones first, then ended, each in start order."""
        slots = sorted(self.slots.values(), key=lambda s: (s.ended, s.started_ms))
        return [s.snapshot() for s in slots]

    def preview(self, kind: str, params: Mapping[str, Any]) -> AlgoPreview:
        """The children ``kind`` would place now (on a copy: nothing is sent or kept)."""
        try:
            algo = build_algo(kind, "preview", params)
        except ValueError as err:
            return AlgoPreview(kind, error=str(err))
        problem = self._refusal(algo)
        if problem:
            return AlgoPreview(kind, algo.describe(), error=problem)
        # Priced on the book the risk preview checks against: a chase at the live bid checked
        # against the published ask (one publish interval older) read as crossing on a rising market.
        actions = algo.start(self.view.published())
        ended = start_ends_at_once(actions)
        if ended:  # the algo would end as soon as it started: never show it as ready
            return AlgoPreview(kind, algo.describe(), error=ended)
        children = self._child_previews([a for a in actions if isinstance(a, Place)])
        later = self._child_previews(algo.later_orders(self.view.published()))
        return AlgoPreview(kind, algo.describe(), children, notes=(algo.progress.note,), later=later)

    def _child_previews(self, places: list[Place]) -> tuple[AlgoChildPreview, ...]:
        return tuple(
            AlgoChildPreview(p.tag, p.request, self.ports.preview(p.request), p.trigger_by) for p in places
        )

    # --- events in ---------------------------------------------------------------------------
    def on_engine_event(self, event: Event) -> None:
        """Route an order update or fill the engine published to the algos it concerns."""
        if isinstance(event, OrderUpdated):
            self._order_event(event)
        elif isinstance(event, FillReceived):
            algo_id = self.owner.get(event.fill.order_link_id)
            slot = self.slots.get(algo_id or "")
            if slot is not None and not slot.ended:
                slot.inbox.put_nowait(ChildFill(event.fill.order_link_id, event.fill))

    def _order_event(self, event: OrderUpdated) -> None:
        order, cid = event.order, event.order.order_link_id
        algo_id = self.owner.get(cid)
        if algo_id is None:
            for other in self.slots.values():
                if not other.ended:
                    other.inbox.put_nowait(OrderEvent(order))
            return
        if order.status is OrderStatus.CREATED:
            return  # the engine's own placeholder while the child is on its way: no venue news
        if order.status is OrderStatus.REJECTED and cid in self.placing:
            return  # reported as ChildRejected, with the check and the reason, when the place returns
        slot = self.slots.get(algo_id)
        if slot is not None and not slot.ended:
            slot.inbox.put_nowait(ChildUpdate(cid, order))

    def tick(self) -> None:
        """Queue the ticks that are due now (market moves, timers)."""
        self.ticks.tick()

    async def run(self) -> None:
        """The tick loop (a background task of the engine)."""
        await self.ticks.run()

    # --- the worker of one algo ---------------------------------------------------------------
    def _decide_now(self, slot: AlgoSlot, tick: Tick) -> Decided | None:
        """An idle algo's decision on ``tick``, made in the tick pass (its worker acts on it);
        None when the tick was skipped (the algo's reads had not moved: nothing to carry out)."""
        try:
            actions = decide_tick(self, slot, tick)
            return None if slot.skipped else Decided(tick, actions)
        except Exception as exc:  # noqa: BLE001 - handed to its worker, which logs it and fails the algo
            return Decided(tick, None, exc)

    async def _work(self, slot: AlgoSlot) -> None:
        while not slot.ended:
            item = await slot.inbox.get()
            slot.busy = True
            try:
                await self._step(slot, item)
            except Exception as exc:  # the algo's own failure: it fails (children cancelled), others go on
                log.exception("algo %s failed", slot.algo_id)
                slot.note = f"failed: {type(exc).__name__}: {exc}"
                slot.algo.status = AlgoState.FAILED
                await self._cancel_children(slot)
            finally:
                slot.busy = False
        await self._end(slot)

    async def _step(self, slot: AlgoSlot, item: Item) -> None:
        actions = await decide(self, slot, item)
        if actions is None:
            return
        pending = [a.tag for a in actions if isinstance(a, Place)]
        if pending:  # decided children are durable before any is sent (resume rejects the unsent),
            # and so are the step's timers (the algo's state remembers it asked for them)
            for action in actions:
                if isinstance(action, WakeAt):
                    self.wake(slot, action)
            self._journal_state(slot, pending)
        for action in actions:
            if not (pending and isinstance(action, WakeAt)):
                await self._act(slot, action)
        changed = self._journal_state(slot, [], batched=True)
        if changed or actions or slot.note:  # a quiet step that changed nothing has no news
            self._published(slot)

    async def _act(self, slot: AlgoSlot, action: Action) -> None:
        try:
            await execute(self, slot, action)
        except Exception as exc:  # an action that failed is journaled and told; the runner goes on
            log.exception("algo %s: %s failed", slot.algo_id, type(action).__name__)
            detail = f"{type(exc).__name__}: {exc}"
            self.error(slot, type(action).__name__.lower(), detail)
            child = getattr(action, "child_id", "") or slot.algo.progress.children.get(
                getattr(action, "tag", ""), ""
            )
            slot.inbox.put_nowait(ChildRejected(child, "engine", detail))

    def error(self, slot: AlgoSlot, what: str, detail: str) -> None:
        self.out.log_line(
            f"algo {slot.algo_id}: {what} failed: {detail}", Severity.ERROR, algo_id=slot.algo_id
        )
        try:
            self.lifecycle.algo_error(slot.algo_id, slot.algo.symbol, what, detail)
        except Exception:  # the journal's own failure is reported by the journal; the algo goes on
            log.exception("algo %s: error record not written", slot.algo_id)

    def _journal_state(self, slot: AlgoSlot, pending: list[str], *, batched: bool = False) -> bool:
        return self.states.write(slot, pending, batched=batched)

    async def _cancel_children(self, slot: AlgoSlot) -> None:
        for cid in slot.algo.working_children(self.view):
            await self._act(slot, Cancel(cid))

    async def _end(self, slot: AlgoSlot) -> None:
        algo = slot.algo
        reason = slot.note or algo.progress.note or algo.status.value
        self._journal_state(slot, [])
        try:  # durable, awaited off the loop; written even when the engine stops meanwhile
            await asyncio.shield(
                self.lifecycle.algo_end(algo.algo_id, algo.symbol, algo.status.value, reason)
            )
        except Exception:  # the end stays unjournaled: it is resumed and ends again next start
            log.exception("algo %s: end not journaled", algo.algo_id)
        for cid in algo.progress.children.values():
            self.owner.pop(cid, None)
        self.ticks.forget(slot)
        self.out.log_line(f"algo {algo.algo_id} {algo.status.value}: {reason}", algo_id=algo.algo_id)
        self._published(slot)

    def _published(self, slot: AlgoSlot) -> None:
        note = slot.note or slot.algo.progress.note
        self.out.publish(
            AlgoUpdated(self.clock.now_ms(), slot.algo_id, slot.algo.status.value, note), wake=True
        )

    # --- helpers for the executor module ------------------------------------------------------
    def child_request(self, slot: AlgoSlot, place: Place) -> OrderRequest:
        """The child's request as it goes down the order path: the algo named as its source."""
        return replace(
            place.request,
            source=f"algo:{slot.algo_id}",
            trigger_by=place.trigger_by or place.request.trigger_by,
        )

    def finish(self, slot: AlgoSlot, action: Finish) -> None:
        """Record how the algo said it ended."""
        if not slot.algo.status.terminal:
            slot.algo.status = action.state
        slot.note = action.reason

    def start_follow_up(self, slot: AlgoSlot, action: StartAlgo) -> Awaitable[CommandResult]:
        """Start a conditional's follow-up algo."""
        return self.start_algo(action.kind, action.params, who=f"algo:{slot.algo_id}")

    def wake(self, slot: AlgoSlot, action: WakeAt) -> None:
        """Remember a timer the algo asked for."""
        self.set_wakes(slot, [action.at_ms])

    def set_wakes(self, slot: AlgoSlot, wakes: list[int]) -> None:
        """Add timers (engine ms) to ``slot``."""
        self.ticks.add_wakes(slot, wakes)

    def amend_of(self, action: Amend) -> Awaitable[CommandResult]:
        """Amend a child through the engine's amend."""
        return self.ports.amend(action.child_id, action.qty, action.price, action.trigger_price)
