"""Recording from the sim over loopback, and reading it back (whole and after a killed writer)."""

from __future__ import annotations

import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from core.record.format import (
    BookRec,
    FormatError,
    ReadStats,
    TradeRec,
    encode,
    read_file,
    read_manifest,
    read_symbol,
    symbol_files,
)
from core.record.recorder import RecordResult
from tests.record.conftest import ENOUGH, SYMBOLS


def test_manifest_names_venue_symbols_times_counts(recording: RecordResult) -> None:
    man = read_manifest(recording.out)
    assert man["venue"] == "bybit"
    assert man["symbols"] == list(SYMBOLS)
    assert man["complete"] is True
    assert man["start_ms"] <= man["end_ms"]
    for sym in SYMBOLS:
        assert man["counts"][sym]["T"] >= ENOUGH
        assert man["counts"][sym]["S"] >= 1
        assert symbol_files(recording.out, sym)


def test_read_back_gives_every_event_in_order_with_continuous_sequences(recording: RecordResult) -> None:
    man = read_manifest(recording.out)
    for sym in SYMBOLS:
        stats = ReadStats()
        recs = list(read_symbol(recording.out, sym, stats))
        assert stats.truncated == 0
        kinds = {"S": 0, "D": 0, "T": 0, "K": 0, "C": 0}
        for r in recs:
            kinds[_kind(r)] += 1
        assert kinds == man["counts"][sym]
        recv = [r.recv_ms for r in recs]
        assert recv == sorted(recv)
        last: dict[int, int] = {}
        for r in recs:
            if isinstance(r, BookRec):
                if not r.snapshot:
                    assert r.seq == last[r.depth] + 1, (sym, r.depth, r.seq, last[r.depth])
                last[r.depth] = r.seq
        trades = [r for r in recs if isinstance(r, TradeRec)]
        assert all(t.side in ("Buy", "Sell") and float(t.price) > 0 for t in trades)
        assert len({t.trade_id for t in trades}) == len(trades)


def _kind(r: object) -> str:
    if isinstance(r, BookRec):
        return "S" if r.snapshot else "D"
    return {"TradeRec": "T", "TickerRec": "K", "CandleRec": "C"}[type(r).__name__]


_WRITER = """
import os, sys
from pathlib import Path
from core.record.format import RecordingWriter, TradeRec
w = RecordingWriter(Path(sys.argv[1]), "sim", ("BTCUSDT",))
for i in range(100):
    w.write(TradeRec(1_767_225_600_000 + i, "BTCUSDT", i, "Buy", "100.5", "0.001", str(i)))
w.flush()
w.write(TradeRec(1_767_225_600_200, "BTCUSDT", 200, "Buy", "100.5", "0.001", "late"))
os._exit(9)  # killed: no close, no gzip trailer, the last write never flushed
"""


def test_killed_writer_leaves_file_readable_to_the_last_flush(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", _WRITER, str(tmp_path)], check=False)
    assert proc.returncode == 9
    (path,) = symbol_files(tmp_path, "BTCUSDT")
    recs = list(read_file(path, "BTCUSDT"))
    assert [r.trade_id for r in recs if isinstance(r, TradeRec)] == [str(i) for i in range(100)]
    # A writer killed while its compressor had emitted half a line: that line is skipped and counted.
    lines = b"".join(encode(r) for r in recs[:10])
    comp = zlib.compressobj(wbits=31)
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(comp.compress(lines + encode(recs[10])[:17]) + comp.flush(zlib.Z_SYNC_FLUSH))
    stats = ReadStats()
    got = list(read_file(cut, "BTCUSDT", stats))
    assert stats.truncated == 1
    assert stats.files == [str(cut)]
    assert got == recs[:10]


def test_missing_or_foreign_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="no such recording directory"):
        read_manifest(tmp_path / "nope")
    with pytest.raises(FormatError, match="not a recording"):
        read_manifest(tmp_path)
