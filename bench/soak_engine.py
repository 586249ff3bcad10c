"""The soak's engine process: the real engine, headless, on a standalone sim, driven by workers.

Started by ``bench/soak.py`` as ``python -m bench.soak_engine CONFIG.json`` (one process per
generation, so the soak can kill -9 it at any moment and start the next one on the same journal).
Concurrent worker tasks place, amend, cancel and close through :class:`core.engine.Engine`'s
command API, and one of them now and then runs cancel-all or a panic. Every command is written
to a JSONL file as a ``begin`` line before it is called and an ``end`` line with its
:class:`~core.api.CommandResult` after: the oracle (``bench/soak_oracle.py``) compares those with
the venue's own history and the journal.

Control is on stdin, one word a line: ``quiesce`` stops the workers and waits for the journal's
open intents to settle, ``report`` waits until the engine's open orders match the venue's
(cancelled from outside by the soak) and writes the engine's final account as JSON, then stops.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import sqlite3
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

from core.api import CommandResult
from core.config import load_settings
from core.engine import Engine
from core.model import Instrument, OrderRequest, OrderType, Side, TimeInForce

log = logging.getLogger("soak.engine")

OPEN_INTENTS_SQL = """
    SELECT COUNT(*) FROM records i
    WHERE i.kind = 'intent' AND i.order_link_id != '' AND NOT EXISTS (
        SELECT 1 FROM records t WHERE t.order_link_id = i.order_link_id AND t.seq > i.seq AND (
            t.kind IN ('ack', 'reject', 'order_update', 'fill')
            OR (t.kind = 'reconcile' AND (json_extract(t.data, '$.found') = 1
                                          OR json_extract(t.data, '$.resolved') = 1))
            OR (t.kind = 'risk_decision' AND json_extract(t.data, '$.approved') = 0)))
"""
"""Intents the journal has not settled (the same rule as ``Journal.open_intents``)."""


def now_ms() -> int:
    """Wall-clock milliseconds (the sim runs on the same machine and clock)."""
    return time.time_ns() // 1_000_000


class ResultLog:
    """Append-only JSONL of commands: one ``write`` per line, so a kill -9 never tears a line."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def write(self, **fields: Any) -> None:
        """Append one record."""
        os.write(self._fd, (json.dumps(fields, default=str) + "\n").encode())

    def close(self) -> None:
        """Close the file."""
        os.close(self._fd)


class Gate:
    """Shared/exclusive gate: per-order commands share it; cancel-all and panic take it alone.

    This keeps the oracle exact: a cancel that fails because a concurrent cancel-all already
    cancelled the order would otherwise look like a misreported outcome.
    """

    def __init__(self) -> None:
        self._cond = asyncio.Condition()
        self._shared = 0
        self._exclusive = False

    async def run_shared(self, fn: Callable[[], Awaitable[None]]) -> None:
        """Run ``fn`` alongside other shared holders."""
        async with self._cond:
            await self._cond.wait_for(lambda: not self._exclusive)
            self._shared += 1
        try:
            await fn()
        finally:
            async with self._cond:
                self._shared -= 1
                self._cond.notify_all()

    async def run_exclusive(self, fn: Callable[[], Awaitable[None]]) -> None:
        """Run ``fn`` alone."""
        async with self._cond:
            await self._cond.wait_for(lambda: not self._exclusive and self._shared == 0)
            self._exclusive = True
        try:
            await fn()
        finally:
            async with self._cond:
                self._exclusive = False
                self._cond.notify_all()


class LagMeter:
    """Event-loop lag: how late a 50 ms sleep wakes, sampled for the whole generation."""

    def __init__(self) -> None:
        self.samples: list[float] = []

    async def run(self) -> None:
        """Sample until cancelled."""
        loop = asyncio.get_running_loop()
        while True:
            t0 = loop.time()
            await asyncio.sleep(0.05)
            self.samples.append(max(0.0, loop.time() - t0 - 0.05) * 1000)


def _round(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(rounding=ROUND_DOWN) * step


@dataclass
class Ctx:
    """What every worker shares."""

    engine: Engine
    results: ResultLog
    gate: Gate
    gen: int
    stop: asyncio.Event
    cfg: dict[str, Any]


class Worker:
    """One concurrent source of commands with its own seeded RNG and its own orders."""

    def __init__(self, ctx: Ctx, index: int) -> None:
        self.ctx = ctx
        self.index = index
        self.rng = random.Random(f"{ctx.cfg['seed']}:{ctx.gen}:{index}")
        self.seq = 0
        self.mine: list[str] = []

    # --- helpers ------------------------------------------------------------------------------
    def _cmd_id(self) -> str:
        self.seq += 1
        return f"g{self.ctx.gen}-w{self.index}-{self.seq}"

    async def _run(self, cmd: str, args: dict[str, Any], call: Callable[[], Awaitable[Any]]) -> Any:
        cid = self._cmd_id()
        res = self.ctx.results
        res.write(ev="begin", id=cid, gen=self.ctx.gen, cmd=cmd, t=now_ms(), args=args)
        t0 = time.perf_counter()
        out = await call()
        lat = (time.perf_counter() - t0) * 1000
        if isinstance(out, CommandResult):
            res.write(
                ev="end",
                id=cid,
                cmd=cmd,
                t=now_ms(),
                lat_ms=round(lat, 3),
                ok=out.ok,
                message=out.message,
                order_link_id=out.order_link_id,
                check=out.check,
                ret_code=out.ret_code,
            )
        else:  # a PanicReport
            res.write(
                ev="end",
                id=cid,
                cmd=cmd,
                t=now_ms(),
                lat_ms=round(lat, 3),
                ok=out.flat,
                flat=out.flat,
                remaining=list(out.remaining),
                cancelled=out.cancelled,
                closed=out.closed,
            )
        return out

    def _symbol(self) -> tuple[str, Instrument, Decimal] | None:
        eng = self.ctx.engine
        syms = [s for s in eng.symbols if s in eng.instruments]
        self.rng.shuffle(syms)
        for sym in syms:
            book = eng.store.book(sym)
            if book is not None and book.best_bid and book.best_ask:
                return sym, eng.instruments[sym], (book.best_bid + book.best_ask) / 2
        return None

    def _qty(self, inst: Instrument, mid: Decimal, notional: Decimal) -> Decimal:
        qty = _round(notional / mid, inst.qty_step)
        return max(qty, inst.min_order_qty)

    # --- actions --------------------------------------------------------------------------------
    async def place(self, kind: str) -> None:
        """Place one order of ``kind`` (limit, market, ioc, postonly, stop, oversize, reduce)."""
        picked = self._symbol()
        if picked is None:
            return
        sym, inst, mid = picked
        rng, cfg = self.rng, self.ctx.cfg
        side = rng.choice((Side.BUY, Side.SELL))
        cap = Decimal(str(cfg["risk"]["max_order_notional"]))
        notional = cap * Decimal(str(rng.uniform(0.05, 0.6)))
        fields: dict[str, Any] = {"order_type": OrderType.LIMIT, "time_in_force": TimeInForce.GTC}
        away = Decimal(str(rng.uniform(0.001, 0.02)))
        if kind == "limit":
            fields["price"] = mid * (1 - away) if side is Side.BUY else mid * (1 + away)
        elif kind in ("market", "reduce"):
            fields = {"order_type": OrderType.MARKET}
            notional = notional / 4
        elif kind in ("ioc", "postonly"):
            cross = Decimal("1.001") if side is Side.BUY else Decimal("0.999")
            fields["price"] = mid * cross
            fields["time_in_force"] = TimeInForce.IOC if kind == "ioc" else TimeInForce.POST_ONLY
        elif kind == "stop":
            up = side is Side.BUY
            fields = {
                "order_type": OrderType.MARKET,
                "trigger_price": _round(mid * (1 + away if up else 1 - away), inst.tick_size),
                "trigger_direction": 1 if up else 2,
            }
            notional = notional / 2
        elif kind == "oversize":
            notional = cap * Decimal(str(rng.uniform(1.2, 3.0)))
            fields["price"] = mid * (1 - away) if side is Side.BUY else mid * (1 + away)
        if "price" in fields:
            fields["price"] = _round(fields["price"], inst.tick_size)
        if kind == "reduce":
            pos = self.ctx.engine.state.positions.get(sym)
            if pos is None or pos.side is None or pos.is_flat:
                return
            side = pos.side.opposite
            fields["reduce_only"] = True
        qty = self._qty(inst, mid, notional)
        cid_source = f"soak:{self.ctx.gen}:{self.index}:{self.seq + 1}"
        req = OrderRequest(symbol=sym, side=side, qty=qty, source=cid_source, **fields)
        args = {"kind": kind, "symbol": sym, "side": side.value, "qty": str(qty), "source": cid_source}
        args |= {k: str(v) for k, v in fields.items() if k in ("price", "trigger_price", "reduce_only")}
        out = await self._run("place", args, lambda: self.ctx.engine.place(req))
        if out.ok and out.order_link_id:
            self.mine.append(out.order_link_id)

    def _my_open(self) -> str | None:
        orders = self.ctx.engine.state.orders
        self.mine = [k for k in self.mine if k in orders and orders[k].is_open]
        return self.rng.choice(self.mine) if self.mine else None

    async def amend(self) -> None:
        """Amend one of this worker's working orders: price, qty, or both."""
        link = self._my_open()
        if link is None:
            return await self.place("limit")
        order = self.ctx.engine.state.orders[link]
        inst = self.ctx.engine.instruments[order.symbol]
        rng = self.rng
        qty = price = trigger = None
        what = rng.choice(("price", "qty", "both"))
        if what in ("qty", "both"):
            qty = max(
                inst.min_order_qty, _round(order.qty * Decimal(str(rng.uniform(0.5, 1.5))), inst.qty_step)
            )
        if what in ("price", "both"):
            ref = order.trigger_price if order.is_conditional else order.price
            if ref is not None:
                moved = _round(ref * Decimal(str(rng.uniform(0.995, 1.005))), inst.tick_size)
                if order.is_conditional:
                    trigger = moved
                else:
                    price = moved
        args = {
            "order_link_id": link,
            "symbol": order.symbol,
            "qty": str(qty) if qty is not None else None,
            "price": str(price) if price is not None else None,
            "trigger_price": str(trigger) if trigger is not None else None,
            "before_qty": str(order.qty),
            "before_price": str(order.price) if order.price is not None else None,
            "before_trigger": str(order.trigger_price) if order.trigger_price is not None else None,
        }
        await self._run(
            "amend",
            args,
            lambda: self.ctx.engine.amend(link, qty=qty, price=price, trigger_price=trigger),
        )

    async def cancel(self) -> None:
        """Cancel one of this worker's working orders."""
        link = self._my_open()
        if link is None:
            return await self.place("limit")
        sym = self.ctx.engine.state.orders[link].symbol
        await self._run(
            "cancel", {"order_link_id": link, "symbol": sym}, lambda: self.ctx.engine.cancel(link)
        )

    async def close(self) -> None:
        """Close a fraction of a position reduce-only at market."""
        eng = self.ctx.engine
        held = [s for s, p in eng.state.positions.items() if not p.is_flat]
        if not held:
            return await self.place("market")
        sym = self.rng.choice(sorted(held))
        frac = self.rng.choice((Decimal("0.25"), Decimal("0.5"), Decimal(1)))
        source = f"soak:{self.ctx.gen}:{self.index}:{self.seq + 1}"
        await self._run(
            "close",
            {"symbol": sym, "fraction": str(frac), "source": source},
            lambda: eng.close_position(sym, frac, source=source),
        )

    async def cancel_all(self) -> None:
        """Cancel every working order (exclusive)."""
        await self._run("cancel_all", {}, self.ctx.engine.cancel_all)

    async def panic(self) -> None:
        """Run a panic (exclusive)."""
        await self._run("panic", {}, self.ctx.engine.panic)

    # --- the loop ---------------------------------------------------------------------------------
    async def loop(self) -> None:
        """Commands until told to stop, paced by a seeded random pause."""
        weights: dict[str, float] = self.ctx.cfg["mix"]
        names, w = list(weights), list(weights.values())
        lo, hi = self.ctx.cfg["pause_s"]
        while not self.ctx.stop.is_set():
            action = self.rng.choices(names, w)[0]
            try:
                await self._dispatch(action)
            except Exception:  # a crash of the soak's own code, not the engine's: say so, go on
                log.exception("worker %d: %s raised", self.index, action)
                self.ctx.results.write(ev="worker_error", gen=self.ctx.gen, action=action, t=now_ms())
            await asyncio.sleep(self.rng.uniform(lo, hi))

    async def _dispatch(self, action: str) -> None:
        gate = self.ctx.gate
        if action == "cancel_all":
            await gate.run_exclusive(self.cancel_all)
        elif action == "panic":
            await gate.run_exclusive(self.panic)
        elif action == "amend":
            await gate.run_shared(self.amend)
        elif action == "cancel":
            await gate.run_shared(self.cancel)
        elif action == "close":
            await gate.run_shared(self.close)
        else:
            await gate.run_shared(lambda: self.place(action))


def _open_intents(journal: str) -> int:
    con = sqlite3.connect(f"file:{journal}?mode=ro", uri=True, timeout=5)
    try:
        return int(con.execute(OPEN_INTENTS_SQL).fetchone()[0])
    finally:
        con.close()


def _stdin_commands(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[str]) -> None:
    for line in sys.stdin:
        loop.call_soon_threadsafe(queue.put_nowait, line.strip())
    loop.call_soon_threadsafe(queue.put_nowait, "eof")


def _say(word: str, **fields: Any) -> None:
    print(json.dumps({"ev": word, **fields}), flush=True)


def _account_json(engine: Engine) -> dict[str, Any]:
    snap = engine.account()
    bal = snap.balance
    return {
        "positions": {
            s: {"side": p.side.value if p.side else "", "size": str(p.size), "entry": str(p.entry_price)}
            for s, p in snap.positions.items()
            if not p.is_flat
        },
        "wallet_balance": str(bal.wallet_balance) if bal else None,
        "open_orders": sorted(k for k, o in snap.orders.items() if o.is_open),
    }


async def _quiesce(ctx: Ctx, workers: list[asyncio.Task[None]], journal: str) -> dict[str, Any]:
    ctx.stop.set()
    t0 = time.monotonic()
    await asyncio.wait(workers, timeout=120)
    waited = time.monotonic() - t0
    deadline = time.monotonic() + ctx.cfg["settle_s"]
    left = _open_intents(journal)
    while left and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        left = _open_intents(journal)
    return {"workers_stop_s": round(waited, 2), "open_intents": left}


async def _report(engine: Engine, cfg: dict[str, Any], out: Path) -> dict[str, Any]:
    """Wait for the engine to see the outside cancel-all, then dump its account.

    It waits at least ``sync_s`` (one periodic account sync): a wallet or position message the
    venue spoiled is refused and the previous value kept until the next sync, by design.
    """
    t0 = time.monotonic()
    deadline = t0 + cfg["converge_s"]
    converged = None
    while time.monotonic() < deadline:
        if converged is None and not any(o.is_open for o in engine.state.orders.values()):
            converged = time.monotonic() - t0
        if converged is not None and time.monotonic() - t0 >= cfg["sync_s"]:
            break
        await asyncio.sleep(0.2)
    converged = time.monotonic() - t0 if converged is None else converged
    state = _account_json(engine) | {"converge_s": round(converged, 2), "t": now_ms()}
    out.write_text(json.dumps(state, indent=1))
    return state


async def run(cfg: dict[str, Any]) -> int:
    """One generation: start the engine, run the workers, obey stdin, return an exit code."""
    gen = int(cfg["gen"])
    settings = load_settings(
        sim={"port": cfg["sim_port"], "seed": cfg["seed"]},
        journal={"path": cfg["journal"]},
        metrics={"enabled": False, "log_dir": cfg["run_dir"]},
        risk=cfg["risk"],
        breakers=cfg.get("breakers", {}),
    )
    results = ResultLog(Path(cfg["results"]))
    engine = Engine(settings)
    lag = LagMeter()
    lag_task = asyncio.create_task(lag.run())
    t0 = time.monotonic()
    await engine.start()
    results.write(ev="ready", gen=gen, t=now_ms(), start_s=round(time.monotonic() - t0, 3), pid=os.getpid())
    _say("ready", pid=os.getpid())
    ctx = Ctx(engine, results, Gate(), gen, asyncio.Event(), cfg)
    workers = [asyncio.create_task(Worker(ctx, i).loop()) for i in range(cfg["workers"])]
    queue: asyncio.Queue[str] = asyncio.Queue()
    loop = asyncio.get_running_loop()
    threading.Thread(target=_stdin_commands, args=(loop, queue), daemon=True).start()
    stats_every = 10.0
    next_stats = time.monotonic() + stats_every
    while True:
        try:
            word = await asyncio.wait_for(queue.get(), timeout=max(0.1, next_stats - time.monotonic()))
        except TimeoutError:
            results.write(ev="lag", gen=gen, t=now_ms(), ms=[round(x, 3) for x in lag.samples])
            lag.samples.clear()
            next_stats = time.monotonic() + stats_every
            continue
        if word == "quiesce":
            _say("quiet", **await _quiesce(ctx, workers, cfg["journal"]))
        elif word == "report":
            _say("reported", **await _report(engine, cfg, Path(cfg["state_out"])))
            break
        elif word == "eof":
            break
    ctx.stop.set()
    results.write(ev="lag", gen=gen, t=now_ms(), ms=[round(x, 3) for x in lag.samples])
    lag_task.cancel()
    await engine.stop()
    results.write(ev="stopped", gen=gen, t=now_ms())
    results.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.soak_engine CONFIG.json``."""
    args = sys.argv[1:] if argv is None else argv
    cfg = json.loads(Path(args[0]).read_text())
    logging.basicConfig(
        filename=str(Path(cfg["run_dir"]) / f"engine-g{cfg['gen']}.log"),
        level=logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return asyncio.run(run(cfg))


if __name__ == "__main__":
    sys.exit(main())
