"""Running the console as a process: redacted file logging, the embedded sim in sim mode (both
sims, Bybit's on ``sim.port`` and Hyperliquid's on the next, for ``venue.name = "multi"``), the
real engine and the app (:func:`run_console`, called by the CLI)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlparse

from console.app import TradeConsoleApp
from core.config import Settings
from core.model import Mode

if TYPE_CHECKING:
    from core.sim.hyperliquid.runner import HlSimThread
    from core.sim.runner import SimVenueThread

log = logging.getLogger(__name__)

COMPOSITE = "multi"
"""The venue name that trades ``venue.legs`` at once (one embedded sim per leg)."""
HYPERLIQUID = "hyperliquid"
PAIR_ATTEMPTS = 5
"""Tries at finding two adjacent free ports for the two embedded sims."""


class Stoppable(Protocol):
    """An embedded sim thread."""

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server and its thread."""
        ...


def _secret_values(settings: Settings) -> list[str]:
    """Every configured secret (every mode's and venue's keys), so the log redactor can mask it
    verbatim."""
    return settings.secret_values()


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


def _start_hl_sim(settings: Settings, port: int) -> HlSimThread:
    """The embedded Hyperliquid sim on ``port`` with the sim's well-known account and agent."""
    from core.sim.hyperliquid.keys import default_agents
    from core.sim.hyperliquid.runner import HlSimThread

    sim = settings.sim
    return HlSimThread(
        seed=sim.seed,
        agents=default_agents(),
        host=sim.host,
        port=port,
        market_rate_hz=sim.market_rate_hz,
        starting_balance=sim.starting_balance,
    ).start()


def _start_both_sims(settings: Settings) -> tuple[list[Stoppable], Settings]:
    """The Bybit sim on ``sim.port`` and the Hyperliquid sim on the next port, where the composite
    venue's second leg looks (both on free adjacent ports if those are taken)."""
    first = settings
    for _ in range(PAIR_ATTEMPTS):
        bybit = _start_embedded_sim(first)
        try:
            hl = _start_hl_sim(settings, bybit.port + 1)
        except RuntimeError as exc:
            bybit.stop()
            log.warning("sim port %s unavailable (%s); trying another pair", bybit.port + 1, exc.__cause__)
            first = settings.model_copy(update={"sim": settings.sim.model_copy(update={"port": 0})})
            continue
        return [bybit, hl], settings.model_copy(
            update={"sim": settings.sim.model_copy(update={"port": bybit.port})}
        )
    raise RuntimeError(f"no two adjacent free loopback ports for the embedded sims in {PAIR_ATTEMPTS} tries")


def start_embedded_sims(settings: Settings) -> tuple[list[Stoppable], Settings]:
    """The sims the console's venue needs in sim mode (none for an in-process venue or when
    ``sim.embedded`` is off), and the settings pointing at them."""
    if settings.mode is not Mode.SIM or not settings.sim.embedded:
        return [], settings
    if settings.venue.name == COMPOSITE:
        if tuple(settings.venue.legs) != ("bybit", "hyperliquid"):
            raise RuntimeError(
                f"embedded sims serve venue.legs ['bybit', 'hyperliquid'], not {list(settings.venue.legs)}"
            )
        return _start_both_sims(settings)
    if settings.venue_policy.in_process_url is not None:
        return [], settings
    if settings.venue.name == HYPERLIQUID:  # its adapter looks for the sim on sim.port itself
        try:
            hl = _start_hl_sim(settings, settings.sim.port)
        except RuntimeError as exc:
            log.warning("sim port %s unavailable (%s); using a free port", settings.sim.port, exc.__cause__)
            hl = _start_hl_sim(settings, 0)
        port = urlparse(hl.base_url).port or settings.sim.port
        return [hl], settings.model_copy(update={"sim": settings.sim.model_copy(update={"port": port})})
    sim = _start_embedded_sim(settings)
    if settings.sim.port != sim.port:
        settings = settings.model_copy(update={"sim": settings.sim.model_copy(update={"port": sim.port})})
    return [sim], settings


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
    # The embedded sims serve venues reached over loopback; an in-process venue needs none.
    sims, settings = start_embedded_sims(settings)
    try:
        engine = Engine(settings)
        app = TradeConsoleApp(engine, settings, freeze_heap=True)
        app.run()
        return app.return_code or 0
    finally:
        for sim in sims:
            sim.stop()
        logs.close()


__all__ = ["run_console", "start_embedded_sims"]
