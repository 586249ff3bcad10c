"""``trade-console record``: check the arguments, reach the venue the mode allows, record."""

from __future__ import annotations

import math
import re
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from core.record.format import KIND_WORDS, MANIFEST
from core.record.recorder import RecordError, record

if TYPE_CHECKING:
    from core.config import Settings

EXIT_USAGE = 2
_SYMBOL = re.compile(r"[A-Z0-9]{2,30}")


def parse_symbols(text: str) -> tuple[str, ...]:
    """``BTCUSDT,ETHUSDT`` as a tuple; :class:`RecordError` naming what is not a symbol."""
    parts = [p.strip() for p in text.split(",")]
    bad = [p for p in parts if not _SYMBOL.fullmatch(p)]
    if bad or not parts:
        raise RecordError(
            f"--symbols: {', '.join(repr(b) for b in bad)} is not a symbol; give e.g. BTCUSDT,ETHUSDT"
        )
    if len(set(parts)) != len(parts):
        raise RecordError(f"--symbols: {text!r} names a symbol twice")
    return tuple(parts)


@contextmanager
def _sim_for(settings: Settings) -> Iterator[Settings]:
    """In sim mode with the embedded sim on: the sim already on the configured port, or one
    started there (seeded) for the recording. Otherwise the settings as they are."""
    from core.model import Mode

    if settings.mode is not Mode.SIM or not settings.sim.embedded:
        yield settings
        return
    from core.sim.runner import SimVenueThread

    try:
        venue = SimVenueThread(settings.sim).start()
    except RuntimeError as exc:
        if not isinstance(exc.__cause__, OSError):
            raise
        print(f"recording the sim already on port {settings.sim.port}", file=sys.stderr)
        yield settings
        return
    try:
        yield settings
    finally:
        venue.stop()


def run_record(settings: Settings, symbols_text: str, out: Path, minutes: float | None) -> int:
    """Record until ``minutes`` pass or Ctrl-C; print what was written. Returns the exit code."""
    try:
        symbols = parse_symbols(symbols_text)
        if minutes is not None and not (math.isfinite(minutes) and minutes > 0):
            raise RecordError(f"--minutes must be a positive number, got {minutes}")
        if out.exists() and not out.is_dir():
            raise RecordError(f"--out {out} exists and is not a directory")
        if (out / MANIFEST).is_file():  # recording into it would replace its manifest: data lost
            raise RecordError(f"--out {out} holds a recording already; give a new directory")
    except RecordError as exc:
        print(f"trade-console record: {exc}", file=sys.stderr)
        return EXIT_USAGE
    stop = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        with _sim_for(settings) as effective:
            print(f"recording {','.join(symbols)} from {effective.venue.name} ({effective.mode}) into {out}")
            result = record(effective, symbols, out, minutes=minutes, stop=stop)
    except RecordError as exc:
        print(f"trade-console record: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        signal.signal(signal.SIGINT, previous)
    for sym, counts in result.counts.items():
        print(f"{sym}: " + ", ".join(f"{KIND_WORDS.get(k, k)} {v:,}" for k, v in counts.items()))
    print(f"wrote {out} (manifest.json)")
    return 0
