"""The journal's writer thread: SQLite's commits and fsyncs run off the event loop.

An fsync costs 0.5-9 ms on an ordinary disk. When it ran on the event loop, twenty algos
reacting to one market move each waited behind the commits of the ones before them. Now the
loop only *queues* records; one writer thread (a single-thread executor, FIFO) takes everything
queued so far and commits it in one transaction, fsynced when any of it is durable:

* **Durable records awaited** (:meth:`~core.journal.journal.Journal.record_grouped`: an order's
  intent, an amend, a cancel, an algo's child): the caller's ``await`` resolves only after the
  thread's commit *and* fsync of its records returned, so journal-before-send holds as before. A
  required write SQLite refuses raises ``JournalUnwritable`` to that caller (nothing of it
  recorded, nothing sent); the others of a refused batch are written alone, or kept in the
  fallback file, exactly as a direct write would.
* **Lazy records** (acks, order updates, fills, algo states) written by synchronous code on the
  event loop are queued and return at once; the thread commits them without an fsync.
* **One queue, call order**: durable and lazy records share it, so they are in the file in the
  order they were written. Every queued item of one loop turn goes in one transaction (the kick
  is scheduled with ``call_soon``), and what arrives while the thread is in an fsync goes in the
  next one: one fsync for all the commands of a market move.
* **Reads and direct writes drain first**: a read (queries, reconciliation, recovery) or a write
  that must finish before it returns (a durable or required record from synchronous code, the
  start-up records) takes the connection's lock and writes everything queued before it, so it
  sees every record written before it. The lock serialises the connection: one thread uses it at
  a time.

What a ``kill -9`` loses: at most the lazy records queued but not yet committed by the thread (a
few milliseconds' worth). A durable record is never lost once its caller was told: the ``await``
resolves after its fsync. :meth:`~core.journal.journal.Journal.close` drains the queue.

One journal serves one event loop: the waiters' results and the journal's callbacks (state,
refusals, write durations) are handed back to that loop, never run on the writer thread.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

log = logging.getLogger(__name__)

Row = tuple[int, str, str, str, str]
"""(ts_ms, kind, symbol, order_link_id, data JSON): one journal row, ready to insert."""
Notice = Callable[[], None]
"""Something to run on the event loop once a drain is done (a waiter's result, a callback)."""


@dataclass(slots=True)
class Pending:
    """One caller's records, waiting in the queue."""

    rows: list[Row]
    durable: bool
    required: bool = False
    done: asyncio.Future[int] | None = None
    """The awaiting caller's future; None for a queued lazy record nobody waits for."""

    @property
    def wanted(self) -> bool:
        """False when its caller was cancelled before the write (nothing of it is written)."""
        return self.done is None or not self.done.done()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def settle(item: Pending, seq: int, error: BaseException | None = None) -> Notice:
    """The notice that hands ``item``'s outcome to its awaiting caller (a no-op without one)."""

    def apply() -> None:
        done = item.done
        if done is None or done.done():
            return
        try:
            if error is not None:
                done.set_exception(error)
            else:
                done.set_result(seq)
        except RuntimeError as exc:  # its loop is closed: the caller is gone
            log.warning("journal: a write's outcome found its event loop closed: %s", exc)

    return apply


def run_notices(notices: Iterable[Notice]) -> None:
    """Run the notices in order; one that raises (a callback's bug) is logged and the others
    still run, so no waiter is left waiting."""
    for notice in notices:
        try:
            notice()
        except Exception:
            log.exception("journal: a write's notice failed")


class JournalWriter:
    """The queue of records and the one thread that commits them.

    ``commit`` writes a drained list of items (the connection's lock held) and returns the
    notices to run on the loop afterwards: the callers' results and the journal's callbacks.
    """

    def __init__(self, lock: threading.Lock, commit: Callable[[list[Pending]], list[Notice]]) -> None:
        self._lock = lock
        self._commit = commit
        self._queue: list[Pending] = []
        self._qlock = threading.Lock()
        self._kicked = False
        self._in_flight = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._executor: ThreadPoolExecutor | None = None
        self.inline = False
        """Drain on the loop itself, no thread (a throwaway journal that never fsyncs)."""
        self.closed = False
        self.batches = 0
        """Transactions the drains wrote (for tests and diagnostics)."""
        self.records = 0
        """Items written by the drains; ``records / batches`` is the mean group size."""

    def put(self, item: Pending) -> None:
        """Queue ``item``; from the event loop the drain starts at the end of this loop turn."""
        loop = _running_loop()
        with self._qlock:
            self._queue.append(item)
            self._in_flight += 1
            kick, self._kicked = not self._kicked, True
        if not kick:
            return
        if loop is None:
            self._kick()
        else:
            self._loop = loop
            loop.call_soon(self._kick)

    def _kick(self) -> None:
        if self.closed:
            return
        if self.inline:
            with self._lock:
                notices = self.drain_locked()
            self.post(notices)
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal-writer")
        self._executor.submit(self._job)

    def _job(self) -> None:
        """The writer thread's drain."""
        with self._lock:
            if self.closed:
                return
            notices = self.drain_locked()
        self.post(notices)

    def drain_locked(self) -> list[Notice]:
        """Write everything queued so far, in order (the connection's lock held); the notices
        are for :meth:`post`, once the lock is released."""
        with self._qlock:
            taken, self._queue = self._queue, []
            self._kicked = False
        if not taken:
            return []
        items = [item for item in taken if item.wanted]
        try:
            notices = self._commit(items) if items else []
        except Exception as exc:  # every waiter is told: none may wait forever
            log.exception("journal: the writer failed to write %d queued item(s)", len(items))
            notices = [settle(item, 0, exc) for item in items]
        if any(item.rows for item in items):
            self.batches += 1
            self.records += len(items)
        return [*notices, partial(self._finished, len(taken))]

    def _finished(self, count: int) -> None:
        with self._qlock:
            self._in_flight -= count

    @property
    def idle(self) -> bool:
        """True when everything queued has been written and its outcome handed back."""
        return self._in_flight == 0

    async def settled(self) -> None:
        """Return once everything queued before this call is written and its waiters told (a
        test on a virtual clock lets the engine finish an instant before time moves on)."""
        if self.idle or self.closed:
            return
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.put(Pending([], durable=False, done=done))
        await done

    def post(self, notices: list[Notice]) -> None:
        """Run ``notices`` on the event loop: here when this is the loop's thread (or there is
        no loop), else handed to the loop in order."""
        if not notices:
            return
        loop = self._loop
        if loop is None or loop is _running_loop():
            run_notices(notices)
            return
        try:
            loop.call_soon_threadsafe(run_notices, notices)
        except RuntimeError:  # the loop is closed: nobody awaits these any more
            log.warning("journal: event loop closed; %d notice(s) run on the writer thread", len(notices))
            run_notices(notices)

    def shutdown(self) -> None:
        """Stop the thread (after :attr:`closed` is set and the queue drained)."""
        self.closed = True
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None


__all__ = ["JournalWriter", "Notice", "Pending", "Row", "run_notices", "settle"]
