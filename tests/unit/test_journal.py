"""Journal: durability settings, query, open intents, sanitising, threads."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from core.clock import FrozenClock
from core.journal.journal import Journal
from core.journal.sanitize import sanitize
from core.model import OrderType, Side
from core.observability.redact import MASK, is_secret_key

# Real-looking (fake) credentials: 18-char key, 36-char secret, 64-hex signature.
API_KEY = "XqT8bN2pL5vK9mR3wZ"
API_SECRET = "Hf7Kd93LmQp2Xz8Wv5Rt1Ys6Bn4Cj0Ga7Ue3"
SIGNATURE = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    j = Journal(tmp_path / "j.db", FrozenClock(1_767_225_600_000))
    yield j
    j.close()


def test_pragmas_wal_and_full_sync(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.db", FrozenClock())
    assert j._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert j._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    j.close()


def test_file_is_private(tmp_path: Path) -> None:
    p = tmp_path / "sub" / "j.db"
    Journal(p, FrozenClock()).close()
    assert p.stat().st_mode & 0o077 == 0


def test_record_and_query(journal: Journal) -> None:
    clock = journal._clock
    assert isinstance(clock, FrozenClock)
    s1 = journal.record("intent", symbol="BTCUSDT", order_link_id="a1", qty=Decimal("0.010"), side=Side.BUY)
    clock.advance(1000)
    s2 = journal.record("ack", symbol="BTCUSDT", order_link_id="a1", order_id="x")
    clock.advance(1000)
    s3 = journal.record("intent", symbol="ETHUSDT", order_link_id="b1", order_type=OrderType.LIMIT)
    assert s1 < s2 < s3
    recs = journal.query()
    assert [r.seq for r in recs] == [s1, s2, s3]
    assert recs[0].data == {"qty": "0.010", "side": "Buy"}  # Decimal kept exact as a string
    assert recs[0].ts_ms == 1_767_225_600_000
    assert [r.seq for r in journal.query(since_seq=s1)] == [s2, s3]
    assert [r.seq for r in journal.query(since_ms=1_767_225_601_000)] == [s2, s3]
    assert [r.seq for r in journal.query(symbol="ETHUSDT")] == [s3]
    assert [r.seq for r in journal.query(kinds=["ack"])] == [s2]
    assert journal.query(kinds=[]) == []
    assert [r.seq for r in journal.query(order_link_id="a1")] == [s1, s2]
    assert len(journal.query(limit=2)) == 2
    assert journal.last_seq() == s3


def test_dataclasses_and_odd_types_serialise(journal: Journal) -> None:
    @dataclass
    class Params:
        price: Decimal
        tags: frozenset[str]

    seq = journal.record(
        "request", params=Params(Decimal("65000.10"), frozenset({"b", "a"})), raw=b"\x00\x01"
    )
    (rec,) = journal.query(since_seq=seq - 1)
    assert rec.data == {"params": {"price": "65000.10", "tags": ["a", "b"]}, "raw": "<2 bytes>"}


def test_open_intents(journal: Journal) -> None:
    journal.record("intent", symbol="BTCUSDT", order_link_id="acked")
    journal.record("request", symbol="BTCUSDT", order_link_id="acked")
    journal.record("ack", symbol="BTCUSDT", order_link_id="acked")
    journal.record("intent", symbol="BTCUSDT", order_link_id="rejected")
    journal.record("reject", symbol="BTCUSDT", order_link_id="rejected", ret_code=110007)
    journal.record("intent", symbol="BTCUSDT", order_link_id="risk-no")
    journal.record("risk_decision", symbol="BTCUSDT", order_link_id="risk-no", approved=False)
    journal.record("intent", symbol="BTCUSDT", order_link_id="risk-yes")
    journal.record("risk_decision", symbol="BTCUSDT", order_link_id="risk-yes", approved=True)
    journal.record("request", symbol="BTCUSDT", order_link_id="risk-yes")
    journal.record("intent", symbol="ETHUSDT", order_link_id="timeout")
    journal.record("request", symbol="ETHUSDT", order_link_id="timeout")
    journal.record("reconcile", symbol="ETHUSDT", order_link_id="timeout", found=False)
    journal.record("intent", symbol="ETHUSDT", order_link_id="found")
    journal.record("reconcile", symbol="ETHUSDT", order_link_id="found", found=True, status="New")
    journal.record("intent", symbol="ETHUSDT", order_link_id="filled")
    journal.record("order_update", symbol="ETHUSDT", order_link_id="filled", status="Filled")
    assert [r.order_link_id for r in journal.open_intents()] == ["risk-yes", "timeout"]


def test_is_secret_key() -> None:
    for k in (
        "api_key",
        "apiKey",
        "API-KEY",
        "api_secret",
        "secret",
        "sign",
        "signature",
        "X-BAPI-SIGN",
        "X-BAPI-API-KEY",
        "x-bapi-timestamp",
        "password",
        "demo_api_secret",
    ):
        assert is_secret_key(k), k
    for k in ("symbol", "side", "signal", "design", "qty", "orderLinkId", "price"):
        assert not is_secret_key(k), k


def test_sanitize_nested_and_strings() -> None:
    out = sanitize(
        {
            "headers": {
                "X-BAPI-API-KEY": API_KEY,
                "X-BAPI-SIGN": SIGNATURE,
                "Content-Type": "application/json",
            },
            "nested": [{"api_secret": API_SECRET, "qty": Decimal("1")}],
            "log": (
                "Request -> POST /v5/order/create. "
                f"Headers: {{'X-BAPI-API-KEY': '{API_KEY}', 'X-BAPI-SIGN': '{SIGNATURE}'}}"
            ),
            "query": f"api_key={API_KEY}&sign={SIGNATURE}&symbol=BTCUSDT",
        }
    )
    assert out["headers"] == {
        "X-BAPI-API-KEY": MASK,
        "X-BAPI-SIGN": MASK,
        "Content-Type": "application/json",
    }
    assert out["nested"] == [{"api_secret": MASK, "qty": "1"}]
    flat = repr(out)
    for s in (API_KEY, API_SECRET, SIGNATURE):
        assert s not in flat
    assert "symbol=BTCUSDT" in out["query"]


def _file_bytes(tmp_path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())


def test_secret_never_lands_in_file_bytes(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.db", FrozenClock())
    j.add_secret(API_SECRET)
    j.record(
        "request",
        symbol="BTCUSDT",
        order_link_id="o1",
        headers={"X-BAPI-API-KEY": API_KEY, "X-BAPI-SIGN": SIGNATURE, "X-BAPI-TIMESTAMP": "1"},
        body={"symbol": "BTCUSDT", "side": "Buy", "secret": API_SECRET},
        note=f"oops the secret {API_SECRET} leaked into free text",
        error=RuntimeError(f"signature={SIGNATURE}"),
    )
    # while open (WAL) and after close (checkpointed into the main file)
    for stage in ("open", "closed"):
        blob = _file_bytes(tmp_path)
        for s in (API_KEY, API_SECRET, SIGNATURE):
            assert s.encode() not in blob, f"{stage}: secret found in journal bytes"
        assert b"BTCUSDT" in blob
        if stage == "open":
            j.close()


def test_threads_and_loop_writers(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.db", FrozenClock())
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(50):
                j.record("fill", symbol="BTCUSDT", order_link_id=f"t{n}-{i}", i=i)
        except (sqlite3.Error, RuntimeError) as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    seqs = [r.seq for r in j.query()]
    assert len(seqs) == 200 and seqs == sorted(set(seqs))
    j.close()
    with pytest.raises(RuntimeError):
        j.record("fill")
    assert not j.healthy()


def test_seq_monotonic_across_reopen(tmp_path: Path) -> None:
    p = tmp_path / "j.db"
    j = Journal(p, FrozenClock())
    last = [j.record("intent", order_link_id=f"x{i}") for i in range(3)][-1]
    j.close()
    j2 = Journal(p, FrozenClock())
    assert j2.record("intent", order_link_id="y") == last + 1
    assert j2.healthy()
    j2.close()


def test_readonly_cannot_write(tmp_path: Path) -> None:
    p = tmp_path / "j.db"
    Journal(p, FrozenClock()).close()
    ro = Journal(p, readonly=True)
    with pytest.raises(sqlite3.OperationalError):
        ro.record("intent")
    ro.close()
