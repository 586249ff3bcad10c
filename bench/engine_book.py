"""Order book throughput on realistic ``orderbook.200`` frames, through the path the product takes.

Run: .venv/bin/python bench/engine_book.py [N_DELTAS]

The stream: one 200+200 snapshot, then N deltas in Bybit's exact frame shape (~5-6 levels each,
about 15% deletes, inserts/deletes as the mid walks and the far end is trimmed). The final book is
checked against the generator's true book. Figures are the median of 5 passes.

``book_apply_orderbook200_*`` is the product's path: each raw frame decoded as the Bybit adapter's
socket does (``orjson``), handed to :meth:`BybitFeeds._on_public_msg`, translated into a domain
event (float levels, each checked once, there), delivered to the engine's feed sink and applied by
its book keeper (publishing to the store at most every 50 ms). The other figures are comparisons:
``*_orjson_dict_*`` / ``*_dict_*`` are the adapter's translation applied straight to an
:class:`OrderBook` (no feed dispatch, sink or keeper), from raw frames or from parsed dicts;
``*_msgspec_*`` is a typed msgspec decode (``bench/decode.py``, floats, unchecked) applied to it.

``*_display1000_*`` is the ladder's display book: ``orderbook.1000`` frames (Bybit pushes one every
200 ms a symbol) through the same path into the keeper's display book, its float levels read
(sorted once after each change, when the ladder asks: ``book_display1000_read_us``), and the
ladder's coarsest groups (100 ticks) built from them; ``display1000_cost_3_symbols`` is what that
costs a second at Bybit's cadence for three symbols, the ladder showing one of them.
"""

from __future__ import annotations

import asyncio
import gc
import random
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.decode import decode_book, decode_public
from core.config import load_settings
from core.engine.feed_sink import EngineFeedSink
from core.market.books import BOOK_DEPTH, DISPLAY_DEPTH, BookKeeper
from core.market.grouping import extend_groups, group_levels
from core.market.orderbook import OrderBook
from core.model import Balance, Fill, Order, Position, Side
from core.store import MarketStore
from core.venues.base import BookSnapshot
from core.venues.bybit import parse
from core.venues.bybit.feeds import BybitFeeds

SYMBOL = "BTCUSDT"
DEPTH = 200
TICK = 0.1
DISPLAY_PUSH_HZ = 5
"""Bybit pushes ``orderbook.1000`` every 200 ms."""
UI_HZ = 10
LADDER_ROWS = 25
"""Grouped rows a side (more than a 160x50 pane shows)."""


def _fmt_px(ticks: int) -> str:
    return f"{ticks * TICK:.2f}"


def _fmt_sz(rng: random.Random) -> str:
    return f"{rng.lognormvariate(0, 1.2):.3f}"


def generate(
    n: int, seed: int = 42, depth: int = DEPTH
) -> tuple[list[bytes], dict[int, str], dict[int, str]]:
    """Frames (snapshot first) of ``orderbook.{depth}`` and the true final book (ticks -> size
    string) per side."""
    rng = random.Random(seed)
    mid = 650_000  # in ticks: 65000.0
    bids = {mid - 1 - i: _fmt_sz(rng) for i in range(depth)}
    asks = {mid + 1 + i: _fmt_sz(rng) for i in range(depth)}
    ts = 1_767_225_600_000
    u = 1_000
    seq = 50_000_000

    def frame(kind: str, b: list[list[str]], a: list[list[str]]) -> bytes:
        return orjson.dumps(
            {
                "topic": f"orderbook.{depth}.{SYMBOL}",
                "type": kind,
                "ts": ts,
                "data": {"s": SYMBOL, "b": b, "a": a, "u": u, "seq": seq},
                "cts": ts - 2,
            }
        )

    frames = [
        frame(
            "snapshot",
            [[_fmt_px(p), s] for p, s in sorted(bids.items(), reverse=True)],
            [[_fmt_px(p), s] for p, s in sorted(asks.items())],
        )
    ]
    for _ in range(n):
        u += 1
        seq += rng.randint(1, 20)
        ts += 100
        db: dict[int, str] = {}
        da: dict[int, str] = {}
        # occasionally the mid moves one tick: the best level on one side goes, the other side gains one
        if rng.random() < 0.1:
            if rng.random() < 0.5 and len(asks) > 1:
                best = min(asks)
                del asks[best]
                da[best] = "0"
                new_bid = max(bids) + 1
                if new_bid < min(asks):
                    bids[new_bid] = db[new_bid] = _fmt_sz(rng)
            elif len(bids) > 1:
                best = max(bids)
                del bids[best]
                db[best] = "0"
                new_ask = min(asks) - 1
                if new_ask > max(bids):
                    asks[new_ask] = da[new_ask] = _fmt_sz(rng)
        for _ in range(rng.randint(2, 8)):
            side, d, is_bid = (bids, db, True) if rng.random() < 0.5 else (asks, da, False)
            r = rng.random()
            if r < 0.15 and len(side) > 10:
                p = rng.choice(list(side))
                del side[p]
                d[p] = "0"
            elif r < 0.35:
                edge = (min(side) - rng.randint(1, 5)) if is_bid else (max(side) + rng.randint(1, 5))
                side[edge] = d[edge] = _fmt_sz(rng)
            else:
                best = max(side) if is_bid else min(side)
                off = int(abs(rng.gauss(0, 15)))
                p = best - off if is_bid else best + off
                side[p] = d[p] = _fmt_sz(rng)
        # trim back to depth levels, as the venue does
        while len(bids) > depth:
            p = min(bids)
            del bids[p]
            db[p] = "0"
        while len(asks) > depth:
            p = max(asks)
            del asks[p]
            da[p] = "0"
        frames.append(
            frame("delta", [[_fmt_px(p), s] for p, s in db.items()], [[_fmt_px(p), s] for p, s in da.items()])
        )
    return frames, bids, asks


def _check(book: OrderBook, bids: dict[int, str], asks: dict[int, str]) -> None:
    b, a = book.levels()
    want_b = {round(p * TICK, 2): float(s) for p, s in bids.items()}
    want_a = {round(p * TICK, 2): float(s) for p, s in asks.items()}
    assert not book.stale, book.stale_reason
    assert {round(p, 2): s for p, s in b.items()} == want_b, "bids differ from the true book"
    assert {round(p, 2): s for p, s in a.items()} == want_a, "asks differ from the true book"


def _median_rate(run: Callable[[], int], passes: int = 5) -> float:
    rates = []
    for _ in range(passes):
        gc.collect()
        t0 = time.perf_counter()
        count = run()
        rates.append(count / (time.perf_counter() - t0))
    return statistics.median(rates)


class _NoAccount:
    """Book frames carry no account events."""

    def apply_order(self, order: Order) -> None:
        """Unused."""

    def apply_fill(self, fill: Fill) -> None:
        """Unused."""

    def apply_position(self, position: Position) -> None:
        """Unused."""

    def apply_balance(self, balance: Balance) -> None:
        """Unused."""

    def apply_connection(self, stream: str, state: str, detail: str) -> None:
        """Unused."""


def _apply_frame(book: OrderBook, frame: Any) -> bool:
    """A msgspec :class:`~bench.decode.BookFrame` (float levels) applied to ``book``, unchecked."""
    data = frame.data
    if frame.type == "snapshot":
        return book.apply_snapshot(data.b, data.a, data.u, data.seq, frame.ts)
    return book.apply_delta(data.b, data.a, data.u, data.seq, frame.ts)


def _apply_translated(book: OrderBook, msg: dict[str, Any]) -> bool:
    """The Bybit adapter's translation of a parsed frame applied to ``book`` (no sink, no keeper)."""
    event = parse.book_frame(book.symbol, msg)
    if isinstance(event, BookSnapshot):
        return book.apply_snapshot(event.bids, event.asks, event.seq, event.cross_seq, event.ts_ms)
    return book.apply_delta(event.bids, event.asks, event.seq, event.cross_seq, event.ts_ms)


def product_path(loop: asyncio.AbstractEventLoop) -> tuple[BybitFeeds, BookKeeper]:
    """The Bybit feeds delivering into the engine's sink and book keeper (no sockets)."""
    books = BookKeeper((SYMBOL,), MarketStore(), now_ms=lambda: 0, depth=DEPTH)
    sink = EngineFeedSink(books.store, books, _NoAccount(), loop)
    books.on_state = sink.hand_state
    feeds = BybitFeeds(load_settings(metrics={"enabled": False}), (SYMBOL,), sink)
    books.resubscribe = feeds.resubscribe_book
    return feeds, books


def main(n: int = 20_000) -> None:
    """Print the benchmark figures as ``name: value unit`` lines."""
    frames, true_bids, true_asks = generate(n)
    deltas = frames[1:]
    avg_bytes = sum(map(len, deltas)) / len(deltas)
    levels = [orjson.loads(f)["data"] for f in deltas]
    avg_levels = sum(len(d["b"]) + len(d["a"]) for d in levels) / len(levels)
    deletes = sum(s == "0" for d in levels for _, s in d["b"] + d["a"]) / max(
        1, sum(len(d["b"]) + len(d["a"]) for d in levels)
    )
    del levels
    print(f"frames_deltas: {len(deltas)} frames")
    print(f"frames_avg_bytes: {avg_bytes:.0f} B")
    print(f"frames_avg_levels: {avg_levels:.1f} levels")
    print(f"frames_delete_share: {deletes * 100:.0f} %")

    loop = asyncio.new_event_loop()

    def product_run() -> int:
        feeds, books = product_path(loop)
        on_frame = feeds._on_public_msg
        loads = orjson.loads
        for raw in frames:
            on_frame(loads(raw))
        _check(books.books[SYMBOL], true_bids, true_asks)
        return len(frames)

    def msgspec_run() -> int:
        book = OrderBook(SYMBOL, DEPTH)
        for raw in frames:
            _apply_frame(book, decode_book(raw))
        _check(book, true_bids, true_asks)
        return len(frames)

    def dispatch_run() -> int:
        book = OrderBook(SYMBOL, DEPTH)
        for raw in frames:
            _apply_frame(book, decode_public(raw))
        return len(frames)

    def orjson_dict_run() -> int:
        book = OrderBook(SYMBOL, DEPTH)
        for raw in frames:
            _apply_translated(book, orjson.loads(raw))
        _check(book, true_bids, true_asks)
        return len(frames)

    parsed = [orjson.loads(f) for f in frames]  # pybit hands the callback parsed dicts
    gc.freeze()

    def dict_apply_run() -> int:
        book = OrderBook(SYMBOL, DEPTH)
        for msg in parsed:
            _apply_translated(book, msg)
        return len(parsed)

    rate = _median_rate(product_run)  # the product: adapter frame handler -> sink -> book keeper
    print(f"book_apply_orderbook200_msgs_per_s: {rate:.0f} msgs/s")
    print(f"book_apply_orderbook200_us_per_msg: {1e6 / rate:.2f} us")
    rate = _median_rate(msgspec_run)  # comparison: msgspec typed decode (floats) + OrderBook
    print(f"book_apply_orderbook200_msgspec_msgs_per_s: {rate:.0f} msgs/s")
    rate = _median_rate(dispatch_run)  # comparison: decode_public topic dispatch + apply
    print(f"book_apply_orderbook200_msgspec_dispatch_msgs_per_s: {rate:.0f} msgs/s")
    rate = _median_rate(orjson_dict_run)  # orjson.loads + the adapter's translation + OrderBook
    print(f"book_apply_orderbook200_orjson_dict_msgs_per_s: {rate:.0f} msgs/s")
    rate = _median_rate(dict_apply_run)  # the same on pre-parsed dicts (what pybit hands over)
    print(f"book_apply_orderbook200_dict_msgs_per_s: {rate:.0f} msgs/s")

    feeds, books = product_path(loop)
    snap = orjson.loads(frames[0])
    reps = 2000
    t0 = time.perf_counter()
    for _ in range(reps):
        feeds._on_public_msg(snap)  # translated (checked float levels) and rebuilt, as the product does
    print(f"book_snapshot200_rebuild_us: {(time.perf_counter() - t0) / reps * 1e6:.1f} us")
    loop.close()
    book = books.books[SYMBOL]
    t0 = time.perf_counter()
    for _ in range(reps):
        book.top(10)
    print(f"book_top10_us: {(time.perf_counter() - t0) / reps * 1e6:.1f} us")
    t0 = time.perf_counter()
    for _ in range(reps):
        book.view(25)
    print(f"book_view25_decimal_us: {(time.perf_counter() - t0) / reps * 1e6:.1f} us")
    loop = asyncio.new_event_loop()
    display_figures(loop)
    loop.close()


def display_figures(loop: asyncio.AbstractEventLoop, n: int = 2_000) -> None:
    """The display book's figures (see the module docstring)."""
    frames, true_bids, true_asks = generate(n, seed=7, depth=DISPLAY_DEPTH)

    def display_run() -> int:
        feeds, books = product_path(loop)
        on_frame = feeds._on_public_msg
        for raw in frames:
            on_frame(orjson.loads(raw))
        _check(books.display[SYMBOL], true_bids, true_asks)
        return len(frames) - 1

    rate = _median_rate(display_run)
    print(f"book_apply_display1000_msgs_per_s: {rate:.0f} msgs/s")
    apply_us = 1e6 / rate
    print(f"book_apply_display1000_us_per_msg: {apply_us:.2f} us")
    feeds, books = product_path(loop)
    for raw in frames:
        feeds._on_public_msg(orjson.loads(raw))
    reps = 200
    t0 = time.perf_counter()
    for _ in range(reps):
        books._after_display(SYMBOL)  # as a push does: the next read sorts the book again
        books.display_levels(SYMBOL)
    read_us = (time.perf_counter() - t0) / reps * 1e6
    print(f"book_display1000_read_us: {read_us:.1f} us")
    depth = books.store.depth(SYMBOL)
    assert depth is not None and len(depth.bids) > DISPLAY_DEPTH // 2
    tick, step = Decimal("0.1"), Decimal("10")
    top = group_levels(books.books[SYMBOL].view(BOOK_DEPTH).bids, step, Side.BUY)
    t0 = time.perf_counter()
    for _ in range(reps):
        rows = extend_groups(
            top, depth.bids, step=step, tick=tick, side=Side.BUY, limit=LADDER_ROWS, beyond=None
        )
    group_us = (time.perf_counter() - t0) / reps * 1e6
    assert len(rows) == LADDER_ROWS
    print(f"ladder_group_coarsest_{LADDER_ROWS}_rows_us: {group_us:.1f} us")
    # three symbols at Bybit's cadence (5 display frames/s each), the selected symbol's book read
    # (sorted) after each of its pushes, and its two sides grouped at the UI's 10 Hz
    per_s = 3 * DISPLAY_PUSH_HZ * apply_us + DISPLAY_PUSH_HZ * read_us + UI_HZ * 2 * group_us
    print(f"display1000_cost_3_symbols: {per_s / 1e4:.2f} % of one core")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
