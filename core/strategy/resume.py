"""After a restart: the strategies the last session left running, read back from the journal.

A strategy started from the console is journaled ``strategy_start`` (its name, symbol, loader spec,
parameters, allocation and timeframe); a stop, a kill or a failure ends it (``strategy_stop``,
``strategy_kill``, ``strategy_fail``; quitting the console stops them all). A start with no end
after it is a strategy that was running when the console died: :func:`unfinished` finds it,
:func:`own_links` names the client order ids it sent since that start (its ``intent`` records carry
``source="strategy:<name>"``) and :func:`own_fills` reads back the fills of those ids, so its own
position and PnL are rebuilt exactly (the engine's start-up has journaled the fills it missed while
down). :func:`warm_candles` fetches the venue's klines of its timeframe so its indicators are warm
before it may trade.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import TYPE_CHECKING, Any

from core.model import Fill, Side
from core.resilience.errors import VenueError

if TYPE_CHECKING:
    from core.engine import Engine
    from core.journal.journal import Journal, JournalRecord

START = "strategy_start"
ENDS = ("strategy_stop", "strategy_killing", "strategy_kill", "strategy_fail")
"""Records after which a strategy never comes back (``strategy_killing`` is written before a kill
acts, so a console that dies in the middle of a kill does not restart what the trader killed)."""
KLINE_LIMIT = 1_000
"""Klines asked for at resume (one request: Bybit's maximum page)."""
DEFAULT_TIMEFRAME = "1m"
"""The timeframe of a start journaled before the timeframe was (the console's default)."""


@dataclass(frozen=True, slots=True)
class Unfinished:
    """One strategy the journal shows running when the last session ended."""

    seq: int
    """The ``strategy_start`` record's sequence number (its orders come after it)."""
    name: str
    symbol: str
    spec: str
    params: dict[str, Any]
    allocation: Decimal | None
    timeframe: str

    @property
    def pairs(self) -> list[str]:
        """The parameters as ``k=v`` words, as a start takes them."""
        return [f"{k}={v}" for k, v in self.params.items()]


def unfinished(journal: Journal) -> list[Unfinished]:
    """Every strategy whose last ``strategy_start`` has no stop, kill or failure after it, in start
    order."""
    open_: dict[str, JournalRecord] = {}
    for rec in journal.query(kinds=(START, *ENDS)):
        name = str(rec.data.get("name", ""))
        if rec.kind == START:
            open_[name] = rec
        else:
            open_.pop(name, None)
    return [_unfinished(rec) for rec in open_.values()]


def _unfinished(rec: JournalRecord) -> Unfinished:
    data = rec.data
    alloc = data.get("allocation")
    try:
        allocation = Decimal(str(alloc)) if alloc not in (None, "") else None
    except InvalidOperation:
        allocation = None
    params = data.get("params")
    return Unfinished(
        seq=rec.seq,
        name=str(data.get("name", "")),
        symbol=rec.symbol,
        spec=str(data.get("spec", "")),
        params=dict(params) if isinstance(params, dict) else {},
        allocation=allocation,
        timeframe=str(data.get("timeframe") or DEFAULT_TIMEFRAME),
    )


def own_links(journal: Journal, name: str, since_seq: int) -> set[str]:
    """Client order ids of the orders strategy ``name`` sent after its start record."""
    source = f"strategy:{name}"
    return {
        rec.order_link_id
        for rec in journal.query(since_seq=since_seq, kinds=("intent",))
        if rec.data.get("source") == source and rec.order_link_id
    }


def own_fills(journal: Journal, links: Iterable[str], since_seq: int) -> list[Fill]:
    """The journaled fills of ``links`` after ``since_seq``, oldest first, one per execution id."""
    wanted = set(links)
    seen: set[str] = set()
    fills: list[Fill] = []
    for rec in journal.query(since_seq=since_seq, kinds=("fill",)):
        exec_id = str(rec.data.get("exec_id", ""))
        if rec.order_link_id not in wanted or not exec_id or exec_id in seen:
            continue
        seen.add(exec_id)
        fills.append(_fill(rec, exec_id))
    return fills


def _fill(rec: JournalRecord, exec_id: str) -> Fill:
    data = rec.data
    return Fill(
        symbol=rec.symbol,
        side=Side(str(data["side"])),
        qty=Decimal(str(data["qty"])),
        price=Decimal(str(data["price"])),
        fee=Decimal(str(data.get("fee", "0"))),
        exec_id=exec_id,
        order_id="",
        order_link_id=rec.order_link_id,
        is_maker=False,
        ts_ms=rec.ts_ms,
    )


async def warm_candles(engine: Engine, symbol: str, timeframe: str) -> str:
    """Fetch the venue's closed klines of ``timeframe`` into the engine's store; '' when done,
    else why not (the strategy then warms from the candles the engine holds)."""
    try:
        rows = await engine.executor.call(
            "kline", partial(engine.venue.klines, symbol, timeframe, KLINE_LIMIT)
        )
    except (VenueError, ValueError, KeyError) as exc:
        return f"{symbol} {timeframe} klines not fetched: {exc}"
    engine.store.seed_candles(symbol, timeframe, rows)
    return ""


__all__ = ["Unfinished", "own_fills", "own_links", "unfinished", "warm_candles"]
