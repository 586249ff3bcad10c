"""Benchmark: the engine's loop lag while /metrics and /healthz are flooded with scrapes.

Run: ``.venv/bin/python bench/scrape_flood.py [--seconds 15] [--clients 32]``. A standalone sim
runs in its own process; the engine runs here with its feeds (three symbols, 20 book/ticker
updates a second each) and the metrics server on a free loopback port. A probe task on the
engine's loop sleeps 5 ms at a time and records how late it wakes (the loop lag). First a quiet
phase, then a flood: another process keeps ``--clients`` keep-alive connections busy fetching
``/metrics`` and ``/healthz`` as fast as the server answers. Prints ``name: value unit`` lines:

* ``loop_lag_quiet_ms_p50/p99/max`` and ``loop_lag_flood_ms_p50/p99/max``
* ``flood_requests_per_s`` (answered scrapes, both paths) and ``flood_errors``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

PROBE_S = 0.005


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _flood(base: str, seconds: float, clients: int) -> None:
    """The flooding process: ``clients`` connections fetching /metrics and /healthz in turn."""
    import aiohttp

    done = errors = 0
    end = time.monotonic() + seconds

    async def one(i: int, http: aiohttp.ClientSession) -> None:
        nonlocal done, errors
        paths = ("/metrics", "/healthz") if i % 2 else ("/healthz", "/metrics")
        n = 0
        while time.monotonic() < end:
            try:
                async with http.get(base + paths[n % 2]) as resp:
                    await resp.read()
                done += 1
            except (TimeoutError, aiohttp.ClientError):
                errors += 1
            n += 1

    conn = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=conn, timeout=aiohttp.ClientTimeout(total=10)) as http:
        await asyncio.gather(*(one(i, http) for i in range(clients)))
    print(f"{done / seconds:.1f} {errors}", flush=True)


def _start_sim(port: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADE_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "console.cli", "sim", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the sim did not start")


async def _lags(seconds: float) -> list[float]:
    """Loop lag samples (ms) over ``seconds``: how late a 5 ms sleep wakes up."""
    loop = asyncio.get_running_loop()
    out: list[float] = []
    end = loop.time() + seconds
    while loop.time() < end:
        t0 = time.perf_counter()
        await asyncio.sleep(PROBE_S)
        out.append((time.perf_counter() - t0 - PROBE_S) * 1000)
    return out


def _report(name: str, lags: list[float]) -> None:
    print(f"loop_lag_{name}_ms_p50: {_pct(lags, 0.5):.2f} ms")
    print(f"loop_lag_{name}_ms_p99: {_pct(lags, 0.99):.2f} ms")
    print(f"loop_lag_{name}_ms_max: {max(lags):.2f} ms")


async def _main(seconds: float, clients: int) -> None:
    from core.config import load_settings
    from core.engine import Engine

    sim_port = _free_port()
    sim = _start_sim(sim_port)
    tmp = Path(tempfile.mkdtemp())
    try:
        settings = load_settings(
            sim={"port": sim_port, "embedded": False},
            journal={"path": str(tmp / "journal.db")},
            metrics={"enabled": True, "port": 0, "log_dir": str(tmp / "log")},
        )
        engine = Engine(settings)
        await engine.start()
        try:
            server = engine.obs.server
            assert server is not None
            base = f"http://127.0.0.1:{server.port}"
            await asyncio.sleep(2.0)  # books and tickers flowing
            _report("quiet", await _lags(seconds))
            flood = await asyncio.create_subprocess_exec(
                "nice",
                "-n",
                "10",
                sys.executable,
                __file__,
                "--flood-client",
                base,
                "--seconds",
                str(seconds),
                "--clients",
                str(clients),
                stdout=asyncio.subprocess.PIPE,
            )
            await asyncio.sleep(0.5)  # connections open and busy
            lags = await _lags(seconds - 1.0)
            out, _ = await flood.communicate()
            _report("flood", lags)
            rate, errors = out.decode().split()
            print(f"flood_requests_per_s: {rate} req/s")
            print(f"flood_errors: {errors} count")
        finally:
            await engine.stop()
    finally:
        sim.terminate()
        sim.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each phase")
    parser.add_argument("--clients", type=int, default=32, help="concurrent scrape connections")
    parser.add_argument("--flood-client", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.flood_client:
        asyncio.run(_flood(args.flood_client, args.seconds, args.clients))
        return
    asyncio.run(_main(args.seconds, args.clients))


if __name__ == "__main__":
    main()
