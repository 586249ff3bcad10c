"""The soak's processes: the standalone sim venue, engine generations, the fault driver, RSS.

``bench/soak.py`` composes these; the oracle lives in ``bench/soak_oracle.py``.
"""

from __future__ import annotations

import json
import os
import queue
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import requests

from bench.soak_engine import OPEN_INTENTS_SQL

ROOT = Path(__file__).resolve().parents[1]


def rss_mib(pid: int) -> float | None:
    """Resident set size of ``pid`` in MiB (None once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class SimProcess:
    """``trade-console sim`` in a process of its own, so killing the engine never kills the venue."""

    def __init__(self, run_dir: Path, seed: int, rate_hz: float) -> None:
        self.out = run_dir / "sim.out"
        exe = Path(sys.executable).with_name("trade-console")
        cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "console.cli"]
        cmd += ["sim", "--port", "0", "--seed", str(seed), "--rate", str(rate_hz)]
        with self.out.open("wb") as out:
            self.proc = subprocess.Popen(
                cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True
            )
        self.rest_url = self._wait_url()
        self.port = int(self.rest_url.rsplit(":", 1)[1])

    def _wait_url(self, timeout_s: float = 60.0) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            m = re.search(r"REST\s+(http://127\.0\.0\.1:\d+)", self.out.read_text(errors="replace"))
            if m:
                return m.group(1)
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"the sim did not start: {self.out.read_text(errors='replace')[-2000:]}")

    def stop(self) -> None:
        """Ctrl-C, then kill if it does not go."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Admin:
    """The sim's admin endpoint (loopback, ``X-SIM-ADMIN``)."""

    def __init__(self, rest_url: str, key: str) -> None:
        self.url = rest_url
        self.headers = {"X-SIM-ADMIN": key}
        self.lock = threading.Lock()

    def set_faults(self, spec: str) -> None:
        """Replace the sim's fault spec."""
        with self.lock:
            r = requests.post(
                f"{self.url}/sim/admin/faults", json={"spec": spec}, headers=self.headers, timeout=10
            )
        r.raise_for_status()

    def stats(self) -> dict[str, Any]:
        """The sim's counters."""
        with self.lock:
            r = requests.get(f"{self.url}/sim/admin/stats", headers=self.headers, timeout=10)
        r.raise_for_status()
        out: dict[str, Any] = r.json()
        return out


@dataclass(frozen=True)
class Profile:
    """A fault profile: standing faults for the whole run plus seeded bursts."""

    standing: str
    bursts: tuple[tuple[str, float], ...]
    """(spec added to the standing one, seconds it lasts); 0 s = a one-shot action."""
    every_s: float


PROFILES: dict[str, Profile] = {
    "none": Profile("", (), 0.0),
    "light": Profile(
        "rate_limit=0.01,http5xx=0.01,latency_ms=2,jitter_ms=20,drop_rest=0.005,drop_after=0.01,"
        "http5xx_after=0.005,garble_after=0.005,bad_values=0.001",
        (
            ("ws_disconnect=all", 0.0),
            ("rate_limit_next=10", 0.0),
            ("drop_after_next=2", 0.0),
            ("private_delay_ms=300", 4.0),
        ),
        20.0,
    ),
    "full": Profile(
        "rate_limit=0.03,http5xx=0.02,latency_ms=5,jitter_ms=40,drop_rest=0.01,drop_after=0.02,"
        "http5xx_after=0.01,garble_after=0.01,bad_values=0.002",
        (
            ("ws_disconnect=all", 0.0),
            ("ws_disconnect=1", 0.0),
            ("rate_limit_next=20", 0.0),
            ("http5xx_next=8", 0.0),
            ("drop_after_next=3", 0.0),
            ("drop_rest_next=5", 0.0),
            ("stall_feed=BTCUSDT", 4.0),
            ("stall_feed=*", 3.0),
            ("bad_values=0.05", 3.0),
            ("latency_ms=300,jitter_ms=400", 4.0),
            ("private_delay_ms=800", 5.0),
        ),
        12.0,
    ),
}


@dataclass
class FaultDriver:
    """A thread that lays seeded bursts over the standing faults until stopped."""

    admin: Admin
    profile: Profile
    seed: int
    applied: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _spec(self, extra: str, n: int) -> str:
        items = [s for s in (self.profile.standing, extra) if s]
        return ",".join([*items, f"seed={self.seed * 1000 + n}"]) if items else ""

    def start(self) -> None:
        """Set the standing faults and start the bursts."""
        self.admin.set_faults(self._spec("", 0))
        if self.profile.bursts:
            self._thread = threading.Thread(target=self._run, daemon=True, name="soak-faults")
            self._thread.start()

    def _run(self) -> None:
        rng = random.Random(f"faults:{self.seed}")
        n = 0
        while not self._stop.wait(self.profile.every_s * rng.uniform(0.5, 1.5)):
            extra, lasts = rng.choice(self.profile.bursts)
            n += 1
            try:
                self.admin.set_faults(self._spec(extra, n))
                self.applied.append(extra)
                if lasts and not self._stop.wait(lasts):
                    self.admin.set_faults(self._spec("", n))
            except requests.RequestException as exc:
                self.errors.append(str(exc))

    def stop(self) -> None:
        """Stop the bursts and clear every fault."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)
        self.admin.set_faults("")


class ResultTail:
    """Reads the command JSONL as it grows: which commands are in flight right now."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.open: set[str] = set()
        self.commands = 0

    def poll(self) -> int:
        """Read new lines; return how many commands are in flight."""
        if not self.path.exists():
            return 0
        with self.path.open("rb") as fh:
            fh.seek(self.offset)
            data = fh.read()
        cut = data.rfind(b"\n") + 1
        self.offset += cut
        for line in data[:cut].splitlines():
            rec = json.loads(line)
            if rec["ev"] == "begin":
                self.open.add(rec["id"])
                self.commands += 1
            elif rec["ev"] == "end":
                self.open.discard(rec["id"])
        return len(self.open)

    def forget(self) -> None:
        """A generation ended: its unfinished commands will never finish."""
        self.poll()
        self.open.clear()


def open_intents(journal: Path) -> int:
    """Intents the journal has not settled (-1 when it cannot be read)."""
    try:
        con = sqlite3.connect(f"file:{journal}?mode=ro", uri=True, timeout=5)
        try:
            return int(con.execute(OPEN_INTENTS_SQL).fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return -1


class Generation:
    """One engine process (``python -m bench.soak_engine``), killable with SIGKILL."""

    def __init__(self, run_dir: Path, cfg: dict[str, Any]) -> None:
        self.gen = int(cfg["gen"])
        path = run_dir / f"engine-g{self.gen}.json"
        path.write_text(json.dumps(cfg))
        self.err: IO[bytes] = (run_dir / f"engine-g{self.gen}.err").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.soak_engine", str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.err,
            cwd=ROOT,
            env=os.environ | {"PYTHONUNBUFFERED": "1"},
        )
        self.started = time.monotonic()
        self.ready_at: float | None = None
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.rss: list[tuple[float, float]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            try:
                rec = json.loads(raw)
            except ValueError:
                continue
            if isinstance(rec, dict) and "ev" in rec:
                self.events.put(rec)

    def wait_for(self, word: str, timeout_s: float) -> dict[str, Any] | None:
        """The next event named ``word`` (None when the process ends or time runs out)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                rec = self.events.get(timeout=0.2)
            except queue.Empty:
                if self.proc.poll() is not None and self.events.empty():
                    return None
                continue
            if rec["ev"] == "ready":
                self.ready_at = time.monotonic()
            if rec["ev"] == word:
                return rec
        return None

    def send(self, word: str) -> None:
        """A control word on the engine's stdin."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{word}\n".encode())
        self.proc.stdin.flush()

    def sample_rss(self) -> None:
        """Record the engine's RSS now."""
        mib = rss_mib(self.proc.pid)
        if mib is not None:
            self.rss.append((time.monotonic() - self.started, mib))

    def kill9(self) -> None:
        """SIGKILL, no goodbye."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.err.close()

    def finish(self, timeout_s: float = 60.0) -> int:
        """Wait for a clean exit (kill after ``timeout_s``); the exit code."""
        try:
            code = self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.err.close()
        return code
