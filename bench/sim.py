"""Sim venue throughput: signed REST order round-trips (pybit) and public WS book messages.

    .venv/bin/python bench/sim.py [--seconds 5] [--threads 4] [--rate 5000]

The venue runs in a separate process (as it does for a real client); the clients run here.
Prints ``name: value unit`` lines.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import sys
import threading
import time
from typing import Any

from core.config import SIM_API_KEY, SIM_API_SECRET, SimSettings

SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT")


def _serve(rate_hz: float, conn: Any, stop: Any, synthetic: bool) -> None:
    from core.sim.runner import SimVenueThread

    settings = SimSettings(port=0, market_rate_hz=rate_hz, rate_limits=False)
    with SimVenueThread(settings) as venue:
        if synthetic:
            venue.call(lambda: asyncio.ensure_future(_synthetic_feed(venue)))
        conn.send(venue.rest_url)
        stop.wait()


async def _synthetic_feed(venue: Any) -> None:
    """Drive the WS fan-out with pre-built book deltas (a free market generator): network layer only."""
    hub = venue.server.ws
    topic = "orderbook.50.BTCUSDT"
    u = 0
    while True:
        for _ in range(200):
            u += 1
            levels = [[f"{95000 + i / 10:.2f}", f"{(u + i) % 7 / 1000:.3f}"] for i in range(8)]
            msg = {
                "topic": topic,
                "type": "delta",
                "ts": u,
                "data": {"s": "BTCUSDT", "b": levels[:4], "a": levels[4:], "u": u, "seq": u},
                "cts": u,
            }
            hub.on_public(topic, msg)
        backlog = max((len(c.queue) for c in hub.conns.values()), default=0)
        await asyncio.sleep(0.001 if backlog < 5000 else 0.01)  # stay under the slow-consumer cut-off


class Venue:
    """A sim venue in a child process."""

    def __init__(self, rate_hz: float, synthetic: bool = False) -> None:
        ctx = mp.get_context("fork")
        parent, child = ctx.Pipe()
        self._stop = ctx.Event()
        self._proc = ctx.Process(target=_serve, args=(rate_hz, child, self._stop, synthetic), daemon=True)
        self._proc.start()
        self.rest_url: str = parent.recv()

    def close(self) -> None:
        self._stop.set()
        self._proc.join(10)


def bench_rest(seconds: float, threads: int) -> tuple[float, int]:
    from pybit.unified_trading import HTTP

    venue = Venue(rate_hz=20.0)
    try:
        probe = HTTP()
        probe.endpoint = venue.rest_url
        mids = {}
        for sym in SYMBOLS:
            ob = probe.get_orderbook(category="linear", symbol=sym)["result"]
            mids[sym] = (float(ob["b"][0][0]), ob["b"][0][0])
        counts = [0] * threads
        errors: list[str] = []
        go = threading.Event()
        deadline = [0.0]

        def worker(i: int) -> None:
            s = HTTP(api_key=SIM_API_KEY, api_secret=SIM_API_SECRET, retry_codes={-1}, max_retries=1)
            s.endpoint = venue.rest_url
            sym = SYMBOLS[i % len(SYMBOLS)]
            _bid, bid_s = mids[sym]
            # IOC buys priced at the best bid never fill and never rest: pure order round-trips.
            go.wait()
            n = 0
            while time.perf_counter() < deadline[0]:
                try:
                    s.place_order(
                        category="linear",
                        symbol=sym,
                        side="Buy",
                        orderType="Limit",
                        qty=_min_qty(sym),
                        price=bid_s,
                        timeInForce="IOC",
                    )
                    n += 1
                except Exception as exc:  # noqa: BLE001 - a benchmark reports and carries on
                    errors.append(f"{type(exc).__name__}: {exc}"[:200])
            counts[i] = n

        ts = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
        for t in ts:
            t.start()
        start = time.perf_counter()
        deadline[0] = start + seconds
        go.set()
        for t in ts:
            t.join()
        elapsed = time.perf_counter() - start
        if errors:
            print(f"# {len(errors)} order errors, first: {errors[0]}", file=sys.stderr)
        return sum(counts) / elapsed, len(errors)
    finally:
        venue.close()


def _min_qty(sym: str) -> str:
    return {"BTCUSDT": "0.001", "ETHUSDT": "0.01", "SOLUSDT": "0.1"}[sym]


async def _ws_count(url: str, topics: list[str], seconds: float) -> tuple[int, int]:
    import aiohttp

    n = nbytes = 0
    async with aiohttp.ClientSession() as s, s.ws_connect(url, max_msg_size=0) as ws:
        await ws.send_str(
            '{"op":"subscribe","req_id":"b","args":[' + ",".join(f'"{t}"' for t in topics) + "]}"
        )
        await ws.receive()  # ack
        t_end = time.perf_counter() + 0.5
        while time.perf_counter() < t_end:  # warm-up
            await ws.receive()
        t0 = time.perf_counter()
        end = t0 + seconds
        while True:
            msg = await ws.receive()
            n += 1
            nbytes += len(msg.data)
            if n % 256 == 0 and time.perf_counter() >= end:
                break
        elapsed = time.perf_counter() - t0
    return int(n / elapsed), int(nbytes / elapsed)


def bench_ws(
    seconds: float, rate_hz: float, depths: tuple[int, ...], synthetic: bool = False
) -> tuple[int, int, list[str]]:
    venue = Venue(rate_hz=rate_hz if not synthetic else 1.0, synthetic=synthetic)
    try:
        if synthetic:
            topics = ["orderbook.50.BTCUSDT"]
        else:
            topics = [f"orderbook.{d}.{s}" for s in SYMBOLS for d in depths]
            topics += [f"publicTrade.{s}" for s in SYMBOLS] + [f"tickers.{s}" for s in SYMBOLS]
        url = venue.rest_url.replace("http://", "ws://") + "/v5/public/linear"
        msgs, rate_bytes = asyncio.run(_ws_count(url, topics, seconds))
        return msgs, rate_bytes, topics
    finally:
        venue.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--rate", type=float, default=5000.0, help="market steps per second for the WS bench")
    p.add_argument("--depths", default="1,50,200,1000", help="orderbook depths subscribed per symbol")
    args = p.parse_args()
    orders, errs = bench_rest(args.seconds, args.threads)
    print(f"sim_rest_orders_per_s: {orders:.0f} orders/s")
    print(
        f"# pybit HTTP, {args.threads} client threads (one HTTP session each), signed IOC /v5/order/create,"
        f" venue in a separate process, rate limits off, {errs} errors"
    )
    depths = tuple(int(d) for d in args.depths.split(","))
    msgs, bps, topics = bench_ws(args.seconds, args.rate, depths)
    print(f"sim_ws_book_msgs_per_s: {msgs} msgs/s")
    print(f"sim_ws_book_bytes_per_s: {bps} bytes/s")
    print(
        f"# one raw aiohttp client, {len(topics)} topics (orderbook {args.depths}, publicTrade, tickers"
        f" x {len(SYMBOLS)} symbols), market generator at {args.rate:g} steps/s"
    )
    msgs, _bps, _ = bench_ws(args.seconds, args.rate, depths, synthetic=True)
    print(f"sim_ws_fanout_msgs_per_s: {msgs} msgs/s")
    print("# network layer only: pre-built orderbook.50 deltas pushed through the WS hub to one raw client")


if __name__ == "__main__":
    main()
