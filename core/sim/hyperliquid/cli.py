"""Run the Hyperliquid sim in the foreground until Ctrl-C (``python -m core.sim.hyperliquid``)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from core.config import is_loopback_host
from core.sim.hyperliquid.keys import SIM_AGENT, SIM_AGENT_KEY, SIM_USER, default_agents
from core.sim.hyperliquid.server import HlSimServer

MAX_RATE_HZ = 5000
ADDRESS_LEN = 42


def banner(server: HlSimServer, seed: int) -> str:
    """URLs, the account and its agent key, and an SDK recipe."""
    return f"""Sim venue (Hyperliquid perps: BTC, ETH, SOL) — seed {seed}, market {server.market_rate_hz:g} Hz
  base_url    {server.base_url}        (POST /info, POST /exchange, WS {server.base_url}/ws)
  account     {SIM_USER}
  agent       {SIM_AGENT}
  agent key   {SIM_AGENT_KEY}      (the sim's well-known key; it only opens this loopback venue)

hyperliquid-python-sdk (signs testnet-style for any URL but mainnet's, as the sim verifies):
  >>> from eth_account import Account; from hyperliquid.exchange import Exchange
  >>> ex = Exchange(Account.from_key("{SIM_AGENT_KEY}"), "{server.base_url}", account_address="{SIM_USER}")
  >>> ex.order("ETH", True, 0.01, 3000, {{"limit": {{"tif": "Gtc"}}}})
Ctrl-C to stop."""


def run(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    seed: int = 42,
    rate_hz: float = 20.0,
    agents: tuple[str, ...] = (),
) -> int:
    """Serve until Ctrl-C; print the banner first. Returns an exit code."""
    if not is_loopback_host(host):
        print(f"hyperliquid sim: --host must be a loopback address, got {host!r}")
        return 2
    if not 0 < rate_hz <= MAX_RATE_HZ:
        print(f"hyperliquid sim: --rate must be in (0, {MAX_RATE_HZ}]")
        return 2
    bad = [a for a in agents if not (a.startswith("0x") and len(a) == ADDRESS_LEN)]
    if bad:
        print(f"hyperliquid sim: --agent must be a 0x address, got {bad[0]!r}")
        return 2

    async def _main() -> None:
        server = HlSimServer(
            seed=seed, agents=default_agents(agents), host=host, port=port, market_rate_hz=rate_hz
        )
        await server.start()
        print(banner(server, seed), flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await server.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main())
    print("hyperliquid sim stopped.")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run."""
    p = argparse.ArgumentParser(prog="python -m core.sim.hyperliquid", description=__doc__)
    p.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    p.add_argument("--port", type=int, default=8766, help="port (0 = a free one)")
    p.add_argument("--seed", type=int, default=42, help="market generator seed")
    p.add_argument("--rate", type=float, default=20.0, help="market steps per second")
    p.add_argument(
        "--agent", action="append", default=[], help="register another agent address to the sim account"
    )
    a = p.parse_args(argv)
    return run(host=a.host, port=a.port, seed=a.seed, rate_hz=a.rate, agents=tuple(a.agent))
