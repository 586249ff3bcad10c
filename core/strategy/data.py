"""Bars for a backtest: a seeded generator (default), a CSV file (ts,open,high,low,close,volume) or
a recording made by ``trade-console record`` (bars built from its trades, else its 1m candles)."""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from core.strategy.base import Bar

MINUTE_MS = 60_000
EDGE_SLACK_MS = 1_000
"""How far a recording's receive clock may be from the exchange's when its first and last bars are
judged whole."""
YEAR_MS = 365 * 86_400_000
SECONDS_CUTOFF = 10**11
"""A numeric ``ts`` below this is seconds since the epoch, otherwise milliseconds."""
DEFAULT_START_PRICE = 60_000.0
DEFAULT_ANNUAL_VOL = 0.6
WICK_SCALE = 0.5
"""How far a generated wick reaches beyond the body, in units of the bar's volatility."""
MEAN_VOLUME = 10.0
CSV_COLUMNS = ("ts", "open", "high", "low", "close", "volume")
GZIP_MAGIC = b"\x1f\x8b"


GENERATED_ANCHOR_MS = 1_767_225_600_000
"""2026-01-01 00:00 UTC: the generated market's walk starts here at ``start_price`` and runs forward
from it; the bars before it are a walk run backwards from it. A generated bar depends on the seed
and its time alone, whatever range is asked for, so an out-of-sample range continues the market
a sweep was tuned on instead of replaying it."""


def generated_bars(
    seed: int,
    start_ms: int,
    end_ms: int,
    *,
    interval_ms: int = MINUTE_MS,
    start_price: float = DEFAULT_START_PRICE,
    annual_vol: float = DEFAULT_ANNUAL_VOL,
) -> Iterator[Bar]:
    """Bars of a seeded geometric random walk from ``start_ms`` (inclusive) to ``end_ms`` (exclusive),
    the same bars for the same times whatever the range (see :data:`GENERATED_ANCHOR_MS`)."""
    walk = _Walk(seed, interval_ms, annual_vol)
    ts = start_ms - start_ms % interval_ms
    if ts < GENERATED_ANCHOR_MS:
        before = walk.backward(start_price, ts, min(end_ms, GENERATED_ANCHOR_MS))
        yield from before
        if end_ms <= GENERATED_ANCHOR_MS:
            return
        ts = GENERATED_ANCHOR_MS
    yield from walk.forward(start_price, ts, end_ms)


class _Walk:
    """The generator's random walk: one bar from a price and four draws."""

    def __init__(self, seed: int, interval_ms: int, annual_vol: float) -> None:
        self.seed = seed
        self.interval_ms = interval_ms
        self.sig = annual_vol * math.sqrt(interval_ms / YEAR_MS)

    def _bar(self, rng: random.Random, ts: int, price: float) -> Bar:
        close = price * math.exp(rng.gauss(0.0, self.sig) - 0.5 * self.sig * self.sig)
        return self._bar_closing(rng, ts, price, close)

    def forward(self, price: float, from_ms: int, end_ms: int) -> Iterator[Bar]:
        """The bars from the anchor on, those before ``from_ms`` walked through but not given."""
        rng = random.Random(self.seed)
        ts, step = GENERATED_ANCHOR_MS - GENERATED_ANCHOR_MS % self.interval_ms, self.interval_ms
        sig, gauss, drift = self.sig, rng.gauss, 0.5 * self.sig * self.sig
        while ts < min(from_ms, end_ms):  # walked through: the same draws as a bar, no bar made
            price *= math.exp(gauss(0.0, sig) - drift)
            gauss(0.0, sig)
            gauss(0.0, sig)
            rng.expovariate(1.0 / MEAN_VOLUME)
            ts += step
        while ts < end_ms:
            bar = self._bar(rng, ts, price)
            yield bar
            price = bar.close
            ts += step

    def backward(self, price: float, from_ms: int, end_ms: int) -> list[Bar]:
        """The bars before the anchor, oldest first: each bar's close is the next bar's open, the
        walk drawn from the anchor back to ``from_ms`` on a generator of its own."""
        rng = random.Random(f"{self.seed}:before")
        bars: list[Bar] = []
        step = self.interval_ms
        ts = GENERATED_ANCHOR_MS - GENERATED_ANCHOR_MS % step - step
        while ts >= from_ms:
            # A bar that closes at ``price``: its open walked back one step from there.
            opened = price / math.exp(rng.gauss(0.0, self.sig) - 0.5 * self.sig * self.sig)
            bar = self._bar_closing(rng, ts, opened, price)
            if ts < end_ms:
                bars.append(bar)
            price = opened
            ts -= step
        bars.reverse()
        return bars

    def _bar_closing(self, rng: random.Random, ts: int, opened: float, close: float) -> Bar:
        sig = self.sig
        wick_hi = abs(rng.gauss(0.0, sig)) * WICK_SCALE * opened
        wick_lo = abs(rng.gauss(0.0, sig)) * WICK_SCALE * opened
        volume = rng.expovariate(1.0 / MEAN_VOLUME)
        return Bar(ts, opened, max(opened, close) + wick_hi, min(opened, close) - wick_lo, close, volume)


def parse_ts(text: str) -> int:
    """Milliseconds since the epoch from seconds, milliseconds or an ISO time (UTC if no zone)."""
    raw = text.strip()
    try:
        number = float(raw)
    except ValueError:
        stamp = datetime.fromisoformat(raw)
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=UTC)
        return int(stamp.timestamp() * 1000)
    return int(number * 1000) if number < SECONDS_CUTOFF else int(number)


def csv_bars(path: Path, start_ms: int | None = None, end_ms: int | None = None) -> Iterator[Bar]:
    """Bars from a CSV file with a header ``ts,open,high,low,close[,volume]``, oldest first.

    ``path`` may also be a recording (its directory when it holds one symbol, or
    ``DIR/<SYMBOL>``): see :func:`recorded_bars`.
    """
    if path.is_dir():
        yield from recorded_bars(*recording_of(path), start_ms, end_ms)
        return
    try:
        yield from _csv_rows(path, start_ms, end_ms)
    except UnicodeDecodeError as exc:
        kind = "a gzip file: gunzip it" if _is_gzip(path) else "binary, not UTF-8 text"
        raise ValueError(
            f"{path}: {kind} (byte {exc.start}); --data takes a CSV ts,open,high,low,close,volume "
            "or a recording's directory"
        ) from None


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(len(GZIP_MAGIC)) == GZIP_MAGIC


def _csv_rows(path: Path, start_ms: int | None, end_ms: int | None) -> Iterator[Bar]:
    # utf-8-sig: a byte-order mark (spreadsheets write one) is not part of the first column's name.
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        _check_header(path, reader.fieldnames or ())
        last = -1
        for n, row in enumerate(reader, start=2):
            try:
                bar = _row_bar(row)
            except ValueError as exc:
                raise ValueError(f"{path}:{n}: {exc}") from None
            if bar.ts_ms <= last:
                raise ValueError(
                    f"{path}:{n}: timestamps must increase ({_iso(bar.ts_ms)} after {_iso(last)})"
                )
            last = bar.ts_ms
            if (start_ms is None or bar.ts_ms >= start_ms) and (end_ms is None or bar.ts_ms < end_ms):
                yield bar


def _check_header(path: Path, names: Sequence[str]) -> None:
    missing = [c for c in CSV_COLUMNS[:-1] if c not in names]
    if not missing:
        return
    header = ",".join(names)
    for sep, what in ((";", "semicolons"), ("\t", "tabs")):
        if sep in header:  # a spreadsheet's export in a locale with a decimal comma, or a TSV
            raise ValueError(
                f"{path}: the columns are separated by {what}, not commas: save it as comma-separated "
                f"with . as the decimal point (header {','.join(CSV_COLUMNS)})"
            )
    raise ValueError(f"{path}: missing columns {', '.join(missing)} (need {','.join(CSV_COLUMNS)})")


def _iso(ts_ms: int) -> str:
    return datetime.fromtimestamp(ts_ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%MZ")


def spacing_problem(bars: Sequence[Bar], interval_ms: int = MINUTE_MS) -> tuple[str, str]:
    """What is wrong with the spacing of ``bars`` (oldest first) for a backtest of ``interval_ms``
    bars: ``(refusal, warning)``, each "" when there is none. Bars closer than the interval, or
    none as close as it (5-minute bars given as one-minute ones), are refused: the annualised
    stats and the fills' times would be wrong. Missing bars are a warning: the strategy sees no
    bar there, as after an exchange outage."""
    gaps = [b.ts_ms - a.ts_ms for a, b in zip(bars, bars[1:], strict=False)]
    if not gaps:
        return "", ""
    closest = min(gaps)
    if closest != interval_ms:
        at = bars[gaps.index(closest)].ts_ms
        return (
            f"bars are {_span(closest)} apart at the closest (from {_iso(at)}); the backtester runs "
            f"bars {_span(interval_ms)} apart: give {_span(interval_ms)} bars",
            "",
        )
    missing = [g // interval_ms - 1 for g in gaps if g > interval_ms]
    if not missing:
        return "", ""
    longest = max(missing)
    at = bars[gaps.index((longest + 1) * interval_ms)].ts_ms + interval_ms
    return "", (
        f"{sum(missing):,} bars missing in {len(missing):,} gap{'s' if len(missing) != 1 else ''} "
        f"(the longest {longest:,} from "
        f"{_iso(at)}); the strategy gets no bar there"
    )


def _span(ms: int) -> str:
    if ms % MINUTE_MS == 0:
        minutes = ms // MINUTE_MS
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{ms / 1000:g} s"


def _row_bar(row: dict[str, str | None]) -> Bar:
    cut = [k for k in CSV_COLUMNS[:-1] if row.get(k) is None]
    if cut:  # the line ended early: a file cut off while it was written or copied
        raise ValueError(f"the line ends before {', '.join(cut)} (a truncated line?)")
    if row.get(None):  # type: ignore[call-overload]  # DictReader's key for fields past the header
        raise ValueError("more fields than the header has (a decimal comma? use . as the decimal point)")
    o, h, lo, c = (_number(row, k) for k in ("open", "high", "low", "close"))
    if min(o, h, lo, c) <= 0:
        raise ValueError(f"prices must be positive (open {o}, high {h}, low {lo}, close {c})")
    if h < max(o, c) or lo > min(o, c):
        raise ValueError(f"high {h} and low {lo} must hold the open {o} and the close {c}")
    volume = _number(row, "volume") if row.get("volume") else 0.0
    return Bar(parse_ts(row["ts"] or ""), o, h, lo, c, volume)


def _number(row: dict[str, str | None], column: str) -> float:
    text = row.get(column) or ""
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{column}: {text!r} is not a number (digits with . as the decimal point)") from None
    if not math.isfinite(value):
        raise ValueError(f"{column}: {text!r} is not a finite number")
    return value


def recording_of(path: Path) -> tuple[Path, str]:
    """(recording directory, symbol) for ``DIR`` holding one symbol or ``DIR/<SYMBOL>``."""
    from core.record.format import MANIFEST, recorded_symbols

    if (path.parent / MANIFEST).is_file() and not (path / MANIFEST).is_file():
        return path.parent, path.name
    symbols = recorded_symbols(path)
    if len(symbols) != 1:
        raise ValueError(f"{path} records {', '.join(symbols)}; give {path}/<SYMBOL>")
    return path, symbols[0]


def recorded_bars(
    directory: Path,
    symbol: str,
    start_ms: int | None = None,
    end_ms: int | None = None,
    *,
    interval_ms: int = MINUTE_MS,
    whole_only: bool = True,
) -> Iterator[Bar]:
    """Bars of ``symbol``'s recorded trades (by exchange time), or of its recorded 1m candles
    when it has no trades; intervals without a trade are left out (no invented prices).

    A trade bar the recording does not cover whole is left out too: the first when the recording
    began after its interval did, the last when it ended before the interval closed (they would
    hold only the seconds recorded: a narrower range and less volume than the market's bar), give
    or take :data:`EDGE_SLACK_MS` between the receiving clock and the exchange's. A recorded
    candle is the exchange's own, whole. ``whole_only=False`` keeps the edge bars."""
    from core.record.format import CandleRec, TradeRec, check_symbols, read_manifest, read_symbol

    check_symbols(directory, (symbol,))
    bars: dict[int, Bar] = {}
    candles: dict[int, Bar] = {}
    for rec in read_symbol(directory, symbol):
        if isinstance(rec, TradeRec):
            _fold(bars, rec.ts_ms - rec.ts_ms % interval_ms, float(rec.price), float(rec.qty))
        elif isinstance(rec, CandleRec) and rec.timeframe == "1m" and interval_ms == MINUTE_MS:
            candles[rec.start_ms] = Bar(rec.start_ms, rec.open, rec.high, rec.low, rec.close, rec.volume)
    if bars and whole_only:
        bars = _whole(bars, read_manifest(directory), interval_ms)
    for ts in sorted(bars or candles):
        if (start_ms is None or ts >= start_ms) and (end_ms is None or ts < end_ms):
            yield (bars or candles)[ts]


def _whole(bars: dict[int, Bar], manifest: dict[str, object], interval_ms: int) -> dict[int, Bar]:
    """``bars`` without those the recording (its manifest's first and last receive times) does not
    cover whole."""
    first, last = manifest.get("start_ms"), manifest.get("end_ms")
    if not isinstance(first, int) or not isinstance(last, int):
        return bars
    return {
        ts: bar
        for ts, bar in bars.items()
        if ts >= first - EDGE_SLACK_MS and ts + interval_ms <= last + EDGE_SLACK_MS
    }


def _fold(bars: dict[int, Bar], ts: int, price: float, qty: float) -> None:
    bar = bars.get(ts)
    if bar is None:
        bars[ts] = Bar(ts, price, price, price, price, qty)
    else:
        bars[ts] = Bar(ts, bar.open, max(bar.high, price), min(bar.low, price), price, bar.volume + qty)
