"""Journal write latency with WAL + synchronous=FULL (each record fsynced before it returns).

Run: .venv/bin/python bench/journal.py [N]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.journal.journal import Journal


def _pct(sorted_us: list[float], p: float) -> float:
    return sorted_us[min(len(sorted_us) - 1, int(p / 100 * len(sorted_us)))]


def main(n: int = 2000) -> None:
    """Write ``n`` realistic intent records and print latency percentiles."""
    with tempfile.TemporaryDirectory() as d:
        j = Journal(Path(d) / "bench.db")
        params = {
            "category": "linear",
            "symbol": "BTCUSDT",
            "side": "Buy",
            "orderType": "Limit",
            "qty": Decimal("0.010"),
            "price": Decimal("65000.10"),
            "timeInForce": "GTC",
            "reduceOnly": False,
        }
        for i in range(50):  # warm-up
            j.record("intent", symbol="BTCUSDT", order_link_id=f"w{i}", params=params)
        lat: list[float] = []
        t_all = time.perf_counter()
        for i in range(n):
            t0 = time.perf_counter()
            j.record("intent", symbol="BTCUSDT", order_link_id=f"tc-{i:08d}", params=params, source="user")
            lat.append((time.perf_counter() - t0) * 1e6)
        total = time.perf_counter() - t_all
        lat.sort()
        print(f"journal_write_us_p50: {statistics.median(lat):.1f} us")
        print(f"journal_write_us_p99: {_pct(lat, 99):.1f} us")
        print(f"journal_write_us_max: {lat[-1]:.1f} us")
        print(f"journal_writes_per_s: {n / total:.0f} records/s")

        # contended: 4 worker threads writing at once
        def worker(k: int) -> None:
            for i in range(n // 4):
                j.record("fill", symbol="BTCUSDT", order_link_id=f"th{k}-{i}", qty="0.001", price="65000.1")

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        print(f"journal_writes_per_s_4_threads: {n / (time.perf_counter() - t0):.0f} records/s")

        t0 = time.perf_counter()
        opened = j.open_intents()
        print(f"journal_open_intents_ms: {(time.perf_counter() - t0) * 1e3:.1f} ms ({len(opened)} open)")
        j.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
