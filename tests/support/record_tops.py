"""The book tops a recording holds, read straight from its files: what a replay must reproduce."""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from pathlib import Path

from core.record.format import BookRec, read_symbol
from core.sim.instruments import SPECS

Tops = dict[str, tuple[int | None, int | None]]


def reference_tops(rec_dir: Path, symbols: Sequence[str]) -> list[tuple[int, Tops]]:
    """(receive time, each symbol's best bid and ask in ticks) after each receive time's book events."""
    books: dict[str, tuple[dict[float, float], dict[float, float]]] = {s: ({}, {}) for s in symbols}
    out: list[tuple[int, Tops]] = []
    recs = heapq.merge(*(read_symbol(rec_dir, s) for s in symbols), key=lambda r: r.recv_ms)
    for r in recs:
        if not isinstance(r, BookRec) or r.depth != 0:
            continue
        for side, levels in zip(books[r.symbol], (r.bids, r.asks), strict=True):
            if r.snapshot:
                side.clear()
            for p, q in levels:
                side.pop(p, None) if q == 0 else side.__setitem__(p, q)
        tops = {s: _ticks(s, b) for s, b in books.items()}
        if out and out[-1][0] == r.recv_ms:
            out[-1] = (r.recv_ms, tops)
        else:
            out.append((r.recv_ms, tops))
    return out


def _ticks(sym: str, book: tuple[dict[float, float], dict[float, float]]) -> tuple[int | None, int | None]:
    tick = float(SPECS[sym].tick)
    bid = round(max(book[0]) / tick) if book[0] else None
    ask = round(min(book[1]) / tick) if book[1] else None
    return bid, ask
