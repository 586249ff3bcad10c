"""Which journal records must be on disk before :meth:`Journal.record` returns: the one table.

Two classes:

* ``DURABLE`` — committed *and* fsynced before the write returns (``synchronous=FULL``). These
  are the records that must exist before something is sent (invariant 3): an order's intent and
  its risk decision, an amend or cancel about to go out, an algo's child about to be placed, an
  algo's start and end, and the rare control records (panic, mode, start, breakers).
* ``LAZY`` — committed without waiting for the disk (``synchronous=NORMAL`` in WAL mode): the
  commit is in the operating system's hands when the write returns, so it survives the process
  being killed, but a power cut may lose the last of them. These are what the venue said or what
  is re-derived after a restart: acks, order updates, fills, rejections, reconcile notes, request
  retries, algo state snapshots and errors, alerts.

A batch is durable when any of its records is. Since the write-ahead log is one file written in
order, the fsync of a durable commit also makes every lazy commit before it durable: a power
cut loses at most the lazy records after the last durable one, never one in the middle.
Unknown kinds are durable (the safe default for a kind added later).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum


class Durability(Enum):
    """How a record is committed."""

    DURABLE = "durable"
    """Fsynced before the write returns."""
    LAZY = "lazy"
    """Committed (survives a process kill) without waiting for the fsync."""


LAZY_KINDS = frozenset(
    {
        "request",
        "ack",
        "reject",
        "order_update",
        "fill",
        "reconcile",
        "algo_state",
        "algo_error",
        "alert",
        "error",
    }
)
"""Record kinds written without waiting for the disk; every other kind is durable.

Losing one of these in a power cut is safe: after a restart the engine asks the venue for
every order whose intent has no closing record (reconciliation, by client order id), an algo
resumes from the last state that reached the disk and finds its children by their ids (each
child's ``algo_child`` record is durable), and alerts are re-raised by the health checks."""


def durability(kind: str) -> Durability:
    """The class of a record of ``kind``."""
    return Durability.LAZY if kind in LAZY_KINDS else Durability.DURABLE


def batch_durability(kinds: Iterable[str]) -> Durability:
    """The class of a batch: durable when any record in it is."""
    return Durability.LAZY if all(k in LAZY_KINDS for k in kinds) else Durability.DURABLE
