"""Journal durability classes: durable records are fsynced before ``record`` returns, lazy ones are
only committed (seen by every read at once, kept when the process is killed), in call order."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.clock import FrozenClock
from core.journal.durability import Durability, batch_durability, durability
from core.journal.journal import Journal, JournalUnwritable
from tests.support.journal_fill import fill_journal, make_room

REPO = Path(__file__).resolve().parents[2]
API_SECRET = "Hf7Kd93LmQp2Xz8Wv5Rt1Ys6Bn4Cj0Ga7Ue3"


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    j = Journal(tmp_path / "j.db", FrozenClock(1_767_225_600_000))
    yield j
    j.close()


def synchronous(j: Journal) -> int:
    """The connection's current ``synchronous`` level (2 FULL, 1 NORMAL)."""
    return int(j._conn.execute("PRAGMA synchronous").fetchone()[0])


def test_records_before_a_send_are_durable_the_venues_words_lazy() -> None:
    for kind in ("intent", "risk_decision", "amend", "cancel", "cancel_all", "algo_child", "algo_start"):
        assert durability(kind) is Durability.DURABLE, kind
    for kind in ("ack", "order_update", "fill", "reject", "reconcile", "algo_state", "request"):
        assert durability(kind) is Durability.LAZY, kind
    assert durability("a_kind_added_later") is Durability.DURABLE
    assert batch_durability(["intent", "risk_decision", "request"]) is Durability.DURABLE
    assert batch_durability(["ack", "fill"]) is Durability.LAZY


def test_durable_commit_is_fsynced_lazy_is_not(journal: Journal) -> None:
    intent = journal.record("intent", symbol="BTCUSDT", order_link_id="a", qty="0.001")
    assert synchronous(journal) == 2 and journal.synced_seq == intent
    ack = journal.record("ack", symbol="BTCUSDT", order_link_id="a", order_id="o1")
    assert synchronous(journal) == 1 and journal.synced_seq == intent < ack
    # the next durable commit's fsync covers the lazy one before it
    amend = journal.record_many([("amend", "BTCUSDT", "a", {"price": "1"})], required=True)
    assert synchronous(journal) == 2 and journal.synced_seq == amend


def test_lazy_record_is_seen_by_reads_at_once_in_call_order(journal: Journal) -> None:
    kinds = ["intent", "ack", "order_update", "amend", "fill", "algo_state", "cancel", "reject"]
    seqs = [journal.record(k, symbol="BTCUSDT", order_link_id="a", n=i) for i, k in enumerate(kinds)]
    assert seqs == sorted(seqs)
    rows = journal.query(order_link_id="a")
    assert [r.kind for r in rows] == kinds and [r.data["n"] for r in rows] == list(range(len(kinds)))
    assert journal.last_seq() == seqs[-1]
    assert journal.knows("a")
    # the lazy ack closes the durable intent for reconciliation, without waiting for the disk
    journal.record("intent", symbol="BTCUSDT", order_link_id="b")
    assert [r.order_link_id for r in journal.open_intents()] == ["b"]
    journal.record("ack", symbol="BTCUSDT", order_link_id="b", order_id="o2")
    assert journal.open_intents() == []


def test_lazy_record_is_redacted(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    j = Journal(path, FrozenClock())
    j.add_secret(API_SECRET)
    j.record("ack", order_link_id="a", api_secret=API_SECRET, note=f"signed with {API_SECRET}")
    j.close()
    for f in tmp_path.iterdir():
        assert API_SECRET.encode() not in f.read_bytes(), f.name


KILLED_WRITER = textwrap.dedent(
    """
    import os, signal, sys
    from core.journal.journal import Journal
    j = Journal(sys.argv[1])
    j.record("intent", symbol="BTCUSDT", order_link_id="k", qty="0.001")
    for i in range(50):
        kind = ("ack", "order_update", "fill", "algo_state", "reconcile")[i % 5]
        seq = j.record(kind, symbol="BTCUSDT", order_link_id="k", i=i)
        print(seq, kind, i, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # no close, no checkpoint: the process is killed
    """
)


def test_lazy_records_survive_a_killed_process(tmp_path: Path) -> None:
    path = tmp_path / "crash.db"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run(
        [sys.executable, "-c", KILLED_WRITER, str(path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    written = [line.split() for line in done.stdout.splitlines()]
    assert len(written) == 50
    j = Journal(path)
    try:
        got = {r.seq: r for r in j.query(order_link_id="k")}
        for seq_s, kind, i_s in written:
            rec = got[int(seq_s)]
            assert (rec.kind, rec.data["i"]) == (kind, int(i_s))
        assert j.recovery is None  # the WAL was there: nothing lost, no damage reported
    finally:
        j.close()


def test_a_refused_lazy_write_is_reported_and_kept_in_the_fallback(journal: Journal) -> None:
    states: list[str] = []
    refused: list[int] = []
    journal.on_state = states.append
    journal.on_refused = lambda: refused.append(1)
    fill_journal(journal)
    assert journal.record("ack", symbol="BTCUSDT", order_link_id="a", order_id="o1") == 0
    assert refused == [1] and states and "full" in states[0]
    assert "full" in journal.unwritable_reason and journal.pending_fallback == 1
    assert [r[1] for r in journal.fallback.read()] == ["ack"]
    # a durable required write is refused before anything could be sent
    with pytest.raises(JournalUnwritable):
        journal.record_many([("intent", "BTCUSDT", "b", {"qty": "1"})], required=True)
    make_room(journal)
    seq = journal.record("fill", symbol="BTCUSDT", order_link_id="a", exec_id="e1")
    assert seq > 0 and states[-1] == "" and journal.pending_fallback == 0
    # the replayed fallback row was written durably (its file is gone)
    assert journal.synced_seq == seq
    assert [r.kind for r in journal.query(order_link_id="a")] == ["ack", "fill"]
