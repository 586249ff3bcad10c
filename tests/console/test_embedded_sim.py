"""The console's private sim starts even when its configured port is taken."""

from __future__ import annotations

import socket

from console.runner import _start_embedded_sim
from core.config import load_settings


def test_embedded_sim_falls_back_to_a_free_port() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        settings = load_settings(sim={"port": taken}, metrics={"enabled": False})
        venue = _start_embedded_sim(settings)
        try:
            assert venue.port not in (0, taken)
            assert venue.rest_url.startswith("http://127.0.0.1:")
        finally:
            venue.stop()
