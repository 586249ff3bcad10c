"""``run_standalone`` prints URLs and credentials, serves, and exits 0 on Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from core.config import SIM_API_KEY, SimSettings
from core.sim.cli import run_standalone

CTRL_C = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
"""Ctrl-C as a terminal gives it: a runner started in the background by a script (``cmd &``)
passes SIGINT on ignored, and the child would then never see it."""

SCRIPT = CTRL_C + (
    "import sys; from core.config import SimSettings; from core.sim.cli import run_standalone; "
    "sys.exit(run_standalone(SimSettings(), port=0, seed=7, faults='latency_ms=1', rate_hz=10))"
)


@pytest.mark.timeout(30)
def test_standalone_banner_serves_and_stops_on_ctrl_c() -> None:
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = []
        rest_url = ""
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not rest_url:
            line = proc.stdout.readline()
            lines.append(line)
            if line.strip().startswith("REST"):
                rest_url = line.split()[-1]
        assert rest_url.startswith("http://127.0.0.1:")
        banner = "".join(lines) + "".join(proc.stdout.readline() for _ in range(6))
        assert "/v5/public/linear" in banner and "/v5/private" in banner and SIM_API_KEY in banner
        req = urllib.request.Request(f"{rest_url}/sim/admin/faults", headers={"X-SIM-ADMIN": SIM_API_KEY})
        with urllib.request.urlopen(req, timeout=5) as resp:
            assert json.loads(resp.read())["faults"] == {"latency_ms": 1}
        with urllib.request.urlopen(f"{rest_url}/v5/market/time", timeout=5) as resp:
            assert json.loads(resp.read())["retCode"] == 0
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


def test_standalone_rejects_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_standalone(SimSettings(), host="0.0.0.0") == 2
    assert run_standalone(SimSettings(), faults="bogus=1") == 2
    assert run_standalone(SimSettings(), rate_hz=0) == 2
    assert "loopback" in capsys.readouterr().out
