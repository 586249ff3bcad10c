"""Benchmark: 100 concurrent execution algos on three symbols at the sim's full market rate.

Run: ``.venv/bin/python bench/algos.py [--algos 100] [--idle-s 5] [--run-s 10] [--profile FILE]``.

The venue is the in-process one (:class:`~core.venues.simulated.SimulatedVenue`): the sim's
exchange core in this process, its virtual clock advanced by the sim's tick (50 ms) every 50 ms of
real time, so the market runs at exactly the rate the wire sim produces it (book deltas, tickers
and trades for BTCUSDT, ETHUSDT and SOLUSDT), with no sockets. The engine is the real one (order
path, risk chain, durable journal); only the journal lives in a temporary directory.

Prints ``name: value unit``:

* ``algos_idle_cpu_pct`` — the engine and the in-process market alone, CPU % of one core
  (``time.process_time`` over ``--idle-s`` of real time, after a warm-up);
* ``algos_cpu_pct`` / ``algos_cpu_over_idle_pct`` — the same with the algos running (measured in
  the same run, over ``--run-s``, after they have all placed their first children);
* ``algos_tick_pass_ms_p50/p95`` — one pass of the runner's tick loop (every algo it ticks decides
  or skips);
* ``algos_move_to_decision_ms_p50/p95`` — the first part of a reaction: from the touch move to
  the decision that reacted to it;
* ``algos_decision_to_command_ms_p50/p95`` — the second part of a reaction: from the decision
  to its action's call on the order path;
* ``algos_decision_to_venue_ms_p50/p95`` — from an algo's decision that produced an order-path action
  to that action's call on the venue (the venue's place/amend/cancel wrapped here);
* ``algos_journal_sqlite_on_loop_ms`` / ``..._max_ms`` / ``..._calls`` — the journal's SQLite
  calls (inserts, commits with their fsync, reads) made on the event loop's thread in the window:
  their total and longest time and their number; ``algos_journal_sqlite_off_loop_ms`` the same
  total for the calls made on any other thread (the journal's writer). A call on the loop is time
  no algo can react (the journal's connection is wrapped here, bench-only);
* ``algos_market_step_ms_p50/p95`` — one step of the in-process market (50 ms of market time: the
  sim's step for the three symbols and the engine applying what it published), on the loop;
* ``algos_ticks_decided`` / ``algos_ticks_skipped`` — the algos' tick decisions in the window, and
  the ticks skipped because the algo's declared reads had not moved since a tick that decided
  nothing (nothing to decide, no worker step);
* ``algos_reaction_ms_p50/p95`` (and per kind) — an algo's reaction to a touch move: from the
  moment the book update that moved the touch (best bid/ask) of its symbol was applied by the
  engine's book keeper to the moment the algo's resulting action (amend, place or cancel) is
  handed to the order path, for each tick the runner made because the market moved and that
  produced an order-path action. The hook is bench-only (the keeper's apply and the runner's
  ports are wrapped here); the engine carries no timing code for it.

The mix (round-robin over the three symbols): chase (post-only at the touch, re-priced as it
moves, the default 500 ms interval between amends), maker TWAP (post-only slices chased at the
touch), iceberg (clips resting 2 % away), trailing stop (on a long position opened first, on the
last price) and bracket (limit entry 2 % away, TP and stop after it fills).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import logging
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.clock import FrozenClock
from core.config import load_settings
from core.engine import Engine
from core.market.books import BookKeeper
from core.model import OrderRequest, OrderType, Side
from core.orders.algos.base import Amend, Cancel, Place
from core.venues.simulated import SimulatedVenue

SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT")
QTY = {"BTCUSDT": "0.001", "ETHUSDT": "0.01", "SOLUSDT": "0.1"}
KINDS = ("chase", "twap", "iceberg", "trail", "bracket")
WARMUP_S = 2.0
AWAY = Decimal("0.02")
CHASE_OFFSET_TICKS = 100
"""Behind the touch: far enough that a chase rarely fills in the window (it re-prices as the
touch moves, which is what is measured), so every run measures about the same workload."""


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


class Pacer:
    """Advances the venue's virtual clock by its tick every tick of real time (catching up when
    late), so the market runs at the sim's own rate."""

    def __init__(self, venue: SimulatedVenue) -> None:
        self.venue = venue
        self.steps = 0
        self.step_ms: list[float] = []
        """How long each market step took on the loop (the sim's step and the engine applying
        what it published), ms."""

    async def run(self) -> None:
        tick_s = self.venue.tick_ms / 1000
        start = time.perf_counter()
        while True:
            due = start + (self.steps + 1) * tick_s
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            behind = int((time.perf_counter() - start) / tick_s) - self.steps
            for _ in range(max(1, behind)):
                t0 = time.perf_counter_ns()
                self.venue.advance(self.venue.tick_ms)
                self.step_ms.append((time.perf_counter_ns() - t0) / 1e6)
                self.steps += 1


class SqliteTimes:
    """Bench-only: wraps the journal's connection and times its calls, on the loop's thread and off it."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self.loop_thread = threading.get_ident()
        self.counting = False
        self.on_loop: list[float] = []
        self.off_loop: list[float] = []

    def execute(self, *args: Any) -> Any:
        return self._timed(self._conn.execute, *args)

    def executemany(self, *args: Any) -> Any:
        return self._timed(self._conn.executemany, *args)

    def _timed(self, call: Any, *args: Any) -> Any:
        t0 = time.perf_counter_ns()
        try:
            return call(*args)
        finally:
            if self.counting:
                took = (time.perf_counter_ns() - t0) / 1e6
                (self.on_loop if threading.get_ident() == self.loop_thread else self.off_loop).append(took)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    @classmethod
    def install(cls, engine: Engine) -> SqliteTimes:
        journal = engine.journal
        with journal._lock:
            wrapped = cls(journal._conn)
            journal._conn = wrapped  # type: ignore[assignment]
        return wrapped

    def start(self) -> None:
        """Count from now on (the measured window)."""
        self.on_loop.clear()
        self.off_loop.clear()
        self.counting = True

    def report(self) -> None:
        self.counting = False
        on, off = self.on_loop, self.off_loop
        print(f"algos_journal_sqlite_on_loop_ms: {sum(on):.1f} ms")
        print(f"algos_journal_sqlite_on_loop_max_ms: {max(on, default=0.0):.2f} ms")
        print(f"algos_journal_sqlite_on_loop_calls: {len(on)} calls")
        print(f"algos_journal_sqlite_off_loop_ms: {sum(off):.1f} ms")


class Reactions:
    """Bench-only hooks: when each symbol's touch last moved (the keeper's apply) and how long
    after it an algo's action reached the order path."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.moved_ns: dict[str, int] = {}
        self.touch: dict[str, tuple[float | None, float | None]] = {}
        self.pending: dict[str, int] = {}
        """algo id -> the apply time of the touch move its current step reacts to."""
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.seen_ns: dict[str, int] = {}
        self.decided_ns: dict[str, int] = {}
        """algo id -> when its last order-path action was decided (until its venue call)."""
        self.ticks: dict[str, int] = defaultdict(int)
        """Market and timer ticks of the window: decided, or skipped (the algo's reads had not moved)."""
        self.to_venue: list[float] = []
        self.to_command: list[float] = []
        """Decision to the order-path call (the command's start) of a reaction, ms."""
        self.passes: list[float] = []
        """Duration of each tick pass (deciding every ticked algo), ms."""
        self.to_decision: list[float] = []
        """Touch move to the decision that reacted to it (the first part of a reaction), ms."""
        """Decision to the venue call of the first order-path action of a market-caused step, ms."""

    def install(self) -> None:
        keeper = self.engine_keeper()
        original = keeper.delta, keeper.snapshot

        def wrap(fn: Callable[[Any], None]) -> Callable[[Any], None]:
            def applied(msg: Any) -> None:
                fn(msg)
                book = keeper.books.get(msg.symbol)
                if book is None:
                    return
                top = (book.best_bid, book.best_ask)
                if top != self.touch.get(msg.symbol):
                    self.touch[msg.symbol] = top
                    self.moved_ns[msg.symbol] = time.perf_counter_ns()

            return applied

        keeper.delta, keeper.snapshot = wrap(original[0]), wrap(original[1])  # type: ignore[method-assign,assignment]
        runner = self.engine.algo_runner
        import core.engine.algo_exec as exec_module
        import core.engine.algos as algos_module

        decide_tick = exec_module.decide_tick

        moved_ns, seen_ns, pending, decided_ns = self.moved_ns, self.seen_ns, self.pending, self.decided_ns
        counts, acting = self.ticks, (Place, Amend, Cancel)

        def timed_decide_tick(run: Any, slot: Any, tick: Any) -> Any:
            # Called for every algo of every pass: kept lean, so the hook adds little to the pass it
            # times (attribute and property reads hoisted, no generator for a tick with no action).
            algo = slot.algo
            aid = algo.algo_id
            moved = moved_ns.get(algo.symbol, 0)
            if moved > seen_ns.get(aid, 0):
                pending[aid] = seen_ns[aid] = moved
            actions = decide_tick(run, slot, tick)
            counts["skipped" if slot.skipped else "decided"] += 1
            if actions and any(isinstance(a, acting) for a in actions):
                decided_ns[aid] = now = time.perf_counter_ns()
                reacting = pending.get(aid)
                if reacting is not None:
                    self.to_decision.append((now - reacting) / 1e6)
            else:
                pending.pop(aid, None)  # no order-path action came of it
            return actions

        # the tick pass decides idle algos through the runner's module, a busy one's worker
        # through the executor module's
        algos_module.decide_tick = timed_decide_tick  # type: ignore[attr-defined,assignment]
        exec_module.decide_tick = timed_decide_tick  # type: ignore[assignment]
        venue = self.engine.venue

        def at_venue(fn: Callable[..., Any], owner_of: Callable[..., str]) -> Callable[..., Any]:
            def call(*args: Any, **kwargs: Any) -> Any:
                decided = self.decided_ns.pop(owner_of(*args), None)
                if decided is not None:
                    self.to_venue.append((time.perf_counter_ns() - decided) / 1e6)
                return fn(*args, **kwargs)

            return call

        venue.place = at_venue(venue.place, lambda order: order.order_link_id.rsplit("-", 1)[0])  # type: ignore[method-assign]
        venue.amend = at_venue(venue.amend, lambda _sym, cid: cid.rsplit("-", 1)[0])  # type: ignore[method-assign]
        venue.cancel = at_venue(venue.cancel, lambda _sym, cid: cid.rsplit("-", 1)[0])  # type: ignore[method-assign]
        ticks = runner.ticks
        tick_pass = ticks.tick

        def timed_pass() -> None:
            t0 = time.perf_counter_ns()
            tick_pass()
            self.passes.append((time.perf_counter_ns() - t0) / 1e6)

        ticks.tick = timed_pass  # type: ignore[method-assign]
        ports = runner.ports

        def timed(fn: Callable[..., Awaitable[Any]], owner_of: Callable[..., str]) -> Callable[..., Any]:
            async def call(*args: Any) -> Any:
                algo_id = owner_of(*args)
                moved = self.pending.pop(algo_id, None)
                decided = self.decided_ns.get(algo_id)
                if moved is not None and decided is not None:
                    self.to_command.append((time.perf_counter_ns() - decided) / 1e6)
                if moved is not None:
                    slot = runner.slots[algo_id]
                    self.samples[slot.algo.kind].append((time.perf_counter_ns() - moved) / 1e6)
                return await fn(*args)

            return call

        ports.place = timed(ports.place, lambda _req, cid: cid.rsplit("-", 1)[0])
        ports.amend = timed(ports.amend, lambda cid, *_: cid.rsplit("-", 1)[0])
        ports.cancel = timed(ports.cancel, lambda cid: cid.rsplit("-", 1)[0])

    def engine_keeper(self) -> BookKeeper:
        keeper = self.engine.books
        assert keeper is not None, "the engine runs without feeds"
        return keeper


def mix(engine: Engine, n: int) -> list[tuple[str, dict[str, Any]]]:
    """``n`` algos, round-robin over the kinds and the symbols."""
    out: list[tuple[str, dict[str, Any]]] = []
    for i in range(n):
        kind, sym = KINDS[i % len(KINDS)], SYMBOLS[(i // len(KINDS)) % len(SYMBOLS)]
        ticker = engine.store.ticker(sym)
        assert ticker is not None
        tick = engine.algo_runner.instruments[sym].tick_size
        mark, qty = ticker.mark_price, QTY[sym]
        below = (mark * (1 - AWAY) / tick).to_integral_value() * tick
        above = (mark * (1 + AWAY) / tick).to_integral_value() * tick
        base: dict[str, Any] = {"symbol": sym}
        if kind == "chase":
            params = base | {"side": "Buy", "qty": str(Decimal(qty) * 10), "max_distance_pct": "5"}
            params |= {"offset_ticks": CHASE_OFFSET_TICKS}
        elif kind == "twap":
            params = base | {
                "side": "Buy",
                "qty": qty,
                "duration_ms": 3_600_000,
                "slices": 10,
                "mode": "maker",
            }
        elif kind == "iceberg":
            params = base | {
                "side": "Buy",
                "qty": str(Decimal(qty) * 10),
                "display": qty,
                "price": str(below),
            }
        elif kind == "trail":
            params = base | {"position_side": "Buy", "distance_type": "pct", "distance": "1", "qty": qty}
            params |= {"trigger_by": "last", "min_interval_ms": 0}
        else:
            params = base | {"side": "Buy", "qty": qty, "entry_price": str(below)}
            params |= {"take_profits": [[str(above), "1"]], "stop_price": str(below * (1 - AWAY))}
        out.append((kind, params))
    return out


async def _cpu(seconds: float) -> tuple[float, float]:
    """CPU seconds and wall seconds over ``seconds`` of real time."""
    c0, w0 = time.process_time(), time.perf_counter()
    await asyncio.sleep(seconds)
    return time.process_time() - c0, time.perf_counter() - w0


async def main(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.ERROR)
    tmp = Path(tempfile.mkdtemp())
    clock = FrozenClock(int(time.time() * 1000))
    venue = SimulatedVenue(clock, seed=args.seed, symbols=SYMBOLS)
    settings = load_settings(
        venue={"name": "simulated"},
        journal={"path": str(tmp / "journal.db")},
        metrics={"enabled": False},
        risk={"max_open_orders": 1000, "symbols": list(SYMBOLS)},
    )
    engine = Engine(settings, clock=clock, venue=venue)
    pacer = Pacer(venue)
    driver = asyncio.create_task(pacer.run())
    await engine.start()
    reactions = Reactions(engine)
    reactions.install()
    sqlite_times = SqliteTimes.install(engine)
    await asyncio.sleep(WARMUP_S)
    for sym in SYMBOLS:  # the trailing stops protect a small long on each symbol
        res = await engine.place(OrderRequest(sym, Side.BUY, Decimal(QTY[sym]) * 10, OrderType.MARKET))
        assert res.ok, res.message
    await asyncio.sleep(1.0)
    gc.collect()
    idle_cpu, idle_wall = await _cpu(args.idle_s)
    idle_pct = 100 * idle_cpu / idle_wall

    for kind, params in mix(engine, args.algos):
        res = await engine.start_algo(kind, params)
        assert res.ok, f"{kind}: {res.message}"
    await asyncio.sleep(WARMUP_S)
    for samples in reactions.samples.values():
        samples.clear()
    reactions.to_venue.clear()
    reactions.ticks.clear()
    reactions.to_decision.clear()
    reactions.passes.clear()
    reactions.to_command.clear()
    pacer.step_ms.clear()
    sqlite_times.start()
    profiler = cProfile.Profile() if args.profile else None
    if profiler is not None:
        profiler.enable()
    run_cpu, run_wall = await _cpu(args.run_s)
    sqlite_times.counting = False
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)
    run_pct = 100 * run_cpu / run_wall
    live = [s for s in engine.algos() if not s.terminal]
    ended: dict[str, int] = defaultdict(int)
    for snap in engine.algos():
        if snap.terminal:
            ended[f"{snap.kind}_{snap.state}"] += 1
    steps_per_s = pacer.steps * venue.tick_ms / 1000

    print("algos_venue: in-process (virtual clock paced at the sim's 50 ms tick)")
    print(f"algos_running: {len(live)} algos")
    for name, count in sorted(ended.items()):  # chases that filled, brackets that ran their course
        print(f"algos_ended_{name}: {count} algos")
    print(f"algos_idle_cpu_pct: {idle_pct:.1f} %")
    print(f"algos_cpu_pct: {run_pct:.1f} %")
    print(f"algos_cpu_over_idle_pct: {run_pct - idle_pct:.1f} %")
    everything = [v for vs in reactions.samples.values() for v in vs]
    print(f"algos_reaction_samples: {len(everything)} reactions")
    print(f"algos_reaction_ms_p50: {_pct(everything, 0.5):.2f} ms")
    print(f"algos_reaction_ms_p95: {_pct(everything, 0.95):.2f} ms")
    for kind in KINDS:
        values = reactions.samples.get(kind, [])
        if values:
            print(f"algos_reaction_{kind}_ms_p50: {_pct(values, 0.5):.2f} ms")
            print(f"algos_reaction_{kind}_ms_p95: {_pct(values, 0.95):.2f} ms")
    print(f"algos_tick_pass_ms_p50: {_pct(reactions.passes, 0.5):.2f} ms")
    print(f"algos_tick_pass_ms_p95: {_pct(reactions.passes, 0.95):.2f} ms")
    print(f"algos_move_to_decision_ms_p50: {_pct(reactions.to_decision, 0.5):.2f} ms")
    print(f"algos_move_to_decision_ms_p95: {_pct(reactions.to_decision, 0.95):.2f} ms")
    print(f"algos_decision_to_command_ms_p50: {_pct(reactions.to_command, 0.5):.2f} ms")
    print(f"algos_decision_to_command_ms_p95: {_pct(reactions.to_command, 0.95):.2f} ms")
    print(f"algos_decision_to_venue_ms_p50: {_pct(reactions.to_venue, 0.5):.2f} ms")
    print(f"algos_decision_to_venue_ms_p95: {_pct(reactions.to_venue, 0.95):.2f} ms")
    print(f"algos_market_seconds: {steps_per_s:.1f} s")
    print(f"algos_market_step_ms_p50: {_pct(pacer.step_ms, 0.5):.2f} ms")
    print(f"algos_market_step_ms_p95: {_pct(pacer.step_ms, 0.95):.2f} ms")
    print(f"algos_ticks_decided: {reactions.ticks['decided']} ticks")
    print(f"algos_ticks_skipped: {reactions.ticks['skipped']} ticks")
    sqlite_times.report()
    driver.cancel()
    await engine.stop()


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--algos", type=int, default=100)
    p.add_argument("--idle-s", type=float, default=5.0)
    p.add_argument("--run-s", type=float, default=10.0)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--profile", default="", help="write a cProfile of the measured window here")
    return p.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
