"""``trade-console record --out DIR`` on a directory that holds a recording is refused before
anything is recorded, and the recording is left as it was.

Before: it recorded into it and wrote a new manifest over the old one: the other symbols' files
were no longer listed, and the start/end and counts described only the new session while the
symbol's hour file held both (found recording BTCUSDT for 3 s into a 3-minute BTC+ETH recording)."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.cli import main
from tests.support.walk_recording import walk_recording


def test_recording_into_a_recording_is_refused_and_leaves_it_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rec = walk_recording(tmp_path / "rec")
    before = {p: p.read_bytes() for p in rec.rglob("*") if p.is_file()}
    argv = [
        "record",
        "--config",
        "config.toml",
        "--symbols",
        "BTCUSDT",
        "--out",
        str(rec),
        "--minutes",
        "0.01",
    ]
    assert main(argv) == 2
    assert f"--out {rec} holds a recording already; give a new directory" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in rec.rglob("*") if p.is_file()} == before
