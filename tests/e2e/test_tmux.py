"""End to end: the real ``trade-console`` binary (real engine) in tmux at 80×24.

Keys go in with ``tmux send-keys`` — a whole burst in one call, as a paste, a key macro or a laggy
SSH link delivers them; assertions read ``tmux capture-pane -p`` and, against a standalone sim,
the venue's own view over its REST API. Skipped when tmux is absent. Everything stays on loopback
(the sims bind free 127.0.0.1 ports).

* the embedded sim: main screen, ticket, panic modal (never stacked), quit;
* a standalone ``trade-console sim`` (``[sim] embedded = false``): a burst after ``s`` lands in the
  fields it was typed for and the order sent is the one the preview showed; a decimal comma is
  refused in place and never sent; Escape inside a burst closes the ticket (ESC b is not a word
  move); a command-line order is previewed and sent on Enter; keys typed
  after the Enter that sends a ticket open and send a command line in the same burst; and the
  sim process is killed and restarted on the same port under the console, whose header returns to
  up by itself and whose orders pane takes the restarted venue's truth;
* the console killed (SIGKILL) mid-TWAP and started again on the same journal and venue: the
  algos pane (5 at 80×24) shows the TWAP resumed, it finishes, one child per slice on the venue.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pybit.unified_trading import HTTP

from core.config import SIM_API_KEY, SIM_API_SECRET
from tests.support.standalone_sim import StandaloneSim

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(sys.executable).parent / "trade-console"


class Tmux:
    """One private tmux server running the console."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def run(self, *args: str) -> str:
        out = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=10, check=False
        )
        return out.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "tc")

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "tc", *keys)

    def wait_for(self, cond: Callable[[str], bool], what: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.screen()
            if cond(text):
                return text
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}; screen was:\n{text}")


def start_console(tmp_path: Path, **env_overrides: str) -> tuple[Tmux, Path]:
    """The console binary in a private tmux server at 80×24; returns it and its exit-status file."""
    if not BINARY.exists():
        pytest.skip(f"{BINARY} is not installed (pip install -e .)")
    tmux = Tmux(f"tc-e2e-{uuid.uuid4().hex[:8]}")
    status = tmp_path / "exit-status"
    env = {
        "TRADE_SIM__PORT": "0",
        "TRADE_METRICS__ENABLED": "false",
        "TRADE_METRICS__LOG_DIR": str(tmp_path / "log"),
        "TRADE_JOURNAL__PATH": str(tmp_path / "journal.db"),
        "TRADE_UI__THEME": "trade-dark",
        **env_overrides,
    }
    exports = " ".join(f"{k}={v}" for k, v in env.items())
    cmd = f"cd {ROOT} && env -u NO_COLOR {exports} {BINARY}; echo $? > {status}; sleep 60"
    tmux.run("new-session", "-d", "-x", "80", "-y", "24", "-s", "tc", cmd)
    return tmux, status


@pytest.fixture
def console(tmp_path: Path) -> Iterator[tuple[Tmux, Path]]:
    tmux, status = start_console(tmp_path)
    try:
        yield tmux, status
    finally:
        tmux.run("kill-server")


def wait_exit(tmux: Tmux, status: Path) -> None:
    """Quit the console (confirming when it asks) and check it exited 0."""
    tmux.keys("q")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not status.exists():
        if "Quit?" in tmux.screen():
            tmux.keys("y")
        time.sleep(0.2)
    assert status.exists(), f"the console did not exit; screen:\n{tmux.screen()}"
    assert status.read_text().strip() == "0"


def test_console_in_tmux_80x24(console: tuple[Tmux, Path]) -> None:
    tmux, status = console
    screen = tmux.wait_for(lambda s: "SIM" in s and "equity" in s and "spread" in s, "the main screen")
    assert "BTCUSDT" in screen
    assert "PANIC" in screen  # the footer shows the panic key

    tmux.keys("b")
    screen = tmux.wait_for(lambda s: "BUY BTCUSDT" in s, "the order ticket")
    assert "notional" in screen or "qty: required" in screen
    tmux.keys("Escape")
    tmux.wait_for(lambda s: "BUY BTCUSDT" not in s, "the ticket to close")

    tmux.keys("C-k")
    screen = tmux.wait_for(lambda s: "flatten everything" in s, "the panic modal")
    assert "Press  y  to PANIC" in screen
    tmux.keys("C-k")  # a second press must not stack another modal
    time.sleep(0.5)
    tmux.keys("n")
    tmux.wait_for(lambda s: "flatten everything" not in s, "the panic modal to close")

    wait_exit(tmux, status)


# --- against a standalone sim the test can stop, restart and ask ---------------------------------
SYM = "BTCUSDT"


def venue(port: int) -> HTTP:
    """A pybit session of the test's own on the standalone sim (the venue's view, not the console's)."""
    s = HTTP(testnet=False, api_key=SIM_API_KEY, api_secret=SIM_API_SECRET, retry_codes={-1}, max_retries=1)
    s.endpoint = f"http://127.0.0.1:{port}"
    return s


def venue_orders(port: int) -> list[dict[str, Any]]:
    """Open orders as the venue holds them."""
    res = venue(port).get_open_orders(category="linear", settleCoin="USDT", limit=50)
    return list(res["result"]["list"])


def venue_mark(port: int) -> Decimal:
    res = venue(port).get_tickers(category="linear", symbol=SYM)
    return Decimal(res["result"]["list"][0]["markPrice"])


def tick(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.1"))


def header(screen: str) -> str:
    return screen.splitlines()[0] if screen else ""


@pytest.fixture
def standalone(tmp_path: Path, standalone_sim: StandaloneSim) -> Iterator[tuple[Tmux, Path, StandaloneSim]]:
    sim = standalone_sim
    tmux, status = start_console(tmp_path, TRADE_SIM__PORT=str(sim.port), TRADE_SIM__EMBEDDED="false")
    try:
        yield tmux, status, sim
    finally:
        tmux.run("kill-server")


@pytest.mark.timeout(240)
def test_bursts_comma_command_line_and_a_sim_outage_in_tmux(
    standalone: tuple[Tmux, Path, StandaloneSim],
) -> None:
    tmux, status, sim = standalone
    tmux.wait_for(lambda s: "● up" in header(s) and "spread" in s, "the main screen with the venue up")
    mark = venue_mark(sim.port)

    # 1. A burst right after `s`: qty, two Tabs to the price, ctrl+u, the price — one send-keys call.
    ask = tick(mark * Decimal("1.02")) + Decimal("0.3")  # a price that needs its decimal part typed
    tmux.keys("s", "0.1", "Tab", "Tab", "C-u", str(ask))
    # Keys arrive one at a time: wait for the whole burst to have landed (qty 0.1, the typed price).
    sends = f"sends      0.100 @ {ask:,.1f}"
    screen = tmux.wait_for(lambda s: sends in s and "READY" in s, "the burst in the ticket's fields")
    assert "qty      0.1 " in screen and f"price    {ask} " in screen, screen
    tmux.keys("Enter")
    tmux.wait_for(lambda s: "SELL BTCUSDT" not in s, "the ticket to close after Enter")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not venue_orders(sim.port):
        time.sleep(0.2)
    [sell] = venue_orders(sim.port)
    assert (sell["side"], Decimal(sell["qty"]), Decimal(sell["price"])) == ("Sell", Decimal("0.1"), ask)

    # 2. A decimal comma is refused in place — never read as 1 contract, never sent.
    tmux.keys("b", "0,01", "Enter")
    screen = tmux.wait_for(lambda s: "use . as the decimal point" in s, "the comma refused in place")
    assert "BUY BTCUSDT" in screen  # still in the ticket, nothing sent
    tmux.keys("Escape")
    tmux.wait_for(lambda s: "BUY BTCUSDT" not in s, "the ticket to close")
    assert len(venue_orders(sim.port)) == 1

    # 2b. Escape inside a burst: the bytes ESC b are Escape then b (they were read as a word move,
    # so the open ticket got '0.0021'); the second ticket holds what was typed after it.
    tmux.keys("b", "1", "Escape", "b", "0.002")
    tmux.wait_for(lambda s: "BUY BTCUSDT" in s and "qty      0.002 " in s, "a fresh ticket with 0.002")
    tmux.keys("Escape")
    tmux.wait_for(lambda s: "BUY BTCUSDT" not in s, "the ticket to close")
    assert len(venue_orders(sim.port)) == 1

    # 3. A command-line order: the preview first, then Enter sends exactly that.
    bid = tick(mark * Decimal("0.98"))
    tmux.keys(":", f"buy 0.002 @ {bid} post")
    summary = f"Enter: BUY 0.002 BTCUSDT LIMIT @ {bid:,.1f} post-only"
    screen = tmux.wait_for(
        lambda s: summary in s and "READY — Enter sends" in s, "the command line's preview"
    )
    tmux.keys("Enter")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(venue_orders(sim.port)) < 2:
        time.sleep(0.2)
    buy = next(o for o in venue_orders(sim.port) if o["side"] == "Buy")
    assert (Decimal(buy["qty"]), Decimal(buy["price"]), buy["timeInForce"]) == (
        Decimal("0.002"),
        bid,
        "PostOnly",
    )
    tmux.wait_for(lambda s: "Lmt PO" in s, "the post-only order in the orders pane")

    # 3b. Keys typed after the Enter that sends, in the same burst: a ticket sent, then a command
    # line opened and sent — one send-keys call.
    ask3, bid3 = tick(mark * Decimal("1.03")), tick(mark * Decimal("0.97"))
    tmux.keys("s", "0.003", "Tab", "Tab", "C-u", str(ask3), "Enter", ":", f"buy 0.004 @ {bid3}", "Enter")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(venue_orders(sim.port)) < 4:
        time.sleep(0.2)
    burst = {(o["side"], Decimal(o["qty"]), Decimal(o["price"])) for o in venue_orders(sim.port)}
    assert {("Sell", Decimal("0.003"), ask3), ("Buy", Decimal("0.004"), bid3)} <= burst, burst
    assert len(burst) == 4, burst

    # 4. The venue process dies under the console, then comes back on the same port.
    sim.kill()
    tmux.wait_for(lambda s: "✖" in header(s) and "down" in header(s), "the header to show the venue down")
    time.sleep(3)  # an outage, not a blip (pybit's own reconnect gives up after ~0.1 s)
    sim.start()
    screen = tmux.wait_for(
        lambda s: "● up" in header(s) and "✖" not in header(s), "the header back to up", timeout=60
    )
    # The restarted venue holds no orders: the resync after the reconnect adopted its truth.
    tmux.wait_for(lambda s: "Lmt" not in s, "the orders pane to show the restarted venue's (none)")
    assert venue_orders(sim.port) == []

    wait_exit(tmux, status)


def console_pid(tmux: Tmux) -> int:
    """The console process: the only child of the tmux pane's shell (``env`` execs the binary)."""
    shell = tmux.run("display-message", "-p", "-t", "tc", "#{pane_pid}").strip()
    out = subprocess.run(["pgrep", "-P", shell], capture_output=True, text=True, timeout=10, check=False)
    pids = [int(p) for p in out.stdout.split()]
    assert len(pids) == 1, f"expected one console process under the pane's shell {shell}: {pids}"
    return pids[0]


def algo_children(port: int, prefix: str) -> list[str]:
    """Client order ids of the venue's orders (open and closed) that are children of one algo."""
    http = venue(port)
    rows = [
        *http.get_open_orders(category="linear", symbol=SYM, limit=50)["result"]["list"],
        *http.get_order_history(category="linear", symbol=SYM, limit=50)["result"]["list"],
    ]
    return [r["orderLinkId"] for r in rows if str(r["orderLinkId"]).startswith(prefix)]


def twap_rows(screen: str) -> str:
    """The screen's lines that name a TWAP (the algos pane's row; the log's lines carry no %)."""
    return "\n".join(line for line in screen.splitlines() if "twap" in line.lower())


@pytest.mark.timeout(240)
def test_console_killed_mid_twap_resumes_it_at_the_next_start(
    tmp_path: Path, standalone_sim: StandaloneSim
) -> None:
    sim = standalone_sim
    env = {"TRADE_SIM__PORT": str(sim.port), "TRADE_SIM__EMBEDDED": "false"}
    tmux, status = start_console(tmp_path, **env)
    try:
        tmux.wait_for(lambda s: "● up" in header(s) and "spread" in s, "the main screen with the venue up")
        tmux.keys(":", f"twap buy 0.003 {SYM} 30s x3")
        tmux.wait_for(lambda s: "READY" in s, "the TWAP's preview")
        tmux.keys("Enter")
        tmux.keys("5")  # at 80x24 the algos pane takes the orders pane's place on 5
        mid = ("33%", "67%")  # a loaded machine may show the second slice first
        tmux.wait_for(lambda s: any(p in twap_rows(s) for p in mid), "the TWAP's slices in the algos pane")
        first = algo_children(sim.port, "")
        assert 1 <= len(first) < 3, first  # mid-algo
        algo_id = first[0].rsplit("-", 1)[0]
        os.kill(console_pid(tmux), signal.SIGKILL)  # a crash: no engine stop, no algo end
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not status.exists():
            time.sleep(0.1)
        assert status.read_text().strip() == str(128 + signal.SIGKILL)
    finally:
        tmux.run("kill-server")
    status.unlink()

    tmux, status = start_console(tmp_path, **env)  # the same journal, the same venue
    try:
        tmux.wait_for(lambda s: "● up" in header(s) and "spread" in s, "the main screen with the venue up")
        tmux.keys("5")
        resumed = ("33%", "67%", "100%")  # a slice may have come due while the console started
        tmux.wait_for(lambda s: any(p in twap_rows(s) for p in resumed), "the resumed TWAP")
        done = tmux.wait_for(lambda s: "done" in twap_rows(s), "the resumed TWAP done", timeout=60)
        assert "100%" in twap_rows(done), done
        children = algo_children(sim.port, f"{algo_id}-")
        assert len(children) == len(set(children)) == 3, children
        wait_exit(tmux, status)
    finally:
        tmux.run("kill-server")
