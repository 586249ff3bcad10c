"""The engine's metrics/health server: started by ``start()`` or later by ``start_metrics()`` (the
console's way), once however often it is asked, and a taken port said in one readable line."""

from __future__ import annotations

import asyncio
import socket
import threading
from pathlib import Path

from core.events import LogLine
from tests.support.venue_under_test import InProcessVenue


def _servers() -> int:
    return sum(t.name == "metrics-http" for t in threading.enumerate())


async def test_started_later_and_once_however_often_asked(tmp_path: Path) -> None:
    venue = InProcessVenue()
    engine = venue.engine(venue.settings(tmp_path, metrics={"enabled": True, "port": 0}))
    before = _servers()
    await engine.start(metrics=False)
    try:
        server = engine.obs.server
        assert server is not None and server.port == 0, "start(metrics=False) bound the metrics port"
        await asyncio.gather(engine.start_metrics(), engine.start_metrics())
        await engine.start_metrics()
        assert server.port != 0
        assert _servers() == before + 1
    finally:
        await engine.stop()
    assert _servers() == before


async def test_a_taken_port_is_said_in_one_line_and_the_engine_runs(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        venue = InProcessVenue()
        engine = venue.engine(venue.settings(tmp_path, metrics={"enabled": True, "port": port}))
        await engine.start()
        try:
            lines = [e.message for e in engine.store.drain_events() if isinstance(e, LogLine)]
            said = [m for m in lines if "metrics/health server not started" in m]
            assert said == [
                f"metrics/health server not started on 127.0.0.1:{port}: Address already in use "
                "(set [metrics] port)"
            ]
            assert engine.started
        finally:
            await engine.stop()
