"""The sim's exchange core replaying a recording: the recorded book tops at the recorded times."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.clock import FrozenClock
from core.record.recorder import RecordResult
from core.sim.replay import ReplayError, ReplayMarket, replay_exchange
from tests.record.conftest import SYMBOLS
from tests.support.record_tops import Tops, reference_tops


def _replay(rec_dir: Path, speed: float) -> tuple[dict[int, Tops], dict[int, Tops]]:
    """(expected, replayed) tops at each replay instant: at ``speed``, several receive times can
    fall due in one sim millisecond; the book after the last of them is the one to compare."""
    clock = FrozenClock(1_800_000_000_000)
    ex = replay_exchange(rec_dir, clock=clock, speed=speed, seed=3)
    market = ex.gen
    assert isinstance(market, ReplayMarket)
    expected = {market.due_ms(recv): tops for recv, tops in reference_tops(rec_dir, SYMBOLS)}
    got: dict[int, Tops] = {}
    for due in sorted(expected):
        clock.advance(due - clock.now_ms())
        ex.step(due)
        got[due] = {s: (sm.book.bids.best(), sm.book.asks.best()) for s, sm in market.symbols.items()}
    return expected, got


def test_replay_at_10x_reproduces_the_recorded_book_tops(recording: RecordResult) -> None:
    expected, got = _replay(recording.out, speed=10.0)
    assert len(expected) > 20
    assert got == expected
    assert _replay(recording.out, speed=10.0)[1] == got  # deterministic
    exp1, got1 = _replay(recording.out, speed=1.0)
    assert got1 == exp1
    assert len(exp1) >= len(expected)


def test_replay_time_is_compressed_by_the_speed(recording: RecordResult) -> None:
    clock = FrozenClock(1_800_000_000_000)
    ex = replay_exchange(recording.out, clock=clock, speed=10.0)
    market = ex.gen
    assert isinstance(market, ReplayMarket)
    span = recording.end_ms - recording.start_ms if recording.end_ms and recording.start_ms else 0
    assert market.due_ms(market.first_recv + span) == clock.now_ms() + span // 10
    ex.step(clock.now_ms() + span // 10 - 1)
    ex.step(clock.now_ms() + span // 10 + 1)
    assert market.finished


def test_replay_refuses_what_it_cannot_play(tmp_path: Path) -> None:
    with pytest.raises(ReplayError, match="no such recording directory"):
        replay_exchange(tmp_path / "missing", clock=FrozenClock())
    with pytest.raises(ReplayError, match="not a recording"):
        replay_exchange(tmp_path, clock=FrozenClock())
