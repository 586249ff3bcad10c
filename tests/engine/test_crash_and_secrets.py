"""Crash recovery (journal ↔ venue reconciliation) and secrets hygiene, through the real engine."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core.engine import Engine
from core.model import OrderRequest, OrderType, Side
from core.sim.runner import SimVenueThread
from tests.support.engine_types import (
    SYM,
    Below,
    EngineSettingsFactory,
    Ready,
    SimSettingsFactory,
    VenueRows,
    WaitFor,
)

CRASHER = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    from decimal import Decimal
    from core.config import load_settings
    from core.engine import Engine
    from core.model import OrderRequest, OrderType, Side

    port, journal, when, price = sys.argv[1], sys.argv[2], sys.argv[3], Decimal(sys.argv[4])

    async def main() -> None:
        s = load_settings(
            sim={"port": int(port)},
            journal={"path": journal},
            metrics={"enabled": False},
            risk={"symbols": ["BTCUSDT"]},  # the one symbol it trades
        )
        eng = Engine(s)
        await eng.start(feeds=False)
        real_place = eng.venue.place

        def place(order):
            if when == "before_send":
                os.kill(os.getpid(), signal.SIGKILL)
            reply = real_place(order)
            os.kill(os.getpid(), signal.SIGKILL)  # after the venue took it, before the ack is journaled
            return reply

        eng.venue.place = place
        await eng.place(OrderRequest("BTCUSDT", Side.BUY, Decimal("0.001"), OrderType.LIMIT, price))

    asyncio.run(main())
    """
)


@pytest.mark.parametrize("when", ["before_send", "after_send"])
async def test_crash_mid_order_reconciles(
    sim: SimVenueThread,
    tmp_path: Path,
    when: str,
    below: Below,
    engine_settings: EngineSettingsFactory,
    venue_open_orders: VenueRows,
) -> None:
    journal = tmp_path / "journal.db"
    settings = engine_settings(sim, tmp_path)
    probe = Engine(settings)
    await probe.start(feeds=False)
    mark = probe.pretrade.ref_price(SYM)
    await probe.stop()
    price = below(mark or Decimal("90000"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADE_")}
    proc = subprocess.run(
        [sys.executable, "-c", CRASHER, str(sim.port), str(journal), when, str(price)],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == -9, proc.stderr[-2000:]

    engine = Engine(settings)
    await engine.start(feeds=False)
    try:
        recon = [r for r in engine.journal.query(kinds=["reconcile"]) if r.data.get("resolved")]
        assert len(recon) == 1, [r.data for r in engine.journal.query(kinds=["reconcile"])]
        detail = recon[0].data["detail"]
        link = recon[0].order_link_id
        on_venue = {o["orderLinkId"] for o in venue_open_orders(sim)}
        if when == "before_send":
            assert "never reached the venue" in detail
            assert link not in on_venue
        else:
            assert "on the venue as New" in detail
            assert link in on_venue and link in engine.state.orders
        assert engine.journal.open_intents() == []
    finally:
        await engine.stop()


async def test_secrets_never_reach_logs_or_journal(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    below: Below,
    engine_settings: EngineSettingsFactory,
    ready: Ready,
    sim_settings: SimSettingsFactory,
) -> None:
    key = "Zk3QmW8rT2vX9pLs4N"
    secret = "Hq7Vn2Kx9Rt4Wm8Pz3Ly6Bc1Df5Gj0Sa2Xe7Ui"
    venue = SimVenueThread(sim_settings(api_key=key, api_secret=secret)).start()
    try:
        caplog.set_level(logging.DEBUG)
        engine = Engine(engine_settings(venue, tmp_path))
        await engine.start()
        try:
            mark = await ready(engine)
            await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.001"), OrderType.LIMIT, below(mark)))
            await engine.place(
                OrderRequest(SYM, Side.BUY, Decimal("0.001"), OrderType.LIMIT, below(mark, "0.5"))
            )
            venue.set_faults("http5xx_next=1")
            await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.001"), OrderType.LIMIT, below(mark)))
            await engine.panic()
        finally:
            await engine.stop()
    finally:
        venue.stop()
    out = capfd.readouterr()
    blobs = [caplog.text, out.out, out.err, (tmp_path / "journal.db").read_bytes().decode("latin-1")]
    for wal in tmp_path.glob("journal.db-*"):
        blobs.append(wal.read_bytes().decode("latin-1"))
    for blob in blobs:
        assert key not in blob
        assert secret not in blob


async def test_records_before_a_send_are_fsynced_before_the_venue_sees_it(
    engine: Engine, ready: Ready, wait_for: WaitFor, below: Below
) -> None:
    """The intent (with its decision) and the amend are fsynced when the venue is called; the ack
    and order updates after them are lazy (committed, not waited for)."""
    journal, venue = engine.journal, engine.venue
    seen: dict[str, tuple[int, int]] = {}  # kind -> (its last seq, the synced seq) at the call

    def synced_at_call(kind: str) -> None:
        (rec,) = journal.query(kinds=[kind])[-1:]
        seen[kind] = (rec.seq, journal.synced_seq)

    real_place, real_amend = venue.place, venue.amend

    def place(*args: Any, **kwargs: Any) -> Any:
        synced_at_call("intent")
        return real_place(*args, **kwargs)

    def amend(*args: Any, **kwargs: Any) -> Any:
        synced_at_call("amend")
        return real_amend(*args, **kwargs)

    venue.place, venue.amend = place, amend  # type: ignore[method-assign]
    price = below(await ready(engine))
    res = await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.01"), OrderType.LIMIT, price))
    assert res.ok, res.message
    await wait_for(lambda: journal.query(kinds=["ack"], order_link_id=res.order_link_id) != [])
    assert (await engine.amend(res.order_link_id, price=price - Decimal("5"))).ok
    for kind in ("intent", "amend"):
        seq, synced = seen[kind]
        assert synced >= seq, f"{kind} {seq} not fsynced before the send (synced up to {synced})"
    ack = journal.query(kinds=["ack"], order_link_id=res.order_link_id)[0]
    assert ack.seq > seen["intent"][0]
    assert (await engine.cancel(res.order_link_id)).ok
