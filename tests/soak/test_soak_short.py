"""The short soak profile: ``bench/soak.py`` end to end, as ``make test`` runs it.

A standalone sim process with the ``light`` fault mix (every standing fault kind plus WebSocket
disconnects and one-shot storms), the engine in a child process killed with SIGKILL every 8-20 s
and restarted on the same journal, four concurrent workers, then the outside oracle. Seeded; it
must finish in well under three minutes on two cores and hold every invariant.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INVARIANTS = (
    "no_duplicate_client_id",
    "no_orphan_venue_order",
    "intent_maps_to_venue",
    "no_intent_unresolved",
    "reported_outcome_matches_venue",
    "panic_report_true",
    "max_open_orders",
    "max_order_notional",
    "max_position_notional",
    "max_gross_exposure",
    "final_state_matches_venue",
    "engine_never_crashed",
)


def _figure(out: str, name: str) -> int:
    m = re.search(rf"^{name}: (\d+) ", out, re.M)
    assert m, f"{name} missing from the soak's output:\n{out}"
    return int(m.group(1))


@pytest.mark.timeout(300)
def test_short_soak_with_restarts_holds_every_invariant(tmp_path: Path) -> None:
    cmd = [sys.executable, "bench/soak.py", "--minutes", "1.25", "--faults", "light", "--seed", "11"]
    cmd += ["--restarts", "--gen-s", "8", "20", "--workers", "3", "--panic-weight", "3"]
    cmd += ["--run-dir", str(tmp_path)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=280)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    for name in INVARIANTS:
        m = re.search(rf"^inv_{name}: (\d+) violations \((\d+) checked", out, re.M)
        assert m, f"inv_{name} missing:\n{out}"
        assert m.group(1) == "0", out
    # The run really exercised what it claims to: restarts, faults, orders on the venue.
    assert _figure(out, "soak_restarts") >= 2, out
    assert _figure(out, "soak_fault_total") > 0, out
    assert _figure(out, "soak_commands") > 50, out
    for name in ("intent_maps_to_venue", "reported_outcome_matches_venue"):
        checked = re.search(rf"^inv_{name}: 0 violations \((\d+) checked", out, re.M)
        assert checked and int(checked.group(1)) > 30, out
    assert _figure(out, "soak_violations") == 0
