"""Group commit: the durable records of commands issued together share one fsync.

A durable record (an order's intent, an amend or cancel about to go out, an algo's child) must be
on disk before its command is sent, and on an ordinary disk an fsync costs 0.5-7 ms. When many
commands are issued at once (twenty algos re-pricing on one market move, a panic cancelling every
order), writing each intent in its own fsynced transaction makes the k-th command wait for k
fsyncs before it is sent.

:class:`GroupCommit` lets a caller *await* its durable write instead. The first caller of an event
loop iteration schedules a flush with ``call_soon``; every caller that reaches its write before
the flush runs (the other tasks already woken in that iteration) joins the same batch. The flush
writes the whole batch in one transaction with one fsync and wakes each caller; each caller's
records are on disk when its ``await`` returns, so invariant 3 (journal before send) holds exactly
as with :meth:`Journal.record_many`.

Failures keep :meth:`Journal.record_many`'s per-caller meaning: when SQLite refuses the batch,
each caller's records are written again on their own, so a ``required`` caller gets
:class:`~core.journal.journal.JournalUnwritable` (nothing of it recorded: it must not send) and
any other has its records kept in the fallback file.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.journal.journal import Journal

log = logging.getLogger(__name__)

Entry = tuple[str, str, str, Mapping[str, Any]]
"""(kind, symbol, order_link_id, data): one journal record."""


@dataclass(slots=True)
class _Waiter:
    entries: Sequence[Entry]
    required: bool
    done: asyncio.Future[int]


class GroupCommit:
    """Batches the durable writes awaited in one event-loop iteration into one transaction."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self._batch: list[_Waiter] = []
        self.batches = 0
        """Transactions written so far (for tests and diagnostics)."""
        self.records = 0
        """Callers served so far; ``records / batches`` is the mean group size."""

    async def write(self, entries: Sequence[Entry], *, required: bool = False) -> int:
        """Append ``entries`` with those of every caller of this loop iteration; return when
        they are committed (and fsynced when durable). The ``seq`` returned is the batch's last.

        ``required`` as in :meth:`Journal.record_many`: raise ``JournalUnwritable`` (nothing of
        this caller recorded) rather than keep the records in the fallback file.
        """
        loop = asyncio.get_running_loop()
        waiter = _Waiter(entries, required, loop.create_future())
        if not self._batch:
            loop.call_soon(self.flush)
        self._batch.append(waiter)
        return await waiter.done

    def flush(self) -> None:
        """Write the gathered batch now (the journal's close calls it too)."""
        batch = [waiter for waiter in self._batch if not waiter.done.done()]  # not cancelled
        self._batch = []
        if not batch:
            return
        self.batches += 1
        self.records += len(batch)
        entries = [entry for waiter in batch for entry in waiter.entries]
        try:
            seq = self.journal.record_many(entries, required=True)
        except Exception:  # noqa: BLE001 - each caller gets its own outcome, written alone below
            log.warning("journal: a batch of %d writes was refused; writing each alone", len(batch))
            for waiter in batch:
                self._alone(waiter)
            return
        for waiter in batch:
            if not waiter.done.done():
                waiter.done.set_result(seq)

    def _alone(self, waiter: _Waiter) -> None:
        try:
            waiter.done.set_result(self.journal.record_many(waiter.entries, required=waiter.required))
        except Exception as exc:  # noqa: BLE001 - handed to the caller that awaits it
            waiter.done.set_exception(exc)


__all__ = ["GroupCommit"]
