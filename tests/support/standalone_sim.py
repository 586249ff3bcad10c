"""The sim as its own process (``trade-console sim``): stopped without a goodbye, started again on
the same port, its fault spec replaced over the admin endpoint."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from core.config import SIM_API_KEY

ROOT = Path(__file__).resolve().parents[2]


class StandaloneSim:
    """``trade-console sim`` in its own process; stop it and start it again on the same port."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, faults: str = "") -> None:
        """Start the sim (on the port it had before, if any) and wait for its banner."""
        self.starts += 1
        out = self.workdir / f"sim-{self.starts}.out"
        cmd = [sys.executable, "-m", "console.cli", "sim", "--port", str(self.port), "--seed", "7"]
        if faults:
            cmd += ["--faults", faults]
        with out.open("wb") as fh:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            for line in out.read_text(errors="replace").splitlines():
                if line.strip().startswith("REST"):
                    self.port = int(line.rsplit(":", 1)[1])
                    return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"sim did not start: {out.read_text(errors='replace')}")

    def kill(self) -> None:
        """The outage: the process dies without a goodbye."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def set_faults(self, spec: str) -> None:
        """Replace the running sim's fault spec over its admin endpoint."""
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/sim/admin/faults",
            data=json.dumps({"spec": spec}).encode(),
            headers={"X-SIM-ADMIN": SIM_API_KEY, "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=5) as resp:
            assert resp.status == 200
