"""UI benchmark: the console on a real engine and an embedded sim pushing ~2,000 book msgs/s.

The sim runs as a separate ``trade-console sim`` process at a market rate of ``--msgs`` / 3 steps a
second per symbol; it pushes ``orderbook.50`` at every step that changes the book, so the wire
itself carries about ``--msgs`` book messages a second. Their rate is measured on the console's
books for a second before the steady state, and a feeder thread writes only what the wire lacks
(if anything) straight into the store. The app runs headless
(Textual's ``run_test``: the compositor renders every frame, output is discarded) and prints
``name: value unit`` lines:

* startup to first full frame: from building the engine to the first compositor update that
  draws the main screen with the engine started, the ladder filled and the account in the header
  (and the start-up's CPU); the import time (process start to the console imported) apart, and
  the two added (``ui_launch_to_first_full_frame``: what a trader waits from the command, less
  the sim's own start, which runs in its own process here as a venue would)
* keypress → ticket painted: the key event is injected at the driver and the clock stops at the
  first compositor update that draws the ticket with its risk preview, p50/p95; and the UI
  thread's CPU time over the same span (p50), which other processes on the machine disturb much
  less than the latency
* command line: the keystroke that completes a typed order (``buy 0.01 @ -0.1`` + ``%``) → its
  preview painted (parse, resolve against the touch, the engine's builder and risk chain, paint),
  p50/p95. The command line previews as you type and Enter only sends what is already on screen,
  so this is the latency of the preview a trader reads before pressing Enter.
* full garbage collections during the run: count and longest pause
* book messages/s in (over the wire from the sim, and the feeder's top-up), store writes/s, UI
  refresh ticks/s and frames/s applied
* CPU of the console process (UI loop + engine + pybit threads; the sim runs in its own process),
  and of the UI loop's thread alone: in the steady state, and per ticket open and per command-line
  keystroke (CPU time is much less disturbed than latency when other processes share the cores)
* RSS (current and peak)

    .venv/bin/python bench/ui.py [--seconds 5] [--msgs 2000]
"""

from __future__ import annotations

from console.gc_pacer import hold_collections

hold_collections()  # as the ``trade-console`` entry point does, before anything else is imported
# ruff: noqa: E402

import argparse
import asyncio
import gc
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from rich.console import RenderableType
from textual import events
from textual.screen import Screen

from console.app import TradeConsoleApp
from console.screens.cmdline import CommandLine
from console.screens.ticket import OrderTicket
from core.config import SimSettings, load_settings
from core.engine import Engine
from core.model import BookLevel, BookView
from core.observability.logging import setup_logging
from core.store import MarketStore


def _process_age_s() -> float:
    """Seconds since this process started (the kernel's start time, 10 ms resolution)."""
    start_ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return uptime - start_ticks / os.sysconf("SC_CLK_TCK")


IMPORTED_S = _process_age_s()
"""Process start (interpreter, Textual, the console and the engine imported) to here."""

SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT")
LADDER_ROWS_FILLED = 5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_listening(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"sim did not listen on {port}")


def _feeder(store: MarketStore, symbol: str, rate: float, stop: threading.Event, sent: list[int]) -> None:
    """Extra book messages written from a thread, as pybit's callbacks do, for the part of the
    target rate the wire does not carry (``sent[0]`` counts them)."""
    books = []
    for k in range(16):
        mid = Decimal(95000 + k)
        bids = tuple(BookLevel(mid - Decimal(i) / 10, Decimal(1 + (i * k) % 7)) for i in range(50))
        asks = tuple(BookLevel(mid + Decimal(i + 1) / 10, Decimal(1 + (i + k) % 5)) for i in range(50))
        books.append((bids, asks))
    batch = 20
    n = 0
    next_t = time.perf_counter()
    while not stop.is_set():
        for _ in range(batch):
            bids, asks = books[n % 16]
            n += 1
            store.put_book(BookView(symbol, bids, asks, n, n, int(time.time() * 1000)))
            sent[0] += 1
        next_t += batch / rate
        delay = next_t - time.perf_counter()
        if delay > 0:
            time.sleep(delay)


def _send_key(app: TradeConsoleApp, key: str, char: str | None) -> None:
    """Inject a key exactly as the terminal driver would (no Pilot idle waits)."""
    event = events.Key(key, char)
    event.set_sender(app)
    assert app._driver is not None
    app._driver.send_message(event)


def _full_frame(app: TradeConsoleApp, screen: Screen[object]) -> bool:
    """The main screen with the engine started, the book in the ladder and the header filled."""
    ladder = app.main.ladder
    return (
        screen is app.main
        and app.engine_started
        and bool(ladder.symbol)
        and len(ladder.lines) >= LADDER_ROWS_FILLED
        and app.bridge.account.balance is not None
    )


def _ticket_ready(screen: Screen[object]) -> bool:
    return isinstance(screen, OrderTicket) and bool(screen.error or screen.preview)


class _PaintWatch:
    """Notes when the compositor first draws a screen ``ready`` accepts after :meth:`reset`."""

    def __init__(self, app: TradeConsoleApp, ready: Callable[[Screen[object]], bool] = _ticket_ready) -> None:
        self.at: float | None = None
        self.cpu_at = 0.0
        """The UI thread's CPU time when it drew (``time.thread_time``)."""
        self._armed = False
        self.ready = ready
        self.drawn = asyncio.Event()
        """Set when it drew: the bench awaits it (polling would run the bench on the UI loop
        every half millisecond while the console works towards the paint)."""
        inner = app._display

        def display(screen: Screen[object], renderable: RenderableType | None) -> None:
            inner(screen, renderable)
            if self._armed and renderable is not None and self.ready(screen):
                self.at = time.perf_counter()
                self.cpu_at = time.thread_time()
                self._armed = False
                self.drawn.set()

        app._display = display  # type: ignore[method-assign]

    def reset(self) -> None:
        """Arm for the next press."""
        self.at = None
        self._armed = True
        self.drawn.clear()

    async def wait(self, what: str, timeout: float = 10.0) -> float:
        """The paint's time (``perf_counter``), once it drew; TimeoutError after ``timeout`` s."""
        try:
            await asyncio.wait_for(self.drawn.wait(), timeout)
        except TimeoutError:
            raise TimeoutError(what) from None
        assert self.at is not None
        return self.at


class _GcPauses:
    """Wall time of each full (generation 2) collection while installed."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._t0 = 0.0
        gc.callbacks.append(self._cb)

    def _cb(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._t0 = time.perf_counter()
        else:
            self.pauses.append((time.perf_counter() - self._t0) * 1000)


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, int(len(ordered) * 0.95) - 1)]


async def _wait(cond: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    t = time.perf_counter()
    while not cond():
        await asyncio.sleep(0.0005)
        if time.perf_counter() - t > timeout:
            raise TimeoutError(what)


async def _cmdline_latency(app: TradeConsoleApp, presses: int) -> list[float]:
    """Open the command line, type an order, then time the completing keystroke → preview painted."""
    line = "buy 0.01 @ -0.1"
    _send_key(app, "colon", ":")
    await _wait(lambda: isinstance(app.screen, CommandLine), "command line did not open")
    cmdline = app.screen
    assert isinstance(cmdline, CommandLine)
    screen: CommandLine = cmdline
    for ch in line:
        _send_key(app, "space" if ch == " " else ch, ch)
    await _wait(lambda: screen.input.value == line, "typed line did not arrive")

    def ready(s: Screen[object]) -> bool:
        return s is screen and screen.plan is not None and screen.plan.line == line + "%"

    painted = _PaintWatch(app, ready)
    lat: list[float] = []
    cpu0 = time.thread_time()
    for _ in range(presses):
        painted.reset()
        t = time.perf_counter()
        _send_key(app, "percent_sign", "%")
        lat.append((await painted.wait("command-line preview was not painted") - t) * 1000)
        _send_key(app, "backspace", None)
        await _wait(lambda: screen.input.value == line, "backspace did not arrive")
        await asyncio.sleep(0.05)
    cpu = (time.thread_time() - cpu0) * 1000 / presses
    _send_key(app, "escape", None)
    await _wait(lambda: not isinstance(app.screen, CommandLine), "command line did not close")
    print(f"ui_cmdline_keystroke_ui_cpu: {cpu:.1f} ms (UI thread, per % + backspace)")
    return lat


def _wire_book_msgs(engine: Engine) -> int:
    """Book messages (snapshots and deltas, trading and display books) the console's books have
    taken from the wire so far."""
    keeper = engine.books
    assert keeper is not None, "the console runs with feeds"
    books = [*keeper.books.values(), *keeper.display.values()]
    return sum(book.deltas + book.snapshots for book in books)


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _cpu_s() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


async def run(seconds: float, msgs: int, presses: int, *, startup_only: bool = False) -> None:
    """Start sim + engine + app, measure, print."""
    rate = max(1.0, msgs / len(SYMBOLS))
    port = _free_port()
    tmp = Path(tempfile.mkdtemp(prefix="bench-ui-"))
    binary = Path(sys.executable).parent / "trade-console"
    sim = subprocess.Popen(
        [str(binary), "sim", "--port", str(port), "--seed", "11", "--rate", f"{rate:g}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_listening(port)
        settings = load_settings(
            sim=SimSettings(port=port, seed=11, market_rate_hz=rate, embedded=False),
            journal={"path": str(tmp / "journal.db")},
            # the default [metrics] (enabled), on a free port: the console starts it after its first frame
            metrics={"enabled": True, "port": 0, "log_dir": str(tmp / "log")},
        )
        # Log to files as run_console does (without root handlers pybit would add its own).
        logs = setup_logging(settings.metrics.log_dir, mode="sim", venue="bybit-sim")
        t0, c0, u0 = time.perf_counter(), _cpu_s(), time.thread_time()
        engine = Engine(settings)
        app = TradeConsoleApp(engine, settings, freeze_heap=True)  # as run_console does
        first_frame = _PaintWatch(app, lambda screen: _full_frame(app, screen))
        first_frame.reset()
        async with app.run_test(size=(160, 50)):
            await first_frame.wait("no full frame was painted", timeout=60)
            assert first_frame.at is not None
            c1, u1 = _cpu_s(), time.thread_time()
            print(f"ui_startup_to_first_full_frame: {(first_frame.at - t0) * 1000:.0f} ms")
            print(f"ui_startup_cpu: {(c1 - c0) * 1000:.0f} ms (process)")
            print(f"ui_startup_loop_cpu: {(u1 - u0) * 1000:.0f} ms (the UI loop's thread)")
            print(f"ui_import_console: {IMPORTED_S * 1000:.0f} ms (process start to the console imported)")
            launch = IMPORTED_S + first_frame.at - t0
            print(f"ui_launch_to_first_full_frame: {launch * 1000:.0f} ms (import + start-up)")
            if startup_only:
                return

            # steady state under load: the wire's book rate, topped up to ``msgs`` by the feeder
            stop = threading.Event()
            n0, w = _wire_book_msgs(engine), time.perf_counter()
            await asyncio.sleep(1.0)
            extra = max(0.0, msgs - (_wire_book_msgs(engine) - n0) / (time.perf_counter() - w))
            fed = [0]
            feeder = threading.Thread(
                target=_feeder, args=(engine.store, "BTCUSDT", extra, stop, fed), daemon=True, name="feeder"
            )
            if extra > 0:
                feeder.start()
            await asyncio.sleep(1.0)
            gc_pauses = _GcPauses()
            v0, f0, s0 = engine.store.version, app.bridge.frames, app.bridge.skipped
            b0, e0 = _wire_book_msgs(engine), fed[0]
            c0, w0, u0 = _cpu_s(), time.perf_counter(), time.thread_time()
            await asyncio.sleep(seconds)
            c1, w1, u1 = _cpu_s(), time.perf_counter(), time.thread_time()
            v1, f1, s1 = engine.store.version, app.bridge.frames, app.bridge.skipped
            wire, extra_in = _wire_book_msgs(engine) - b0, fed[0] - e0
            wall = w1 - w0
            print(f"ui_book_msgs_in: {(wire + extra_in) / wall:.0f} msg/s")
            print(f"ui_book_msgs_wire: {wire / wall:.0f} msg/s (from the sim over the socket)")
            print(f"ui_book_msgs_fed: {extra_in / wall:.0f} msg/s (the feeder's top-up)")
            print(f"ui_store_writes_in: {(v1 - v0) / wall:.0f} msg/s")
            print(f"ui_refresh_ticks: {((f1 - f0) + (s1 - s0)) / wall:.1f} Hz")
            print(f"ui_frames_applied: {(f1 - f0) / wall:.1f} Hz")
            cpu = (c1 - c0) / wall * 100
            print(f"ui_process_cpu: {cpu:.0f} % of one core (UI loop + engine + pybit threads + feeder)")
            print(f"ui_loop_thread_cpu: {(u1 - u0) / wall * 100:.0f} % of one core (the UI loop's thread)")

            lat: list[float] = []
            open_cpu: list[float] = []
            painted = _PaintWatch(app)
            t_cpu0 = time.thread_time()
            for _ in range(presses):
                painted.reset()
                t, c = time.perf_counter(), time.thread_time()
                _send_key(app, "b", "b")
                lat.append((await painted.wait(f"ticket did not open; screen={app.screen!r}") - t) * 1000)
                open_cpu.append((painted.cpu_at - c) * 1000)
                _send_key(app, "escape", None)
                while isinstance(app.screen, OrderTicket):
                    await asyncio.sleep(0.0005)
                await asyncio.sleep(0.05)
            ticket_cpu = (time.thread_time() - t_cpu0) * 1000 / presses
            lat.sort()
            p95 = lat[max(0, int(len(lat) * 0.95) - 1)]
            print(f"ui_key_to_ticket_p50: {statistics.median(lat):.1f} ms")
            print(f"ui_key_to_ticket_p95: {p95:.1f} ms")
            print(f"ui_ticket_open_ui_cpu: {ticket_cpu:.1f} ms (UI thread, per open + close)")
            open_p50 = statistics.median(open_cpu)
            print(f"ui_key_to_ticket_ui_cpu_p50: {open_p50:.1f} ms (UI thread, key → painted)")
            cmd = await _cmdline_latency(app, presses)
            print(f"ui_cmdline_key_to_preview_p50: {statistics.median(cmd):.1f} ms")
            print(f"ui_cmdline_key_to_preview_p95: {_p95(cmd):.1f} ms")
            print(f"ui_gc_full_collections: {len(gc_pauses.pauses)}")
            print(f"ui_gc_full_pause_max: {max(gc_pauses.pauses, default=0.0):.1f} ms")
            print(f"ui_rss: {_rss_mib():.0f} MiB")
            stop.set()
            print(f"ui_rss_peak: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
        logs.close()
    finally:
        sim.terminate()
        sim.wait(10)


def main() -> None:
    """Parse arguments and run the benchmark."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--seconds", type=float, default=5.0, help="steady-state window")
    p.add_argument("--msgs", type=int, default=2000, help="target book msgs/s across all symbols")
    p.add_argument("--presses", type=int, default=40, help="ticket open/close samples")
    p.add_argument("--startup-only", action="store_true", help="print the start-up figures only")
    args = p.parse_args()
    asyncio.run(run(args.seconds, args.msgs, args.presses, startup_only=args.startup_only))


if __name__ == "__main__":
    main()
