"""Running the console as a process: redacted file logging, the embedded sim in sim mode, the
real engine and the app (:func:`run_console`, called by the CLI)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from console.app import TradeConsoleApp
from core.config import Settings
from core.model import Mode

if TYPE_CHECKING:
    from core.sim.runner import SimVenueThread

log = logging.getLogger(__name__)


def _secret_values(settings: Settings) -> list[str]:
    """Every configured secret, so the log redactor can mask it verbatim."""
    out = [settings.sim.api_secret.get_secret_value()]
    for value in (
        settings.demo_api_key,
        settings.demo_api_secret,
        settings.live_api_key,
        settings.live_api_secret,
    ):
        if value is not None:
            out.append(value.get_secret_value())
    return out


def _start_embedded_sim(settings: Settings) -> SimVenueThread:
    """The console's private sim: on the configured port, or any free one if that is taken.

    The embedded venue is only ever used by this console, so another process on the port
    (a standalone ``trade-console sim``, a second console) is no reason to fail.
    """
    from core.sim.runner import SimVenueThread

    try:
        return SimVenueThread(settings.sim).start()
    except RuntimeError as exc:
        if not isinstance(exc.__cause__, OSError) or settings.sim.port == 0:
            raise
        log.warning("sim port %s unavailable (%s); using a free port", settings.sim.port, exc.__cause__)
        return SimVenueThread(settings.sim.model_copy(update={"port": 0})).start()


def run_console(settings: Settings) -> int:
    """Run the console: embedded sim (sim mode), the real engine, the app. Returns the exit code.

    Logging goes to redacted JSON-lines files under ``metrics.log_dir`` (never to the terminal,
    which belongs to the TUI); engine messages reach the log pane as ``LogLine`` events.
    """
    from core.engine import Engine
    from core.observability.logging import setup_logging

    logs = setup_logging(
        settings.metrics.log_dir,
        mode=settings.mode.value,
        venue=f"{settings.venue.name}-{settings.mode.value}",
        secrets=_secret_values(settings),
    )
    sim = None
    # The embedded sim serves a venue reached over loopback; an in-process venue needs none.
    if settings.mode is Mode.SIM and settings.sim.embedded and settings.venue_policy.in_process_url is None:
        sim = _start_embedded_sim(settings)
        if settings.sim.port != sim.port:
            settings = settings.model_copy(update={"sim": settings.sim.model_copy(update={"port": sim.port})})
    try:
        engine = Engine(settings)
        app = TradeConsoleApp(engine, settings, freeze_heap=True)
        app.run()
        return app.return_code or 0
    finally:
        if sim is not None:
            sim.stop()
        logs.close()


__all__ = ["run_console"]
