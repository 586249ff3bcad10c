"""End to end: the real ``trade-console`` binary (embedded sim, real engine) in tmux at 80×24.

Keys go in with ``tmux send-keys``; assertions read ``tmux capture-pane -p``. Skipped when tmux
is absent. Everything stays on loopback (the sim binds a free 127.0.0.1 port)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

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


@pytest.fixture
def console(tmp_path: Path) -> Iterator[tuple[Tmux, Path]]:
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
    }
    exports = " ".join(f"{k}={v}" for k, v in env.items())
    cmd = f"cd {ROOT} && env -u NO_COLOR {exports} {BINARY}; echo $? > {status}; sleep 60"
    tmux.run("new-session", "-d", "-x", "80", "-y", "24", "-s", "tc", cmd)
    try:
        yield tmux, status
    finally:
        tmux.run("kill-server")


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

    tmux.keys("q")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not status.exists():
        time.sleep(0.2)
    assert status.exists(), f"the console did not exit; screen:\n{tmux.screen()}"
    assert status.read_text().strip() == "0"
