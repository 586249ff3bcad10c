"""``trade-console sim``: run the sim venue in the foreground until Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from core.config import SimSettings, is_loopback_host
from core.sim.faults import FaultSpec
from core.sim.rest import ExchangeFacade
from core.sim.server import SimServer

MAX_RATE_HZ = 5000
"""The fastest market generator rate ``--rate`` accepts."""


def _banner(server: SimServer, sim: SimSettings, market: str = "") -> str:
    """What the sim serves and how to reach it; ``market`` names a replayed market (else the
    seeded generator and its rate)."""
    key, secret = sim.api_key, sim.api_secret.get_secret_value()
    market = market or f"seed {sim.seed}, market {sim.market_rate_hz:g} Hz"
    return f"""Sim venue (Bybit V5, linear) — {market}, \
rate limits {"on" if sim.rate_limits else "off"}, faults {sim.faults or "none"}
  REST        {server.rest_url}
  WS public   {server.ws_public_url}
  WS private  {server.ws_private_url}
  API key     {key}
  API secret  {secret}      (the sim's well-known credentials; they only open this loopback venue)
  Admin       curl -H 'X-SIM-ADMIN: {key}' {server.rest_url}/sim/admin/stats

pybit:
  >>> from pybit.unified_trading import HTTP, WebSocket
  >>> import pybit.unified_trading as ut
  >>> s = HTTP(api_key="{key}", api_secret="{secret}"); s.endpoint = "{server.rest_url}"
  >>> ut.PUBLIC_WSS = "ws://{server.settings.host}:{server.port}/v5/public/{{CHANNEL_TYPE}}"
  >>> ut.PRIVATE_WSS = "{server.ws_private_url}"
  >>> ws = WebSocket("linear", testnet=False)
ccxt:
  >>> import ccxt
  >>> ex = ccxt.bybit({{"apiKey": "{key}", "secret": "{secret}",
                       "options": {{"defaultType": "swap", "fetchMarkets": {{"types": ["linear"]}},
                                   "fetchCurrencies": False, "enableUnifiedAccount": True,
                                   "enableUnifiedMargin": False}}}})
  >>> ex.urls["api"] = {{k: "{server.rest_url}" for k in ("spot", "futures", "v2", "public", "private")}}
Ctrl-C to stop."""


def _replay_exchange(settings: SimSettings, replay: str, speed: float) -> ExchangeFacade | None:
    """The exchange core playing ``replay`` on the real clock, or None after printing why not."""
    from core.clock import SystemClock
    from core.sim.replay import ReplayError, replay_exchange

    try:
        return replay_exchange(
            Path(replay),
            clock=SystemClock(),
            speed=speed,
            seed=settings.seed,
            starting_balance=settings.starting_balance,
        )
    except ReplayError as exc:
        print(f"trade-console sim: --replay: {exc}")
        return None


def _updates(
    host: str | None, port: int | None, seed: int | None, faults: str | None, rate_hz: float | None
) -> dict[str, Any] | None:
    """The settings the flags change, or None after printing why a flag is refused."""
    updates: dict[str, Any] = {}
    if host is not None:
        if not is_loopback_host(host):
            print(f"trade-console sim: --host must be a loopback address, got {host!r}")
            return None
        updates["host"] = host
    if port is not None:
        updates["port"] = port
    if seed is not None:
        updates["seed"] = seed
    if faults is not None:
        try:
            FaultSpec.parse(faults)
        except ValueError as exc:
            print(f"trade-console sim: --faults: {exc}")
            return None
        updates["faults"] = faults
    if rate_hz is not None:
        if not 0 < rate_hz <= MAX_RATE_HZ:
            print(f"trade-console sim: --rate must be in (0, {MAX_RATE_HZ}]")
            return None
        updates["market_rate_hz"] = rate_hz
    return updates


def run_standalone(
    sim: SimSettings,
    *,
    host: str | None = None,
    port: int | None = None,
    seed: int | None = None,
    faults: str | None = None,
    rate_hz: float | None = None,
    venue: str = "bybit",
    replay: str | None = None,
    speed: float = 1.0,
) -> int:
    """Run the venue until Ctrl-C; print URLs, credentials and client recipes first. Returns an exit code.

    ``venue="hyperliquid"`` runs the Hyperliquid sim instead (on ``port``, else the Bybit port + 1).
    ``replay``: a recording directory served as the market at ``speed`` times real time.
    """
    if venue == "hyperliquid":
        from core.sim.hyperliquid.cli import run as run_hyperliquid

        return run_hyperliquid(
            host=host or sim.host,
            port=port if port is not None else sim.port + 1,
            seed=sim.seed if seed is None else seed,
            rate_hz=sim.market_rate_hz if rate_hz is None else rate_hz,
        )
    if venue != "bybit":
        print(f"trade-console sim: --venue must be bybit or hyperliquid, got {venue!r}")
        return 2
    updates = _updates(host, port, seed, faults, rate_hz)
    if updates is None:
        return 2
    settings = sim.model_copy(update=updates)
    exchange = None if replay is None else _replay_exchange(settings, replay, speed)
    if replay is not None and exchange is None:
        return 2

    async def _main() -> None:
        server = SimServer(settings, exchange=exchange)
        await server.start()
        market = "" if replay is None else f"market: replay of {replay} at {speed:g}x"
        print(_banner(server, settings, market), flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await server.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main())
    print("sim venue stopped.")
    return 0
