"""The recording file format: gzip-compressed JSON lines, one file per symbol and hour.

Layout of a recording directory::

    DIR/manifest.json                       venue, symbols, start/end, counts, format version
    DIR/<SYMBOL>/<YYYYMMDD>T<HH>.jsonl.gz   that symbol's events received in that UTC hour

Each line is a JSON array whose first item names the record and whose second is the receive time
(ms since the epoch, the recorder's clock)::

    ["S", recv, ts, seq, cross_seq, depth, bids, asks]    book snapshot ([[price, size], ...])
    ["D", recv, ts, seq, cross_seq, depth, bids, asks]    book delta (size 0 removes a level)
    ["T", recv, ts, side, price, qty, trade_id]           public trade (side "Buy"/"Sell", decimal strings)
    ["K", recv, {field: value, ...}]                      ticker fields (decimal strings, ints for times)
    ["C", recv, timeframe, start, open, high, low, close, volume]   candle

The writer flushes with ``Z_SYNC_FLUSH``: everything written before the last flush can be read
back from a file whose writer was killed. The reader decompresses incrementally, so a missing
gzip trailer is no error, and it skips (and counts) a last line that was cut off.

Pure: the standard library and orjson only, so both the recorder and the sim's replay market use it
without importing each other's layers.
"""

from __future__ import annotations

import gzip
import os
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import orjson

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SUFFIX = ".jsonl.gz"
GZIP_WBITS = 31
"""zlib ``wbits`` for a gzip container."""
READ_CHUNK = 1 << 16
BOOK_SNAPSHOT, BOOK_DELTA, TRADE, TICKER, CANDLE = "S", "D", "T", "K", "C"
KIND_WORDS = {
    BOOK_SNAPSHOT: "book snapshots",
    BOOK_DELTA: "book deltas",
    TRADE: "trades",
    TICKER: "tickers",
    CANDLE: "candles",
}
"""What each record kind is called where a person reads it."""
_BOOK_ITEMS = 8
_TRADE_ITEMS = 7
_TICKER_ITEMS = 3
_CANDLE_ITEMS = 9
Levels = tuple[tuple[float, float], ...]


class FormatError(ValueError):
    """A recording directory or file that cannot be read (the message names the path and why)."""


class BookRec(NamedTuple):
    """A recorded book snapshot (``snapshot`` True) or delta, prices and sizes as floats."""

    recv_ms: int
    symbol: str
    snapshot: bool
    ts_ms: int
    seq: int
    cross_seq: int
    depth: int
    bids: Levels
    asks: Levels


class TradeRec(NamedTuple):
    """A recorded public trade; price and qty as the exact decimal strings."""

    recv_ms: int
    symbol: str
    ts_ms: int
    side: str
    price: str
    qty: str
    trade_id: str


class TickerRec(NamedTuple):
    """A recorded ticker: the fields the venue reported (decimal strings, ints for times)."""

    recv_ms: int
    symbol: str
    fields: dict[str, Any]


class CandleRec(NamedTuple):
    """A recorded candle (the current or just-closed bar of ``timeframe``)."""

    recv_ms: int
    symbol: str
    timeframe: str
    start_ms: int
    open: float
    high: float
    low: float
    close: float
    volume: float


Record = BookRec | TradeRec | TickerRec | CandleRec


def encode(rec: Record) -> bytes:
    """One line (with its newline) for ``rec``."""
    if isinstance(rec, BookRec):
        kind = BOOK_SNAPSHOT if rec.snapshot else BOOK_DELTA
        items: list[Any] = [
            kind,
            rec.recv_ms,
            rec.ts_ms,
            rec.seq,
            rec.cross_seq,
            rec.depth,
            rec.bids,
            rec.asks,
        ]
    elif isinstance(rec, TradeRec):
        items = [TRADE, rec.recv_ms, rec.ts_ms, rec.side, rec.price, rec.qty, rec.trade_id]
    elif isinstance(rec, TickerRec):
        items = [TICKER, rec.recv_ms, rec.fields]
    else:
        items = [CANDLE, rec.recv_ms, rec.timeframe, rec.start_ms, rec.open, rec.high, rec.low, rec.close]
        items.append(rec.volume)
    return orjson.dumps(items) + b"\n"


def _levels(raw: Any) -> Levels:
    return tuple((float(p), float(s)) for p, s in raw)


def decode(line: bytes, symbol: str) -> Record:
    """The record of one line of ``symbol``'s file; :class:`FormatError` when it is not one."""
    try:
        items = orjson.loads(line)
        kind = items[0]
        if kind in (BOOK_SNAPSHOT, BOOK_DELTA) and len(items) == _BOOK_ITEMS:
            recv, ts, seq, cs, depth = (int(v) for v in items[1:6])
            return BookRec(
                recv, symbol, kind == BOOK_SNAPSHOT, ts, seq, cs, depth, _levels(items[6]), _levels(items[7])
            )
        if kind == TRADE and len(items) == _TRADE_ITEMS:
            return TradeRec(int(items[1]), symbol, int(items[2]), *(str(v) for v in items[3:7]))
        if kind == TICKER and len(items) == _TICKER_ITEMS and isinstance(items[2], dict):
            return TickerRec(int(items[1]), symbol, items[2])
        if kind == CANDLE and len(items) == _CANDLE_ITEMS:
            o, h, lo, c, v = (float(x) for x in items[4:9])
            return CandleRec(int(items[1]), symbol, str(items[2]), int(items[3]), o, h, lo, c, v)
    except (orjson.JSONDecodeError, TypeError, ValueError, IndexError) as exc:
        raise FormatError(f"not a record line: {exc}") from None
    raise FormatError(f"not a record line: {line[:60]!r}")


# --- writing ---------------------------------------------------------------------------------
def hour_file(out: Path, symbol: str, recv_ms: int) -> Path:
    """The file that holds ``symbol``'s events received in ``recv_ms``'s UTC hour."""
    stamp = datetime.fromtimestamp(recv_ms / 1000, tz=UTC)
    return out / symbol / f"{stamp:%Y%m%dT%H}{SUFFIX}"


@dataclass(slots=True)
class _Open:
    path: Path
    raw: Any
    gz: gzip.GzipFile


@dataclass
class RecordingWriter:
    """Writes records to per-symbol hourly files and keeps the manifest. Thread-safe (feed
    callbacks arrive on the venue's threads); :meth:`flush` makes everything so far readable."""

    out: Path
    venue: str
    symbols: tuple[str, ...]
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    start_ms: int | None = None
    end_ms: int | None = None
    _files: dict[str, _Open] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        self.counts = {
            s: dict.fromkeys((BOOK_SNAPSHOT, BOOK_DELTA, TRADE, TICKER, CANDLE), 0) for s in self.symbols
        }
        self.write_manifest()

    def write(self, rec: Record) -> None:
        """Append ``rec`` to its symbol's file for its receive hour."""
        line = encode(rec)
        with self._lock:
            gz = self._file(rec.symbol, rec.recv_ms)
            gz.write(line)
            self.counts.setdefault(rec.symbol, {}).setdefault(line[2:3].decode(), 0)
            self.counts[rec.symbol][line[2:3].decode()] += 1
            self.start_ms = rec.recv_ms if self.start_ms is None else self.start_ms
            self.end_ms = rec.recv_ms

    def _file(self, symbol: str, recv_ms: int) -> gzip.GzipFile:
        path = hour_file(self.out, symbol, recv_ms)
        cur = self._files.get(symbol)
        if cur is not None and cur.path == path:
            return cur.gz
        if cur is not None:
            _close(cur)
        path.parent.mkdir(parents=True, exist_ok=True)
        raw = path.open("ab")  # a restarted recorder appends a new gzip member
        opened = _Open(path, raw, gzip.GzipFile(fileobj=raw, mode="ab", mtime=0))
        self._files[symbol] = opened
        return opened.gz

    def flush(self) -> None:
        """Make every record written so far readable from the files, and update the manifest."""
        with self._lock:
            for f in self._files.values():
                f.gz.flush(zlib.Z_SYNC_FLUSH)
                f.raw.flush()
                os.fsync(f.raw.fileno())
        self.write_manifest()

    def close(self) -> None:
        """Finish every file (gzip trailer) and write the final manifest."""
        with self._lock:
            for f in self._files.values():
                _close(f)
            self._files.clear()
        self.write_manifest(complete=True)

    def write_manifest(self, *, complete: bool = False) -> None:
        """Write the manifest atomically (a temporary file renamed over the old one)."""
        with self._lock:
            body = {
                "format": "jsonl.gz",
                "version": FORMAT_VERSION,
                "venue": self.venue,
                "symbols": list(self.symbols),
                "start_ms": self.start_ms,
                "end_ms": self.end_ms,
                "complete": complete,
                "counts": self.counts,
            }
        tmp = self.out / (MANIFEST + ".tmp")
        tmp.write_bytes(orjson.dumps(body, option=orjson.OPT_INDENT_2))
        tmp.replace(self.out / MANIFEST)


def _close(f: _Open) -> None:
    f.gz.close()
    f.raw.close()


# --- reading ---------------------------------------------------------------------------------
@dataclass
class ReadStats:
    """What reading skipped: lines cut off at a file's end (a killed writer), per file."""

    truncated: int = 0
    files: list[str] = field(default_factory=list)


def read_manifest(directory: Path) -> dict[str, Any]:
    """The recording's manifest; :class:`FormatError` naming the path when there is none."""
    path = directory / MANIFEST
    if not directory.is_dir():
        raise FormatError(f"{directory}: no such recording directory")
    try:
        body = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise FormatError(f"{directory}: not a recording (no {MANIFEST})") from None
    except orjson.JSONDecodeError as exc:
        raise FormatError(f"{path}: unreadable manifest: {exc}") from None
    if not isinstance(body, dict):
        raise FormatError(f"{path}: not a manifest object")
    if body.get("version") != FORMAT_VERSION:
        raise FormatError(
            f"{path}: format version {body.get('version')!r}, this reader reads {FORMAT_VERSION}"
        )
    return body


def _lines(path: Path, stats: ReadStats) -> Iterator[bytes]:
    """Complete lines of one gzip file (all members); a cut-off last line is counted, not yielded."""
    tail = b""
    with path.open("rb") as fh:
        dec = zlib.decompressobj(GZIP_WBITS)
        while chunk := fh.read(READ_CHUNK):
            while chunk:
                try:
                    data = dec.decompress(chunk)
                except zlib.error:  # a cut-off member: what was flushed before it has been read
                    chunk = b""
                    break
                chunk = dec.unused_data
                if dec.eof:
                    dec = zlib.decompressobj(GZIP_WBITS)
                parts = (tail + data).split(b"\n")
                tail = parts.pop()
                yield from (p for p in parts if p)
    if tail:
        stats.truncated += 1
        stats.files.append(str(path))


def read_file(path: Path, symbol: str, stats: ReadStats | None = None) -> Iterator[Record]:
    """The records of one file in the order they were written."""
    st = stats if stats is not None else ReadStats()
    for n, line in enumerate(_lines(path, st), start=1):
        try:
            yield decode(line, symbol)
        except FormatError as exc:
            raise FormatError(f"{path}:{n}: {exc}") from None


def symbol_files(directory: Path, symbol: str) -> list[Path]:
    """``symbol``'s files, oldest hour first."""
    return sorted((directory / symbol).glob(f"*{SUFFIX}"))


def read_symbol(directory: Path, symbol: str, stats: ReadStats | None = None) -> Iterator[Record]:
    """Every record of ``symbol`` in the recording, in receive order."""
    for path in symbol_files(directory, symbol):
        yield from read_file(path, symbol, stats)


def recorded_symbols(directory: Path) -> tuple[str, ...]:
    """The symbols the manifest lists."""
    return tuple(str(s) for s in read_manifest(directory).get("symbols", ()))


def check_symbols(directory: Path, symbols: tuple[str, ...]) -> None:
    """:class:`FormatError` naming the symbols the recording does not hold."""
    have = recorded_symbols(directory)
    missing = [s for s in symbols if s not in have]
    if missing:
        raise FormatError(f"{directory}: no recording of {', '.join(missing)} (it holds {', '.join(have)})")
