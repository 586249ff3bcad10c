"""One running algo inside the engine: the algo, its inbox of events and what the pane shows."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from core.api import AlgoSnapshot
from core.orders.algos.base import Action, Algo, AlgoEvent, AlgoState, Tick

ControlItem = tuple[str, str]
"""A trader's command for the algo's worker: (``pause`` | ``resume`` | ``cancel``, who)."""


@dataclass(frozen=True, slots=True)
class Decided:
    """A market tick the algo has already decided on: the tick loop lets every algo a market move
    concerns decide first (cheap, pure) and only then hands the actions to their workers, so no
    algo's decision waits behind another's order commands."""

    tick: Tick
    actions: list[Action] | None
    error: Exception | None = None
    """The algo's own failure while deciding (its worker fails it, as for any step)."""


Item = AlgoEvent | ControlItem | Decided | None
"""What an algo's inbox holds: an event, a control, a decided tick, or None (start)."""


@dataclass(slots=True)
class AlgoSlot:
    """An algo with its inbox (events are decided one at a time, in order), its timers and the
    market versions it last saw."""

    algo: Algo
    started_ms: int
    inbox: asyncio.Queue[Item] = field(default_factory=asyncio.Queue)
    task: asyncio.Task[None] | None = None
    wakes: list[int] = field(default_factory=list)
    """Times (engine ms) the algo asked to be woken at."""
    tick_queued: bool = False
    busy: bool = False
    """Its worker is carrying out a step (a tick then waits in the inbox, decided in turn)."""
    next_child: int = 1
    resume_status: AlgoState = AlgoState.RUNNING
    """The state a pause came from (a resume returns to it)."""
    wanted: str = ""
    """The last pause / resume / cancel accepted and not yet carried out by the worker ("" when
    every accepted one is): the next request is judged against it, not against the state."""
    pending_controls: int = 0
    held: list[AlgoEvent] = field(default_factory=list)
    """Child and order events that arrived while paused, delivered on resume."""
    last_state: Any = None
    note: str = ""
    quiet: tuple[Any, ...] | None = None
    """The declared reads at the algo's last market tick that decided nothing (None: the next
    tick decides; see :meth:`~core.orders.algos.base.Algo.tick_reads`)."""
    skipped: bool = False
    """The last tick was skipped: its reads were :attr:`quiet`."""

    @property
    def algo_id(self) -> str:
        """The algo's id."""
        return self.algo.algo_id

    @property
    def ended(self) -> bool:
        """True once the algo is done, cancelled or failed."""
        return self.algo.status.terminal

    def due_wake(self, now_ms: int) -> bool:
        """True when a timer the algo asked for is due (and forgets the due ones)."""
        due = [w for w in self.wakes if w <= now_ms]
        if due:
            self.wakes = [w for w in self.wakes if w > now_ms]
        return bool(due)

    def snapshot(self) -> AlgoSnapshot:
        """What the algos pane shows."""
        algo, prog = self.algo, self.algo.progress
        side = getattr(algo, "side", None)
        side_text = str(getattr(side, "value", side)) if side is not None else ""
        return AlgoSnapshot(
            id=algo.algo_id,
            kind=algo.kind,
            symbol=algo.symbol,
            side=side_text,
            state=algo.status.value,
            filled=prog.filled,
            total=prog.total if prog.total else Decimal(0),
            avg_price=prog.avg_price,
            arrival_price=prog.arrival_price,
            note=self.note or prog.note,
            describe=algo.describe(),
            started_ms=self.started_ms,
            children=len(prog.children),
        )


def control_refusal(slot: AlgoSlot, action: str) -> str:
    """Why ``action`` (pause, resume, cancel) is refused now ("" when accepted), judged against
    the requests already accepted and still queued before the algo's state."""
    if slot.wanted == "cancel":
        return "is being cancelled"
    paused = slot.wanted == "pause" if slot.wanted else slot.algo.status is AlgoState.PAUSED
    if action == "pause" and paused:
        return "pause already requested" if slot.wanted else "is paused"
    if action == "resume" and not paused:
        return "resume already requested" if slot.wanted else f"is {slot.algo.status.value}"
    return ""
