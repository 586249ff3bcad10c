"""After a restart: every journaled algo without an ``algo_end`` is rebuilt and carries on.

Run at start-up after the account sync and the journal's reconciliation (a child whose send was
cut off is settled by client order id first). Each algo is rebuilt with ``from_params`` and
``restore(last algo_state)``; the children the journal names (``algo_child``, written before each
send) are its children; each child's current order is reported to it (the engine's open orders,
else the venue's answer by client order id); a child decided or journaled but never sent is
reported as rejected (``restart``), so the algo decides again and nothing is sent twice; its
timers are rescheduled and it gets a tick at once. Fills that happened while the engine was down
come from the engine's backfill of the venue's executions, as ChildFill events.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from core.engine.algo_slot import AlgoSlot
from core.engine.algos import AlgoRunner
from core.journal.journal import Journal, JournalRecord
from core.model import Order
from core.orders.algos.base import LOST_CHECK, Algo, ChildRejected, ChildUpdate, Tick
from core.orders.algos.registry import build_algo
from core.resilience.errors import VenueError

log = logging.getLogger(__name__)

ALGO_KINDS = ("algo_start", "algo_child", "algo_state", "algo_end")
NEVER_SENT = "not sent: the engine stopped before sending it"

FindOrder = Callable[[str, str], Awaitable[Order | None]]
"""Ask the venue for one order by (symbol, client order id)."""
Backfill = Callable[[], Awaitable[int]]
"""Fetch the executions the engine missed and publish each new one (FillReceived)."""


@dataclass(slots=True)
class _Journaled:
    start: JournalRecord
    children: dict[str, str] = field(default_factory=dict)
    """tag -> client order id, from ``algo_child``."""
    state: dict[str, Any] | None = None
    status: str = ""
    ended: bool = False


def _collect(journal: Journal) -> dict[str, _Journaled]:
    found: dict[str, _Journaled] = {}
    for rec in journal.query(kinds=ALGO_KINDS):
        algo_id = str(rec.data.get("algo_id", ""))
        if rec.kind == "algo_start":
            found[algo_id] = _Journaled(rec)
            continue
        entry = found.get(algo_id)
        if entry is None:
            continue
        if rec.kind == "algo_child":
            entry.children[str(rec.data.get("tag", ""))] = rec.order_link_id
        elif rec.kind == "algo_state":
            entry.state = rec.data.get("state")
            entry.status = str(rec.data.get("status", ""))
        else:
            entry.ended = True
    return found


def _child_number(cid: str) -> int:
    tail = cid.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


async def resume_algos(
    runner: AlgoRunner, journal: Journal, find_order: FindOrder, backfill: Backfill | None = None
) -> int:
    """Rebuild and restart every unfinished algo in ``journal``; how many were resumed. Then the
    engine's ``backfill`` fetches the venue's executions missed while it was down: each fill of a
    resumed algo's child reaches the algo as a ChildFill (its ledger counts an execution id once,
    whatever the order updates said)."""
    resumed = 0
    for algo_id, entry in _collect(journal).items():
        if entry.ended:
            continue
        try:
            algo = _rebuild(algo_id, entry)
        except (ValueError, KeyError, TypeError) as exc:
            reason = f"could not be resumed: {type(exc).__name__}: {exc}"
            await runner.lifecycle.algo_end(algo_id, entry.start.symbol, "failed", reason)
            runner.out.log_line(f"algo {algo_id} {reason}")
            continue
        await _restart(runner, algo, entry, find_order)
        resumed += 1
    if resumed and backfill is not None:
        try:
            await backfill()
        except VenueError as exc:  # the next stream reconnect backfills again; the algos go on
            runner.out.log_line(f"algo fills while stopped not fetched: {exc}")
    return resumed


def _rebuild(algo_id: str, entry: _Journaled) -> Algo:
    data = entry.start.data
    algo = build_algo(str(data["kind"]), algo_id, data.get("params") or {})
    record = entry.state or {}
    state = record.get("state")
    if state is not None:
        algo.restore(state)
    for tag, cid in entry.children.items():
        algo.progress.children.setdefault(tag, cid)
    return algo


async def _restart(runner: AlgoRunner, algo: Algo, entry: _Journaled, find_order: FindOrder) -> None:
    record = entry.state or {}
    slot = runner.add(algo, entry.start.ts_ms)
    slot.next_child = 1 + max((_child_number(c) for c in algo.progress.children.values()), default=0)
    runner.set_wakes(slot, [int(w) for w in record.get("wakes", [])])
    slot.note = ""
    if entry.state is None and not entry.children:
        slot.inbox.put_nowait(None)  # it never took its first decision: start it now
    for tag in record.get("pending", []):
        if tag not in algo.progress.children:
            cid = f"{algo.algo_id}-{slot.next_child}"
            slot.next_child += 1
            await runner.lifecycle.algo_child(algo.algo_id, algo.symbol, tag, cid)
            algo.progress.children[tag] = cid
            runner.owner[cid] = algo.algo_id
            slot.inbox.put_nowait(ChildRejected(cid, "restart", NEVER_SENT))
    for cid in list(algo.progress.children.values()):
        await _report_child(runner, slot, cid, find_order)
    slot.inbox.put_nowait(Tick(runner.clock.now_ms()))
    slot.tick_queued = True
    runner.out.log_line(f"algo {algo.algo_id} resumed: {algo.describe()}", algo_id=algo.algo_id)


async def _report_child(runner: AlgoRunner, slot: AlgoSlot, cid: str, find_order: FindOrder) -> None:
    order = runner.state.orders.get(cid)
    if order is None:
        try:
            order = await find_order(slot.algo.symbol, cid)
        except VenueError as exc:  # the venue could not be asked: the next sync tells the algo
            log.warning("algo %s: child %s could not be looked up: %s", slot.algo_id, cid, exc)
            return
    if order is not None:
        slot.inbox.put_nowait(ChildUpdate(cid, order))
        return
    if not runner.lifecycle.journal.query(kinds=["intent"], order_link_id=cid):
        slot.inbox.put_nowait(ChildRejected(cid, "restart", NEVER_SENT))
        return
    slot.inbox.put_nowait(ChildRejected(cid, LOST_CHECK, "the venue does not know it after a restart"))
