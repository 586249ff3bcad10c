"""The Hyperliquid sim runs standalone: banner, serves the SDK, exits 0 on Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
from hyperliquid.info import Info

from core.sim.cli import run_standalone
from core.sim.hyperliquid.keys import SIM_AGENT_KEY, SIM_USER
from tests.support.hl_sim import SPOT_META

CTRL_C = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
"""Ctrl-C as a terminal gives it: a runner started in the background by a script (``cmd &``)
passes SIGINT on ignored, and the child would then never see it."""

SCRIPT = CTRL_C + (
    "import sys; from core.config import SimSettings; from core.sim.cli import run_standalone; "
    "sys.exit(run_standalone(SimSettings(), port=0, seed=7, rate_hz=10, venue='hyperliquid'))"
)


@pytest.mark.timeout(60)
def test_standalone_hyperliquid_banner_serves_and_stops_on_ctrl_c() -> None:
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        base_url = ""
        banner = []
        while not base_url:
            line = proc.stdout.readline()
            assert line, "the sim exited before printing its banner"
            banner.append(line)
            if line.strip().startswith("base_url"):
                base_url = line.split()[1]
        banner += [proc.stdout.readline() for _ in range(3)]
        assert SIM_AGENT_KEY in "".join(banner) and SIM_USER in "".join(banner)
        info = Info(base_url, skip_ws=True, spot_meta=SPOT_META)
        assert info.user_state(SIM_USER)["marginSummary"]["accountValue"] == "100000"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


def test_an_unknown_venue_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    from core.config import SimSettings

    assert run_standalone(SimSettings(), venue="okx") == 2
    assert "--venue" in capsys.readouterr().out
