"""The ``algo_state`` records of the runner's algos: written at once when a step is about to send
children (the tags it decided must be durable before any is sent, so a restart can reject the
unsent), otherwise gathered and written together once the steps ready to run have run — one
transaction (one fsync) for every algo that moved on the same market update, instead of one each
on the event loop. A crash before that write loses only the last step's state: its children are
journaled (``algo_child``) before they are sent and reported from the venue on resume."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any

from core.engine.algo_slot import AlgoSlot
from core.engine.lifecycle import OrderJournal

log = logging.getLogger(__name__)

Failed = Callable[[AlgoSlot, str, str], None]
"""Report that a slot's record could not be written (slot, what, detail)."""


class StateWriter:
    """Writes each algo's state record when it changed, now or batched (see the module)."""

    def __init__(self, lifecycle: OrderJournal, failed: Failed) -> None:
        self.lifecycle = lifecycle
        self.failed = failed
        self._unsaved: dict[str, tuple[AlgoSlot, dict[str, Any]]] = {}
        self._scheduled = False

    def write(self, slot: AlgoSlot, pending: list[str], *, batched: bool = False) -> bool:
        """Journal ``slot``'s state when it changed since the last record (True then); ``batched``
        lets it wait for the other steps that are ready to run."""
        state = slot.algo.state()
        key = (slot.algo.status, state, pending, sorted(slot.wakes))
        if key == slot.last_state:
            held = None if batched else self._unsaved.pop(slot.algo_id, None)
            if held is not None:  # an ending algo: its gathered record goes before what follows
                self._now(slot, held[1])
            return False
        slot.last_state = key
        record = {"state": state, "pending": pending, "wakes": sorted(slot.wakes), "note": slot.note}
        if not batched:
            self._unsaved.pop(slot.algo_id, None)  # this one is newer
            self._now(slot, record)
            return True
        self._unsaved[slot.algo_id] = (slot, record)
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self.flush)
        return True

    def _now(self, slot: AlgoSlot, record: dict[str, Any]) -> None:
        self.lifecycle.algo_state(slot.algo_id, slot.algo.symbol, slot.algo.status.value, record)

    def flush(self) -> None:
        """Write every gathered record in one transaction (engine stop calls it too)."""
        self._scheduled = False
        batch, self._unsaved = list(self._unsaved.values()), {}
        if not batch:
            return
        try:
            self.lifecycle.journal.record_many([_entry(slot, record) for slot, record in batch])
        except Exception as exc:  # reported per algo; the next step that changes it writes again
            log.exception("algo states not journaled")
            for slot, _ in batch:
                slot.last_state = None
                self.failed(slot, "state", f"{type(exc).__name__}: {exc}")


def _entry(slot: AlgoSlot, record: Mapping[str, Any]) -> tuple[str, str, str, Mapping[str, Any]]:
    """The same record :meth:`OrderJournal.algo_state` writes."""
    data = {"algo_id": slot.algo_id, "status": slot.algo.status.value, "state": dict(record)}
    return ("algo_state", slot.algo.symbol, slot.algo_id, data)
