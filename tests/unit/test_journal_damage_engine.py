"""Start-up on a lost or damaged journal, through the real engine on the sim over loopback.

The engine used to record ``reconcile clean`` and never notice orders working on the venue that
the journal had lost (a write-ahead log deleted after a crash, a file emptied or corrupt). Now it
says what happened (log pane, error level) and records every such venue order in the journal.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

from core.engine import Engine
from core.events import LogLine, Severity
from core.sim.runner import SimVenueThread
from tests.support.engine_types import Below, EngineSettingsFactory, VenueHttp, VenueRows

REPO = Path(__file__).resolve().parents[2]

PLACER = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    from decimal import Decimal
    from core.config import load_settings
    from core.engine import Engine
    from core.model import OrderRequest, OrderType, Side

    port, journal, price, n = sys.argv[1], sys.argv[2], Decimal(sys.argv[3]), int(sys.argv[4])

    async def main() -> None:
        s = load_settings(sim={"port": int(port)}, journal={"path": journal}, metrics={"enabled": False})
        eng = Engine(s)
        await eng.start(feeds=False)
        for i in range(n):
            res = await eng.place(OrderRequest("BTCUSDT", Side.BUY, Decimal("0.001"), OrderType.LIMIT,
                                               price - i))
            assert res.ok, res.message
        os.kill(os.getpid(), signal.SIGKILL)  # a crash: the WAL holds the orders' records

    asyncio.run(main())
    """
)


async def _mark(settings_engine: Engine) -> Decimal:
    await settings_engine.start(feeds=False)
    mark = settings_engine.pretrade.ref_price("BTCUSDT")
    await settings_engine.stop()
    return mark or Decimal("90000")


def _error_lines(engine: Engine) -> list[str]:
    return [
        e.message
        for e in engine.store.drain_events(10_000)
        if isinstance(e, LogLine) and e.severity is Severity.ERROR
    ]


def _adopted(engine: Engine) -> dict[str, dict[str, object]]:
    return {
        r.order_link_id: r.data for r in engine.journal.query(kinds=["reconcile"]) if r.data.get("adopted")
    }


async def test_orders_lost_with_the_wal_are_reconciled_into_the_journal(
    sim: SimVenueThread,
    tmp_path: Path,
    engine_settings: EngineSettingsFactory,
    below: Below,
    venue_open_orders: VenueRows,
) -> None:
    settings = engine_settings(sim, tmp_path)
    journal = Path(settings.journal.path)
    price = below(await _mark(Engine(settings)))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADE_")}
    proc = subprocess.run(
        [sys.executable, "-c", PLACER, str(sim.port), str(journal), str(price), "3"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == -9, proc.stderr[-2000:]
    on_venue = {o["orderLinkId"] for o in venue_open_orders(sim)}
    assert len(on_venue) == 3
    Path(f"{journal}-wal").unlink()  # the records of those three orders go with it
    Path(f"{journal}-shm").unlink(missing_ok=True)

    engine = Engine(settings)
    await engine.start(feeds=False)
    try:
        errors = _error_lines(engine)
        assert any("write-ahead log (journal.db-wal) is missing" in line for line in errors), errors
        adopted = _adopted(engine)
        assert set(adopted) == on_venue
        for data in adopted.values():
            assert data["status"] == "New" and data["side"] == "Buy" and data["qty"] == "0.001"
        (recovered,) = engine.journal.query(kinds=["journal_recovery"])
        since = engine.journal.query(since_seq=recovered.seq, kinds=["reconcile"])
        assert len(since) == 3 and not [r for r in since if r.data.get("clean")]
        assert on_venue <= set(engine.state.orders)
    finally:
        await engine.stop()
    restarted = Engine(settings)  # the next start knows them: nothing adopted twice
    await restarted.start(feeds=False)
    try:
        assert len(_adopted(restarted)) == 3
        assert restarted.journal.recovery is None
    finally:
        await restarted.stop()


async def test_a_garbage_journal_is_moved_aside_and_venue_orders_adopted(
    sim: SimVenueThread,
    tmp_path: Path,
    engine_settings: EngineSettingsFactory,
    below: Below,
    venue_http: VenueHttp,
) -> None:
    settings = engine_settings(sim, tmp_path)
    journal = Path(settings.journal.path)
    price = below(await _mark(Engine(settings)))
    http = venue_http(sim)
    for i in range(2):
        http.place_order(
            category="linear",
            symbol="BTCUSDT",
            side="Sell" if i else "Buy",
            orderType="Limit",
            qty="0.002",
            price=str(price - i if not i else price * 2),
            orderLinkId=f"elsewhere-{i}",
        )
    journal.write_bytes(b"\x13\x37" * 4096)

    engine = Engine(settings)
    await engine.start(feeds=False)
    try:
        rec = engine.journal.recovery
        assert rec is not None and "file is not a database" in rec.problem
        assert Path(rec.kept_as).read_bytes() == b"\x13\x37" * 4096
        errors = _error_lines(engine)
        assert any(rec.kept_as in line and ".recover" in line for line in errors), errors
        assert set(_adopted(engine)) == {"elsewhere-0", "elsewhere-1"}
    finally:
        await engine.stop()
