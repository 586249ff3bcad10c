"""Crash safety: a writer killed with SIGKILL loses nothing it reported as written."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from core.journal.journal import Journal

REPO = Path(__file__).resolve().parents[2]

WRITER = textwrap.dedent(
    """
    import sys
    from core.journal.journal import Journal
    j = Journal(sys.argv[1])
    i = 0
    while True:
        seq = j.record("intent", symbol="BTCUSDT", order_link_id=f"crash-{i}", i=i, qty="0.001")
        sys.stdout.write(f"{seq} {i}\\n")
        sys.stdout.flush()
        i += 1
    """
)


def test_kill_9_loses_no_acknowledged_record(tmp_path: Path) -> None:
    path = tmp_path / "crash.db"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True, env=env, cwd=REPO
    )
    acked: dict[int, int] = {}
    try:
        assert proc.stdout is not None
        while len(acked) < 150:
            line = proc.stdout.readline()
            assert line, "writer died early"
            seq_s, i_s = line.split()
            acked[int(seq_s)] = int(i_s)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL

    j = Journal(path)
    try:
        got = {r.seq: r for r in j.query()}
        for seq, i in acked.items():
            assert seq in got, f"acknowledged record {seq} lost"
            assert got[seq].order_link_id == f"crash-{i}" and got[seq].data["i"] == i
        # the journal is still usable and seq keeps growing
        assert j.record("intent", order_link_id="after") > max(got)
        assert len(j.open_intents()) >= len(acked)
    finally:
        j.close()
