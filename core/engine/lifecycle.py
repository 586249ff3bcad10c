"""The one place that writes an order's lifecycle to the journal.

Intent, risk decision, ack, venue rejection, cancel, cancel-all, amend, order update, fill,
reconciliation, and the position commands (TP/SL, leverage): every record the engine writes about
an order goes through :class:`OrderJournal`, so its kinds and fields are defined once.

The records written just before a send are awaited and group-committed by the journal's writer
thread (:mod:`core.journal.writer`): commands issued together share one fsync, off the event
loop. How each kind is committed is decided by kind in one table,
:data:`core.journal.durability.LAZY_KINDS`: the records that must exist before a send (the
intent with its risk decision, an amend, a cancel, an algo's start and child) are fsynced before
the method returns; what the venue said (ack, rejection, order update, fill, reconcile) and an
algo's state are committed without waiting for the disk (a killed process loses none of them;
a power cut may lose the last few, and reconciliation asks the venue for those orders).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from core.journal.journal import Journal
from core.model import Fill, Order, OrderRequest
from core.orders.executor import JournalEntry


class OrderJournal:
    """Writes order-lifecycle records to ``journal`` (committed when a method returns; durable
    ones fsynced too, see the module docstring)."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    # --- entries batched with the first send ----------------------------------------------------
    @staticmethod
    def intent(request: OrderRequest, link_id: str) -> JournalEntry:
        """The intent record of a new order (written with its decision, just before it is sent)."""
        data = {
            "side": request.side.value,
            "qty": str(request.qty),
            "price": str(request.price) if request.price is not None else "",
            "order_type": request.order_type.value,
            "reduce_only": request.reduce_only,
            "source": request.source,
        }
        return ("intent", request.symbol, link_id, data)

    @staticmethod
    def approved(symbol: str, link_id: str) -> JournalEntry:
        """The risk chain's approval of ``link_id``."""
        return ("risk_decision", symbol, link_id, {"approved": True})

    def refused(
        self,
        symbol: str,
        link_id: str,
        check: str,
        reason: str,
        intent: JournalEntry | None = None,
        *,
        action: str = "",
    ) -> None:
        """A refusal by a named check (with the intent it settles, when there is one).

        ``action`` names a command on an existing order (``amend``): the refusal is then recorded
        under that order's id with ``action`` set, so it never reads as the order's own rejection.
        """
        data: dict[str, object] = {"approved": False, "check": check, "reason": reason}
        if action:
            data["action"] = action
        decision: JournalEntry = ("risk_decision", symbol, link_id, data)
        self.journal.record_many([intent, decision] if intent else [decision])

    # --- what the venue said ---------------------------------------------------------------------
    def placed(self, symbol: str, link_id: str, order_id: str, attempts: int) -> None:
        """The venue acknowledged a new order."""
        self.journal.record("ack", symbol=symbol, order_link_id=link_id, order_id=order_id, attempts=attempts)

    def ack(self, symbol: str, link_id: str = "", **data: Any) -> None:
        """The venue acknowledged a command (``action`` and its details in ``data``)."""
        self.journal.record("ack", symbol=symbol, order_link_id=link_id, **data)

    def rejected(self, symbol: str, link_id: str, ret_code: int, message: str, *, action: str = "") -> None:
        """The venue rejected an order (or, with ``action``, a command)."""
        extra = {"action": action} if action else {}
        self.journal.record(
            "reject", symbol=symbol, order_link_id=link_id, **extra, ret_code=ret_code, message=message
        )

    def order_update(self, order: Order) -> None:
        """An order update pushed by the venue."""
        self.journal.record(
            "order_update",
            symbol=order.symbol,
            order_link_id=order.order_link_id,
            status=order.status.value,
            filled=str(order.filled_qty),
            reject_reason=order.reject_reason,
        )

    def fill(self, fill: Fill, *, backfilled: bool = False) -> None:
        """An execution (``backfilled`` when fetched over REST after a socket outage)."""
        data: dict[str, str | bool] = {
            "exec_id": fill.exec_id,
            "side": fill.side.value,
            "qty": str(fill.qty),
            "price": str(fill.price),
            "fee": str(fill.fee),
        }
        if backfilled:
            data["backfilled"] = True
        self.journal.record("fill", symbol=fill.symbol, order_link_id=fill.order_link_id, **data)

    # --- commands on working orders ---------------------------------------------------------------
    async def cancel(self, symbol: str, link_id: str) -> None:
        """A cancel about to be sent (group-committed with the commands issued alongside it)."""
        await self.journal.record_grouped([("cancel", symbol, link_id, {})])

    async def cancel_all(self, symbol: str | None) -> None:
        """A cancel-all about to be sent."""
        await self.journal.record_grouped([("cancel_all", symbol or "", "", {})])

    async def amend(self, symbol: str, link_id: str, fields: Mapping[str, str], *, required: bool) -> None:
        """An amend about to be sent (``required``: refuse it unsent when the journal cannot
        write); group-committed with the commands issued alongside it."""
        await self.journal.record_grouped([("amend", symbol, link_id, fields)], required=required)

    def trading_stop(self, symbol: str, **fields: str) -> None:
        """A position TP/SL change about to be sent."""
        self.journal.record("trading_stop", symbol=symbol, **fields)

    def set_leverage(self, symbol: str, leverage: str) -> None:
        """A leverage change about to be sent (refused unsent when the journal cannot write)."""
        self.journal.record_many([("set_leverage", symbol, "", {"leverage": leverage})], required=True)

    # --- reconciliation ----------------------------------------------------------------------------
    def reconciled(self, symbol: str, link_id: str, *, found: bool, detail: str) -> None:
        """The venue's answer about an order whose outcome was unknown."""
        self.journal.record(
            "reconcile", symbol=symbol, order_link_id=link_id, found=found, resolved=True, detail=detail
        )

    def reconcile_clean(self) -> None:
        """A reconciliation found nothing to report."""
        self.journal.record("reconcile", clean=True)

    # --- execution algos -------------------------------------------------------------------------
    def algo_start(self, algo_id: str, kind: str, symbol: str, params: Mapping[str, Any], who: str) -> None:
        """An algo was started with ``params`` (durable before its first decision)."""
        self.journal.record_many(
            [
                (
                    "algo_start",
                    symbol,
                    algo_id,
                    {"algo_id": algo_id, "kind": kind, "params": dict(params), "who": who},
                )
            ],
            required=True,
        )

    async def algo_child(self, algo_id: str, symbol: str, tag: str, link_id: str) -> None:
        """A child is about to be sent (durable before the child's own intent; group-committed)."""
        await self.journal.record_grouped(
            [("algo_child", symbol, link_id, {"algo_id": algo_id, "tag": tag})], required=True
        )

    def algo_state(self, algo_id: str, symbol: str, status: str, state: Mapping[str, Any]) -> None:
        """The algo's :meth:`~core.orders.algos.base.Algo.state` after a step that changed it."""
        self.journal.record(
            "algo_state",
            symbol=symbol,
            order_link_id=algo_id,
            algo_id=algo_id,
            status=status,
            state=dict(state),
        )

    def algo_control(self, algo_id: str, symbol: str, action: str, who: str) -> None:
        """A pause, resume or cancel, and who asked for it."""
        self.journal.record(
            "algo_control", symbol=symbol, order_link_id=algo_id, algo_id=algo_id, action=action, who=who
        )

    def algo_error(self, algo_id: str, symbol: str, what: str, detail: str) -> None:
        """An action of the algo failed (the algo is told; the runner goes on)."""
        self.journal.record(
            "algo_error", symbol=symbol, order_link_id=algo_id, algo_id=algo_id, what=what, detail=detail
        )

    def algo_end(self, algo_id: str, symbol: str, status: str, reason: str) -> asyncio.Future[int]:
        """The algo ended (done, cancelled or failed) and why: queued now (durable), committed
        and fsynced by the journal's writer thread when the returned future is done."""
        data = {"algo_id": algo_id, "status": status, "reason": reason}
        return self.journal.record_queued([("algo_end", symbol, algo_id, data)])
